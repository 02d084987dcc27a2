"""Command line of the synthetic dataset generator.

Every field of :class:`SyntheticAVAConfig` is an option
(``num_train_videos`` -> ``--num-train-videos``; booleans also take a
``--no-`` form).
"""
import argparse
import typing
from dataclasses import fields
from typing import Any, Dict, List, Optional

from .classes import CLASS_TABLE
from .config import ALL_GROUPS, SyntheticAVAConfig
from .generate import generate_synthetic_ava, is_complete


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (one option per config field)."""
    parser = argparse.ArgumentParser(
        prog='python -m mmaction_aia.datasets.synthetic',
        description='Write a synthetic AVA-format dataset (videos, frames, '
        'annotation CSVs, proposal pickles, label map).')
    parser.add_argument('--out', required=True, help='dataset folder')
    parser.add_argument('--if-missing', action='store_true',
                        help='do nothing if the folder already holds a '
                        'complete dataset made with the same parameters')
    parser.add_argument('--quiet', action='store_true',
                        help='no progress bar and no summary')
    hints = typing.get_type_hints(SyntheticAVAConfig)
    defaults = SyntheticAVAConfig()
    for f in fields(SyntheticAVAConfig):
        flag = '--' + f.name.replace('_', '-')
        default = getattr(defaults, f.name)
        kind = hints[f.name]
        if kind is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction,
                                default=default)
        elif f.name == 'groups':
            parser.add_argument(flag, nargs='+', choices=ALL_GROUPS,
                                default=list(default),
                                help='class groups to annotate')
        else:
            parser.add_argument(flag, type=kind, default=default,
                                help=f'(default: {default})')
    return parser


def config_from_args(args: argparse.Namespace) -> SyntheticAVAConfig:
    """Build the config from parsed arguments.

    Args:
        args (argparse.Namespace): Output of :func:`build_parser`.
    """
    kwargs: Dict[str, Any] = {f.name: getattr(args, f.name)
                              for f in fields(SyntheticAVAConfig)}
    kwargs['groups'] = tuple(kwargs['groups'])
    return SyntheticAVAConfig(**kwargs)


def main(argv: Optional[List[str]] = None) -> None:
    """Run the generator from the command line.

    Args:
        argv (list[str], optional): Arguments (default: ``sys.argv[1:]``).
    """
    args = build_parser().parse_args(argv)
    cfg = config_from_args(args)
    if args.if_missing and is_complete(args.out, cfg):
        if not args.quiet:
            print(f'{args.out} already holds this dataset; nothing to do')
        return
    summary = generate_synthetic_ava(args.out, cfg, progress=not args.quiet)
    if args.quiet:
        return
    print(f'wrote {args.out} in {summary["elapsed_s"]:.1f} s')
    names = {c.id: c.name for c in CLASS_TABLE}
    for split, c in summary['counts'].items():
        print(f'{split}: {c["videos"]} videos, {c["keyframes"]} keyframes, '
              f'{c["boxes"]} person boxes, {c["excluded"]} excluded')
        print('  ' + ', '.join(f'{names[k]}={v}'
                               for k, v in c['class_counts'].items()))
