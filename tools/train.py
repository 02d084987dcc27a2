"""Train an action detector.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--validate | --no-validate] [--cfg-options k=v ...]
        [--launcher none|pytorch|slurm] [--seed N] [--deterministic]

Validation runs during training whenever the config defines it (mmaction2
1.x behaviour); ``--validate`` (mmaction2 0.x habit) makes that explicit and
fails if the config has no validation set; ``--no-validate`` turns it off.
"""
import argparse
import os.path as osp

import torch
from mmengine.config import DictAction
from mmengine.runner import Runner

from mmaction_aia.engine.runner_setup import (
    add_local_rank_env,
    default_work_dir,
    load_config,
    prepare_synthetic_data,
    set_ava_metric_outputs,
    setup_launcher,
    shutdown_distributed,
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train an action detector')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from CKPT, or from the latest checkpoint in the work '
        'dir when no path is given (optimizer, scheduler and iteration are '
        'restored)')
    parser.add_argument(
        '--amp', action='store_true',
        help='automatic mixed precision (fp16 on GPU, bf16 on CPU)')
    val = parser.add_mutually_exclusive_group()
    val.add_argument('--validate', action='store_true',
                     help='validate during training (error if the config '
                     'has no val_dataloader)')
    val.add_argument('--no-validate', action='store_true',
                     help='do not validate during training')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, e.g. train_cfg.max_epochs=2')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'])
    parser.add_argument('--seed', type=int, default=None, help='random seed')
    parser.add_argument('--deterministic', action='store_true',
                        help='deterministic cuDNN / torch algorithms')
    parser.add_argument('--local_rank', '--local-rank', type=int,
                        default=None)
    return parser.parse_args(argv)


def build_train_config(args):
    cfg = load_config(args.config, args.cfg_options)
    cfg.work_dir = default_work_dir(args.config, args.work_dir, cfg)
    has_val = cfg.get('val_dataloader') is not None and cfg.get(
        'val_cfg') is not None
    if args.validate and not has_val:
        raise ValueError(f'--validate: {args.config} defines no '
                         'val_dataloader / val_cfg / val_evaluator')
    if args.no_validate:
        cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    else:
        set_ava_metric_outputs(cfg, 'val_evaluator', cfg.work_dir)
    if args.amp:
        optim_wrapper = cfg.optim_wrapper
        optim_wrapper.type = 'AmpOptimWrapper'
        if torch.cuda.is_available():
            optim_wrapper.setdefault('loss_scale', 'dynamic')
        else:
            optim_wrapper.dtype = 'bfloat16'  # CPU autocast supports bf16
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        if not osp.isfile(args.resume):
            raise FileNotFoundError(f'--resume: no checkpoint {args.resume}')
        cfg.resume, cfg.load_from = True, args.resume
    if args.seed is not None or args.deterministic:
        randomness = dict(cfg.get('randomness') or {})
        if args.seed is not None:
            randomness['seed'] = args.seed
        randomness['deterministic'] = args.deterministic
        cfg.randomness = randomness
    return cfg


def main(argv=None):
    args = parse_args(argv)
    add_local_rank_env(args.local_rank)
    cfg = build_train_config(args)
    setup_launcher(cfg, args.launcher)
    prepare_synthetic_data(cfg)
    runner = Runner.from_cfg(cfg)
    runner.train()
    shutdown_distributed()


if __name__ == '__main__':
    main()
