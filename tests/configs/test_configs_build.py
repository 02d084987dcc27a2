"""Every shipped config loads, resolves its mmaction2 names and builds."""
import glob
import os.path as osp

import pytest
import torch

from mmaction_aia.engine.runner_setup import load_config
from mmaction_aia.registry import DATASETS, MODELS, TRANSFORMS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs/detection/**/*.py'),
                           recursive=True))


def test_configs_found():
    names = {osp.basename(c) for c in CONFIGS}
    assert 'slowonly_kinetics_pretrained_r50_4x16x1_20e_ava_rgb.py' in names
    assert ('slowonly_kinetics_pretrained_r50_4x16x1_20e_ava_rgb_'
            'custom_classes.py') in names


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_builds_model_and_pipelines(path):
    cfg = load_config(path)
    assert cfg.default_scope == 'mmaction_aia'
    model = MODELS.build(cfg.model)  # no init_weights: nothing downloaded
    head = model.roi_head.bbox_head
    assert head.num_classes == cfg.val_evaluator.get('num_classes', 81)
    for loader in ('train_dataloader', 'val_dataloader'):
        dataset = cfg[loader].dataset
        assert DATASETS.get(dataset.type) is not None
        for transform in dataset.pipeline:
            assert TRANSFORMS.build(transform) is not None
    if 'custom_classes' in cfg:
        assert head.num_classes == len(cfg.custom_classes) + 1
        assert cfg.train_dataloader.dataset.custom_classes == \
            cfg.custom_classes
    model.eval()
    clip_len = cfg.train_dataloader.dataset.pipeline[0].get('clip_len', 4)
    with torch.no_grad():
        feats = model.extract_feat(torch.zeros(1, 3, clip_len, 32, 32))
    # SlowFast gives (slow, fast): the RoI feature concatenates them
    channels = sum(f.shape[1] for f in feats) if isinstance(
        feats, tuple) else feats.shape[1]
    assert channels == head.in_channels // (
        2 if model.roi_head.bbox_roi_extractor.with_global else 1)
