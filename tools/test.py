"""Test (evaluate) a trained action detector.

    python tools/test.py CONFIG CHECKPOINT [--eval mAP] [--out results.csv]
        [--dump results.pkl] [--work-dir DIR] [--cfg-options k=v ...]
        [--launcher none|pytorch|slurm] [--fast]

``--out results.csv`` writes the official AVA rows
``video_id,timestamp,x1,y1,x2,y2,action_id,score`` (mmaction2 0.x habit);
``--out x.pkl`` or ``--dump x.pkl`` pickles the raw predictions.
"""
import argparse
import os.path as osp

from mmengine.config import DictAction
from mmengine.runner import Runner

from mmaction_aia.engine.runner_setup import (
    add_local_rank_env,
    default_work_dir,
    load_config,
    parse_metric_names,
    prepare_synthetic_data,
    set_ava_metric_outputs,
    setup_launcher,
    shutdown_distributed,
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test an action detector')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where logs and results go')
    parser.add_argument(
        '--eval', nargs='+', metavar='METRIC',
        help='metrics to report (mmaction2 0.x style); AVA supports mAP')
    parser.add_argument(
        '--out', help='official AVA results CSV (.csv), or a pickle of the '
        'raw predictions (.pkl)')
    parser.add_argument('--dump', help='pickle the raw predictions here')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, e.g. test_dataloader.batch_size=4')
    parser.add_argument(
        '--fast', action='store_true',
        help='fast inference (docs/fast_inference.md): channels_last_3d, '
        'oneDNN conv3d and folded BN on CPU, autocast where it pays off, '
        'cudnn.benchmark; refine with --cfg-options '
        'model.fast_inference.autocast_dtype=bfloat16 etc.')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'])
    parser.add_argument('--local_rank', '--local-rank', type=int,
                        default=None)
    return parser.parse_args(argv)


def build_test_config(args):
    cfg = load_config(args.config, args.cfg_options)
    cfg.work_dir = default_work_dir(args.config, args.work_dir, cfg)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}')
    cfg.load_from = args.checkpoint
    if args.fast:
        fast = cfg.model.get('fast_inference')
        cfg.model.fast_inference = fast if isinstance(fast, dict) else {}
        cfg.setdefault('env_cfg', {})['cudnn_benchmark'] = True
    parse_metric_names(args.eval)
    results_csv, dumps = None, []
    if args.out:
        if args.out.endswith('.csv'):
            results_csv = args.out
        elif args.out.endswith(('.pkl', '.pickle')):
            dumps.append(args.out)
        else:
            raise ValueError(f'--out {args.out}: expected a .csv (official '
                             'AVA results) or .pkl file')
    if args.dump:
        if not args.dump.endswith(('.pkl', '.pickle')):
            raise ValueError(f'--dump {args.dump}: expected a .pkl file')
        dumps.append(args.dump)
    found = set_ava_metric_outputs(cfg, 'test_evaluator', cfg.work_dir,
                                   results_csv)
    if (results_csv or args.eval) and not found:
        raise ValueError(f'{args.config}: test_evaluator has no AVAMetric, '
                         'needed for --eval mAP / --out results.csv')
    if dumps:
        evaluator = cfg.test_evaluator
        metrics = list(evaluator) if isinstance(evaluator,
                                                (list, tuple)) else [evaluator]
        metrics += [dict(type='DumpResults', out_file_path=p) for p in dumps]
        cfg.test_evaluator = metrics
    return cfg


def main(argv=None):
    args = parse_args(argv)
    add_local_rank_env(args.local_rank)
    cfg = build_test_config(args)
    setup_launcher(cfg, args.launcher)
    prepare_synthetic_data(cfg)
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    if runner.rank == 0:
        summary = ', '.join(f'{k}: {v:.4f}' if isinstance(v, float) else
                            f'{k}: {v}' for k, v in (metrics or {}).items())
        print(f'Test results ({args.checkpoint}): {summary}')
    shutdown_distributed()


if __name__ == '__main__':
    main()
