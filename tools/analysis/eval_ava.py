"""Evaluate an AVA results CSV: the official frame-mAP, per class and group.

    python tools/analysis/eval_ava.py --gt ava_val_v2.2.csv \\
        --pred results.csv \\
        --label-map ava_action_list_v2.2_for_activitynet_2019.pbtxt \\
        [--exclusions ava_val_excluded_timestamps_v2.2.csv] \\
        [--mode official|mmaction2] [--custom-classes 11 12 ...] \\
        [--json out.json] [--plot out.png]

Prints a table (class id, name, AP, ground-truth boxes, detections), the
group means and the mAP. ``--mode mmaction2`` reproduces mmaction2 1.x's
numbers (not the official protocol; see docs/evaluation.md). ``--json``
writes ``{"mAP": ..., "per_class": {"<id>": AP}, "num_gt": ..., "groups":
...}`` (null for classes without ground truth); ``--plot`` draws per-class
AP as a bar chart (needs matplotlib).
"""
import argparse
import json
import os
import sys
import time
from typing import List, Optional

from mmaction_aia.evaluation.functional import (
    MODES,
    evaluate_ava_files,
    format_ava_table,
    plot_ava_result,
)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Command-line arguments (see the module docstring).

    Args:
        argv (list[str], optional): Arguments; None reads ``sys.argv``.

    Returns:
        argparse.Namespace: The parsed arguments.
    """
    parser = argparse.ArgumentParser(
        description='AVA frame-mAP (official ActivityNet semantics)')
    parser.add_argument('--gt', required=True, help='ground-truth CSV')
    parser.add_argument('--pred', required=True, help='results CSV')
    parser.add_argument('--label-map', required=True,
                        help='label map (pbtxt); its ids are evaluated')
    parser.add_argument('--exclusions', help='excluded keyframes CSV')
    parser.add_argument('--mode', choices=MODES, default='official',
                        help='official (default) or mmaction2 1.x variant')
    parser.add_argument('--custom-classes', type=int, nargs='+',
                        help='evaluate only these class ids')
    parser.add_argument('--json', help='write the result as JSON here')
    parser.add_argument('--plot', help='save a per-class AP bar chart here')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    """Evaluate, print the table, write the optional JSON and plot.

    Args:
        argv (list[str], optional): Arguments; None reads ``sys.argv``.

    Returns:
        int: 0, or 1 when an input file is missing or malformed.
    """
    args = parse_args(argv)
    start = time.perf_counter()
    try:
        result = evaluate_ava_files(args.gt, args.pred, args.label_map,
                                    args.exclusions, args.mode,
                                    args.custom_classes)
    except (OSError, ValueError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    print(format_ava_table(result))
    print(f'evaluated in {time.perf_counter() - start:.2f} s')
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)),
                    exist_ok=True)
        with open(args.json, 'w') as f:
            json.dump(result.to_dict(), f, indent=2)
        print(f'JSON written to {args.json}')
    if args.plot:
        plot_ava_result(result, args.plot)
        print(f'plot written to {args.plot}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
