"""Print a config as the tools see it: ``_base_`` files merged,
``--cfg-options`` applied, mmaction2 / mmdet names resolved.

    python tools/analysis/print_config.py CONFIG [--cfg-options k=v ...]
        [--save-path resolved.py]
"""
import argparse
from typing import List, Optional

from mmengine.config import DictAction

from mmaction_aia.engine.runner_setup import load_config


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Command-line arguments (see the module docstring).

    Args:
        argv (list[str], optional): Arguments; None reads ``sys.argv``.
    """
    parser = argparse.ArgumentParser(description='Print the whole config')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings, e.g. model.backbone.depth=101')
    parser.add_argument('--save-path',
                        help='also write the resolved config here (.py)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> str:
    """Print (and optionally save) the resolved config; return its text."""
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    text = cfg.pretty_text
    print(f'Config: {args.config}\n{text}')
    if args.save_path:
        if not args.save_path.endswith('.py'):
            raise ValueError(f'--save-path {args.save_path}: expected a .py '
                             'file')
        cfg.dump(args.save_path)
        print(f'saved to {args.save_path}')
    return text


if __name__ == '__main__':
    main()
