"""Config and environment preparation shared by tools/train.py and test.py."""
import logging
import os
import os.path as osp
from typing import Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.logging import print_log

from mmaction_aia.utils.compat import adapt_mmaction2_config

#: evaluator types that write an official AVA results CSV
AVA_METRIC_TYPES = ('AVAMetric', )


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Load a config, apply ``--cfg-options`` and mmaction2 compatibility.

    Args:
        path (str): Config file.
        cfg_options (dict, optional): ``key=value`` overrides.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file not found: {path}')
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return adapt_mmaction2_config(cfg)


def prepare_synthetic_data(cfg: Config) -> None:
    """Generate the synthetic dataset a config names, if it is missing.

    A config opts in with ``synthetic_data = dict(out_dir=..., seed=...,
    ...)``; the call is a no-op when the dataset exists with the same
    parameters.
    """
    params = cfg.get('synthetic_data')
    if not params:
        return
    from mmaction_aia.datasets.synthetic import ensure_synthetic_ava
    params = dict(params)
    out_dir = params.pop('out_dir')
    ensure_synthetic_ava(out_dir, **params)


def iter_evaluators(cfg: Config, key: str):
    """Yield the metric dicts of ``cfg[key]`` (a dict or a list of dicts)."""
    evaluator = cfg.get(key)
    if evaluator is None:
        return
    if isinstance(evaluator, dict) and 'metrics' in evaluator:
        evaluator = evaluator['metrics']
    yield from (evaluator if isinstance(evaluator, (list, tuple)) else
                [evaluator])


def set_ava_metric_outputs(cfg: Config, key: str, out_dir: str,
                           results_csv: Optional[str] = None) -> int:
    """Point the AVA metrics of ``cfg[key]`` at the work dir / ``--out``.

    Returns:
        int: Number of AVA metrics found.
    """
    found = 0
    for metric in iter_evaluators(cfg, key):
        if metric.get('type') in AVA_METRIC_TYPES:
            metric.setdefault('out_dir', out_dir)
            if results_csv is not None:
                metric['results_csv'] = results_csv
            found += 1
    return found


def setup_launcher(cfg: Config, launcher: str) -> None:
    """Set the launcher; on machines without CUDA use gloo and CPU DDP.

    mmengine initialises NCCL and binds a CUDA device per rank; on a CPU-only
    machine the process group is created here with gloo instead, and the
    DDP wrapper is told not to bind devices.
    """
    cfg.launcher = launcher
    if launcher == 'none' or torch.cuda.is_available():
        return
    if launcher != 'pytorch':
        raise RuntimeError(
            f'--launcher {launcher} needs CUDA; on CPU use --launcher pytorch '
            '(torchrun / tools/dist_train.sh) or none')
    import torch.distributed as dist
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    cfg.model_wrapper_cfg = dict(
        type='MMDistributedDataParallel', device_ids=None,
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    print_log(f'CPU distributed run: gloo backend, rank '
              f'{dist.get_rank()}/{dist.get_world_size()}', logger='current',
              level=logging.INFO)


def default_work_dir(config_path: str, work_dir: Optional[str],
                     cfg: Config) -> str:
    """``--work-dir`` > ``cfg.work_dir`` > ``./work_dirs/<config name>``."""
    if work_dir is not None:
        return work_dir
    if cfg.get('work_dir'):
        return cfg.work_dir
    return osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def add_local_rank_env(local_rank: Optional[int]) -> None:
    """Honour ``--local_rank`` from ``torch.distributed.launch``."""
    if local_rank is not None and 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(local_rank)


def parse_metric_names(names: Optional[Sequence[str]]) -> None:
    """Validate 0.x-style ``--eval`` names (only ``mAP`` exists for AVA)."""
    for name in names or ():
        if name != 'mAP':
            raise ValueError(
                f'--eval {name}: unknown metric; AVA detection supports '
                '"mAP" (the metric itself is configured in test_evaluator)')


def shutdown_distributed() -> None:
    """Tear the process group down after all ranks are done.

    Leaving it to interpreter exit lets one rank destroy gloo's threads
    while another still talks to it, which can abort (SIGABRT, "terminate
    called without an active exception") after the work is saved.
    """
    if torch.distributed.is_available() and \
            torch.distributed.is_initialized():
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()
