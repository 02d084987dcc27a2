"""Oracle check of the synthetic AVA benchmark: which class groups need
interactions and memory.

    python tools/analysis/synthetic_oracle.py --data data/synthetic_ava \\
        [--baseline work_dirs/.../results.csv] [--json oracle.json]
    python tools/analysis/synthetic_oracle.py --seed 0 \\
        --param num_train_videos=8 --param num_val_videos=4

For every annotated (keyframe, person) the generator's own state is turned
into feature vectors at three cumulative levels (``own`` box and clip,
``+ interaction`` with the nearest people and objects, ``+ memory`` of the
seconds around the clip; see ``mmaction_aia.datasets.synthetic.oracle``).
A small MLP per level is trained on the train split, and its val
probabilities, written as official results rows on the ground-truth boxes,
are scored with the toolkit's AVA evaluator. Prints the per-group mAP of
each level (and of ``--baseline``, a results CSV of a real model).

With ``--data`` the dataset's parameters come from its ``generator.json``
and its annotation files are the ground truth; otherwise the parameters
are ``--seed`` and ``--param`` and the val ground truth is written into
``--work-dir`` (nothing is rendered).
"""
import argparse
import json
import os
import os.path as osp
import sys
import time
from dataclasses import fields
from typing import Dict, List, Optional

from mmaction_aia.datasets.synthetic import (
    SYNTHETIC_CLASS_GROUPS,
    SyntheticAVAConfig,
)
from mmaction_aia.datasets.synthetic.oracle import LEVELS, run_oracle_check
from mmaction_aia.evaluation.functional import evaluate_ava_files

