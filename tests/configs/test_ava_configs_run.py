"""Every AVA model-zoo config trains one iteration and tests one batch.

Each config is used as shipped (backbone depth, pathways, head variant,
optimizer, clip length) except for what cannot run in CI: the pretrained
checkpoint (``init_cfg``, a download) is dropped and the frames are 32x32
random pixels instead of 256x256 AVA frames.
"""
import copy
import glob
import os.path as osp

import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmengine.structures import InstanceData

from mmaction_aia.engine.runner_setup import load_config
from mmaction_aia.registry import MODELS, PARAM_SCHEDULERS
from mmaction_aia.structures import ActionDataSample

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
AVA_CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs/detection/ava/*.py')))
SIZE = 32
EPOCH_LENGTH = 4


def _clip_len(cfg) -> int:
    sampler = cfg.train_dataloader.dataset.pipeline[0]
    assert sampler['type'] == 'SampleAVAFrames', sampler
    return sampler['clip_len']


def _batch(num_clips: int, clip_len: int, num_classes: int) -> dict:
    gen = torch.Generator().manual_seed(0)
    inputs, samples = [], []
    for i in range(num_clips):
        inputs.append(torch.randint(0, 256, (3, clip_len, SIZE, SIZE),
                                    dtype=torch.uint8, generator=gen))
        sample = ActionDataSample(metainfo=dict(
            img_shape=(SIZE, SIZE), video_id=f'v{i}', timestamp=902,
            img_key=f'v{i},0902'))
        labels = torch.zeros(2, num_classes)
        labels[0, 1] = labels[1, num_classes - 1] = 1
        boxes = torch.tensor([[2., 2., 15., 30.], [16., 4., 30., 30.]])
        sample.gt_instances = InstanceData(bboxes=boxes, labels=labels)
        sample.proposals = InstanceData(
            bboxes=torch.cat([boxes + 0.5, torch.tensor([[0., 0., 8., 8.]])]))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def _build_schedulers(cfg, optim_wrapper) -> list:
    """The config's param schedulers, as the Runner builds them."""
    schedulers = []
    for scheduler in copy.deepcopy(cfg.param_scheduler):
        scheduler = dict(scheduler)
        if scheduler.pop('convert_to_iter_based', False):
            cls = PARAM_SCHEDULERS.get(scheduler.pop('type'))
            schedulers.append(cls.build_iter_from_epoch(
                optim_wrapper, epoch_length=EPOCH_LENGTH, **scheduler))
        else:
            schedulers.append(PARAM_SCHEDULERS.build(
                dict(scheduler, optimizer=optim_wrapper)))
    return schedulers


def test_every_seed_config_is_shipped():
    names = {osp.basename(p)[:-3] for p in AVA_CONFIGS}
    seed_rows = {
        'slowonly_kinetics_pretrained_r50_4x16x1_20e_ava_rgb',
        'slowonly_omnisource_pretrained_r50_4x16x1_20e_ava_rgb',
        'slowonly_nl_kinetics_pretrained_r50_4x16x1_10e_ava_rgb',
        'slowonly_nl_kinetics_pretrained_r50_8x8x1_10e_ava_rgb',
        'slowonly_kinetics_pretrained_r101_8x8x1_20e_ava_rgb',
        'slowonly_omnisource_pretrained_r101_8x8x1_20e_ava_rgb',
        'slowfast_kinetics_pretrained_r50_4x16x1_20e_ava_rgb',
        'slowfast_context_kinetics_pretrained_r50_4x16x1_20e_ava_rgb',
        'slowfast_kinetics_pretrained_r50_8x8x1_20e_ava_rgb',
        'slowfast_kinetics_pretrained_r50_8x8x1_cosine_10e_ava22_rgb',
        'slowfast_temporal_max_kinetics_pretrained_r50_8x8x1_cosine_10e_'
        'ava22_rgb',
        'slowfast_temporal_max_focal_alpha3_gamma1_kinetics_pretrained_r50_'
        '8x8x1_cosine_10e_ava22_rgb',
        'slowonly_kinetics_pretrained_r50_4x16x1_20e_ava_rgb_custom_classes',
        'slowfast_kinetics_pretrained_r50_4x16x1_20e_ava_rgb_custom_classes',
    }
    assert seed_rows <= names


@pytest.mark.parametrize('path', AVA_CONFIGS, ids=osp.basename)
def test_config_trains_and_tests_one_iteration(path):
    cfg = load_config(path)
    assert cfg.model.init_cfg.type == 'Pretrained'
    cfg.model.init_cfg = None  # no download in CI
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    head = model.roi_head.bbox_head
    batch = _batch(2, _clip_len(cfg), head.num_classes)

    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    schedulers = _build_schedulers(cfg, optim_wrapper)
    before = {k: v.detach().clone() for k, v in model.named_parameters()}
    model.train()
    losses = model.train_step(copy.deepcopy(batch), optim_wrapper)
    for scheduler in schedulers:
        scheduler.step()
    assert torch.isfinite(losses['loss']) and losses['loss'] > 0
    changed = [k for k, v in model.named_parameters()
               if not torch.equal(v, before[k])]
    assert 'roi_head.bbox_head.fc_cls.weight' in changed or \
        'roi_head.bbox_head.fc_cls.2.weight' in changed
    assert any(k.startswith('backbone.') for k in changed)

    model.eval()
    with torch.no_grad():
        results = model.test_step(batch)
    assert len(results) == 2
    for result in results:
        scores = result.pred_instances.scores
        assert scores.shape == (3, head.num_classes)
        assert torch.isfinite(scores).all()
        assert ((scores >= 0) & (scores <= 1)).all()
