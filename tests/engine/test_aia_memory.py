"""AIA memory hook, two-pass loops, checkpoints and DDP (tiny synthetic)."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.runner import Runner

from mmaction_aia.engine import AIAMemoryHook
from mmaction_aia.engine.aia_memory_hook import CHECKPOINT_KEY, aia_roi_head
from mmaction_aia.engine.runner_setup import (
    load_config,
    set_ava_metric_outputs,
)
from tests.tools.conftest import REPO, write_tiny_config

AIA_EXTRA = '''
model['roi_head'] = dict(
    _delete_=True, type='AIARoIHead',
    bbox_roi_extractor=dict(type='SingleRoIExtractor3D', output_size=4,
                            with_global=True),
    bbox_head=dict(type='AIABBoxHead', in_channels=128, aia_channels=128,
                   mlp_channels=32, num_classes=15),
    aia=dict(block_list=['P', 'O', 'M'], structure='dense', dim_inner=16,
             geometry=True),
    memory=dict(length=(2, 2), max_per_sec=3))
train_dataloader['dataset']['object_file'] = anno_root + '/objects_train.pkl'
val_dataloader['dataset']['object_file'] = anno_root + '/objects_val.pkl'
val_cfg = dict(type='AIAValLoop')
test_cfg = dict(type='AIATestLoop')
custom_hooks = [dict(type='AIAMemoryHook', save_in_checkpoint=True)]
train_cfg = dict(max_epochs=1, val_begin=1, val_interval=1)
'''


def _keyframes(data_root, split):
    rows = (data_root / 'annotations' / f'{split}.csv').read_text()
    return {(r.split(',')[0], int(r.split(',')[1]))
            for r in rows.splitlines()}


def _in_process_config(config, work_dir):
    # tools/train.py points the AVA metrics at the work dir; do the same
    # here so no results CSV lands in the current directory
    cfg = load_config(config)
    cfg.work_dir = work_dir
    for key in ('val_evaluator', 'test_evaluator'):
        set_ava_metric_outputs(cfg, key, work_dir)
    return cfg


@pytest.fixture(scope='module')
def aia_run(tiny_data_root, tmp_path_factory):
    """One epoch of AIA training with two-pass validation, in process."""
    tmp = tmp_path_factory.mktemp('aia')
    config = write_tiny_config(tmp, tiny_data_root, AIA_EXTRA)
    cfg = _in_process_config(config, str(tmp / 'work'))
    runner = Runner.from_cfg(cfg)
    runner.train()
    return config, runner, tmp


def test_training_fills_the_bank_with_every_keyframe(aia_run,
                                                     tiny_data_root):
    _, runner, _ = aia_run
    bank = aia_roi_head(runner).memory_bank
    state = bank.state_dict()
    keys = set(zip(state['video_ids'], state['timestamps']))
    assert keys == _keyframes(tiny_data_root, 'train')
    assert bank.current_loss is not None and bank.current_loss > 0
    assert all(tag > 0 for tag in state['loss_tags'])


def test_two_pass_validation_scores_every_keyframe(aia_run):
    _, runner, _ = aia_run
    train_bank = aia_roi_head(runner).memory_bank
    metrics = runner.val_loop.run()
    assert 'mAP' in metrics and 0 <= metrics['mAP'] <= 1
    # the training bank is put back after the test pass
    assert aia_roi_head(runner).memory_bank is train_bank


def test_checkpoint_restores_or_rebuilds_the_bank(aia_run):
    config, runner, tmp = aia_run
    ckpt_path = osp.join(runner.work_dir, 'epoch_1.pth')
    checkpoint = torch.load(ckpt_path, map_location='cpu')  # weights_only
    saved = checkpoint[CHECKPOINT_KEY]
    assert len(saved['video_ids']) == len(aia_roi_head(runner).memory_bank)
    cfg = _in_process_config(config, str(tmp / 'resumed'))
    cfg.load_from, cfg.resume = ckpt_path, True
    resumed = Runner.from_cfg(cfg)
    resumed.load_or_resume()
    bank = aia_roi_head(resumed).memory_bank
    assert len(bank) == len(saved['video_ids'])
    assert bank.current_loss == pytest.approx(saved['current_loss'])
    # without a saved bank the resumed run starts empty and rebuilds
    del checkpoint[CHECKPOINT_KEY]
    AIAMemoryHook().after_load_checkpoint(resumed, checkpoint)
    assert len(bank) == 0


def test_hook_keeps_the_bank_out_of_checkpoints_by_default(aia_run):
    _, runner, _ = aia_run
    checkpoint = {}
    AIAMemoryHook().before_save_checkpoint(runner, checkpoint)
    assert CHECKPOINT_KEY not in checkpoint


def test_two_ddp_ranks_hold_the_same_bank(aia_run, tiny_data_root):
    config, _, tmp = aia_run
    work = tmp / 'ddp'
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node',
         '2', '--master_port', '29653',
         osp.join(REPO, 'tests/engine/ddp_aia_worker.py'), config,
         str(work)],
        env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    banks = [torch.load(work / f'bank_rank{r}.pth') for r in (0, 1)]
    keys = [list(zip(b['video_ids'], b['timestamps'])) for b in banks]
    assert sorted(keys[0]) == sorted(keys[1])
    # each rank saw half of the keyframes; both hold all of them
    assert set(keys[0]) == _keyframes(tiny_data_root, 'train')
    order = {k: i for i, k in enumerate(keys[1])}
    for i, key in enumerate(keys[0]):
        j = order[key]
        assert torch.equal(banks[0]['features'][i], banks[1]['features'][j])
        assert banks[0]['loss_tags'][i] == banks[1]['loss_tags'][j]
