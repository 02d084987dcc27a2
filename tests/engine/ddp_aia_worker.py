"""Train an AIA config under torchrun and save each rank's memory bank.

    python -m torch.distributed.run --nproc_per_node 2 \
        tests/engine/ddp_aia_worker.py CONFIG WORK_DIR
"""
import sys

import torch
from mmengine.runner import Runner

from mmaction_aia.engine.aia_memory_hook import aia_roi_head
from mmaction_aia.engine.runner_setup import (
    load_config,
    set_ava_metric_outputs,
    setup_launcher,
    shutdown_distributed,
)

if __name__ == '__main__':
    cfg = load_config(sys.argv[1])
    cfg.work_dir = sys.argv[2]
    for key in ('val_evaluator', 'test_evaluator'):  # results in work_dir
        set_ava_metric_outputs(cfg, key, cfg.work_dir)
    setup_launcher(cfg, 'pytorch')  # gloo without CUDA, as tools/train.py
    runner = Runner.from_cfg(cfg)
    runner.train()
    bank = aia_roi_head(runner).memory_bank
    torch.save(bank.state_dict(), f'{sys.argv[2]}/bank_rank{runner.rank}.pth')
    shutdown_distributed()