GROUPS = tuple(SYNTHETIC_CLASS_GROUPS)
LABELS = {'own': 'oracle: own box',
          'interaction': 'oracle: + interaction',
          'memory': 'oracle: + memory (full)',
          'baseline': 'baseline (--baseline)'}


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Command-line arguments (see the module docstring).

    Args:
        argv (list[str], optional): Arguments; None reads ``sys.argv``.

    Returns:
        argparse.Namespace: The parsed arguments.
    """
    parser = argparse.ArgumentParser(
        description='Oracle-feature check of the synthetic AVA benchmark')
    parser.add_argument('--data', help='generated dataset folder (reads '
                        'generator.json and annotations/)')
    parser.add_argument('--seed', type=int, default=0,
                        help='dataset seed when --data is not given')
    parser.add_argument('--param', action='append', default=[],
                        metavar='FIELD=VALUE',
                        help='other SyntheticAVAConfig field when --data is '
                        'not given, e.g. num_val_videos=4 (repeatable)')
    parser.add_argument('--work-dir', default='work_dirs/synthetic_oracle',
                        help='folder for predictions (and ground truth)')
    parser.add_argument('--levels', nargs='+', choices=LEVELS,
                        default=list(LEVELS), help='feature levels to run')
    parser.add_argument('--steps', type=int, default=500,
                        help='optimisation steps per classifier')
    parser.add_argument('--classifier-seed', type=int, default=0)
    parser.add_argument('--baseline', help='results CSV of a model to '
                        'evaluate on the same ground truth (needs --data)')
    parser.add_argument('--per-class', action='store_true',
                        help='also print the AP of every class')
    parser.add_argument('--json', help='write the results as JSON here')
    return parser.parse_args(argv)


def config_from_args(args: argparse.Namespace) -> SyntheticAVAConfig:
    """The dataset parameters: ``--data``'s stamp or ``--seed``/``--param``.

    Args:
        args (argparse.Namespace): Output of :func:`parse_args`.

    Raises:
        ValueError: On a missing or unreadable stamp, or a bad ``--param``.
    """
    if args.data:
        stamp = osp.join(args.data, 'generator.json')
        try:
            with open(stamp) as f:
                return SyntheticAVAConfig.from_dict(json.load(f)['params'])
        except (OSError, ValueError, KeyError) as error:
            raise ValueError(f'{stamp}: expected the generator stamp with '
                             f'"params" ({error})') from error
    kinds = {f.name: f.type for f in fields(SyntheticAVAConfig)}
    params: Dict[str, object] = {'seed': args.seed}
    for item in args.param:
        key, sep, value = item.partition('=')
        if not sep or key not in kinds or key == 'groups':
            raise ValueError(f'--param {item!r}: expected FIELD=VALUE with '
                             f'FIELD one of {sorted(set(kinds) - {"groups"})}')
        kind = kinds[key]
        if kind in (bool, 'bool'):
            params[key] = value.lower() in ('1', 'true', 'yes', 'on')
        else:
            params[key] = {'int': int, 'float': float}.get(kind, kind)(value)
    return SyntheticAVAConfig(**params)


def format_table(rows: Dict[str, dict]) -> str:
    """Per-group mAP table, one row per level (and baseline).

    Args:
        rows (dict): Level name (or ``baseline``) -> ``AVAResult.to_dict()``.
    """
    def cell(value: Optional[float]) -> str:
        return '     -' if value is None else f'{value:6.3f}'

    width = max(len(LABELS.get(k, k)) for k in rows)
    head = ' '.join(f'{g:>6}' for g in GROUPS)
    lines = [f'{"":{width}}  {head}     mAP']
    for label, res in rows.items():
        groups = ' '.join(cell(res['groups'].get(g)) for g in GROUPS)
        lines.append(f'{LABELS.get(label, label):{width}}  {groups}  '
                     f'{cell(res["mAP"])}')
    return '\n'.join(lines)


def format_per_class(rows: Dict[str, dict]) -> str:
    """AP of every class (columns: the rows of :func:`format_table`).

    Args:
        rows (dict): Level name (or ``baseline``) -> ``AVAResult.to_dict()``.
    """
    first = next(iter(rows.values()))
    names = first['class_names']
    lines = ['class         ' + ' '.join(f'{k:>11}' for k in rows)]
    for cid, name in names.items():
        aps = [r['per_class'].get(cid) for r in rows.values()]
        lines.append(f'{cid:>2} {name:10} ' + ' '.join(
            '          -' if v is None else f'{v:11.3f}' for v in aps))
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    """Run the check, print the table, write the optional JSON.

    Args:
        argv (list[str], optional): Arguments; None reads ``sys.argv``.

    Returns:
        int: 0, or 1 when an input is missing or malformed.
    """
    args = parse_args(argv)
    start = time.perf_counter()
    try:
        if args.baseline and not args.data:
            raise ValueError('--baseline needs --data (its ground truth)')
        cfg = config_from_args(args)
        gt_dir = osp.join(args.data, 'annotations') if args.data else None
        results = run_oracle_check(cfg, args.work_dir, gt_dir, args.levels,
                                   args.classifier_seed, args.steps)
        rows = dict(results)
        if args.baseline:
            rows['baseline'] = evaluate_ava_files(
                osp.join(gt_dir, 'val.csv'), args.baseline,
                osp.join(gt_dir, 'action_list.pbtxt'),
                osp.join(gt_dir, 'excluded_timestamps_val.csv'),
                class_groups=SYNTHETIC_CLASS_GROUPS).to_dict()
    except (OSError, ValueError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    print(f'synthetic AVA val, seed {cfg.seed}: per-group mAP '
          '(official AVA frame-mAP)')
    print(format_table(rows))
    if args.per_class:
        print(format_per_class(rows))
    print(f'done in {time.perf_counter() - start:.1f} s')
    if args.json:
        os.makedirs(osp.dirname(osp.abspath(args.json)), exist_ok=True)
        with open(args.json, 'w') as f:
            json.dump({'params': cfg.to_dict(), 'results': rows}, f,
                      indent=2)
        print(f'JSON written to {args.json}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
