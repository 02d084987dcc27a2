"""mmaction2 checkpoints load unchanged.

* A whole AVA detector checkpoint laid out like mmaction2's (``meta``,
  ``state_dict``, ``optimizer``; keys and shapes taken from mmaction2
  1.2.0's own backbone and BBoxHeadAVA built from our config's dicts) loads
  into the detector our config builds with ``strict=True``.
* A recognition checkpoint (``backbone.*`` + ``cls_head.*``) initialises the
  backbone: through the detector's ``init_cfg`` (mmaction2 1.x configs),
  the backbone's ``init_cfg`` with ``prefix='backbone.'``, or the backbone's
  ``pretrained`` (mmaction2 0.x configs).
"""
import copy
import os.path as osp

import pytest
import torch
from mmengine.runner.checkpoint import load_checkpoint

from mmaction_aia.engine.runner_setup import load_config
from mmaction_aia.models.backbones import ResNet3dSlowFast, ResNet3dSlowOnly
from mmaction_aia.registry import MODELS

from .test_mmaction2_compat import (
    TINY_SLOWFAST,
    _load_oracle,
    load_oracle_bbox_head,
)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
AVA = osp.join(REPO, 'configs/detection/ava')
SYNTHETIC = osp.join(
    REPO, 'configs/detection/synthetic/'
    'slowonly_tiny_r18_8x4x1_synthetic_ava_rgb.py')


def _random_like(state_dict: dict, seed: int) -> dict:
    gen = torch.Generator().manual_seed(seed)
    return {
        key: (torch.randn(value.shape, generator=gen).abs() + 0.5
              if key.endswith('running_var') else
              torch.randn(value.shape, generator=gen))
        if value.is_floating_point() else value
        for key, value in state_dict.items()
    }


def _mmaction2_detector_state(cfg) -> dict:
    """State dict of mmaction2's detector for ``cfg.model``: its backbone
    and head modules, with FastRCNN's ``backbone.`` / ``roi_head.bbox_head.``
    prefixes."""
    backbone = dict(cfg.model.backbone)
    oracle_cls = getattr(_load_oracle(), backbone.pop('type'))
    head = dict(cfg.model.roi_head.bbox_head)
    head.pop('type')
    head.setdefault('background_class', True)
    state = {f'backbone.{k}': v for k, v in oracle_cls(
        **copy.deepcopy(backbone)).state_dict().items()}
    state.update({f'roi_head.bbox_head.{k}': v for k, v in
                  load_oracle_bbox_head()(**head).state_dict().items()})
    return _random_like(state, seed=0)


@pytest.mark.parametrize('config', [
    'slowfast_kinetics_pretrained_r50_4x16x1_20e_ava_rgb.py',
    'slowonly_kinetics_pretrained_r50_4x16x1_20e_ava_rgb.py',
    'slowonly_nl_kinetics_pretrained_r50_4x16x1_10e_ava_rgb.py',
    'slowfast_context_kinetics_pretrained_r50_4x16x1_20e_ava_rgb.py',
])
def test_mmaction2_ava_checkpoint_loads_strictly(tmp_path, config):
    cfg = load_config(osp.join(AVA, config))
    state = _mmaction2_detector_state(cfg)
    path = tmp_path / 'mmaction2_ava.pth'
    torch.save(
        dict(meta=dict(mmcv_version='1.3.1', epoch=20,
                       CLASSES=None, config='model = dict(...)'),
             state_dict=state,
             optimizer=dict(state={}, param_groups=[dict(lr=0.1,
                                                         params=[0, 1])])),
        path)
    cfg.model.init_cfg = None
    model = MODELS.build(cfg.model)
    assert list(model.state_dict()) == list(state)
    checkpoint = load_checkpoint(model, str(path), map_location='cpu',
                                 strict=True)
    assert checkpoint['meta']['epoch'] == 20
    loaded = model.state_dict()
    for key, value in state.items():
        assert torch.equal(loaded[key], value), key


def _save_recognizer(path, backbone: torch.nn.Module) -> dict:
    """An mmaction2 recognizer checkpoint of ``backbone`` (random)."""
    weights = _random_like(backbone.state_dict(), seed=1)
    state = {f'backbone.{k}': v for k, v in weights.items()}
    state['cls_head.fc_cls.weight'] = torch.zeros(400, 8)
    state['cls_head.fc_cls.bias'] = torch.zeros(400)
    torch.save(dict(meta=dict(epoch=256), state_dict=state), path)
    return weights


def _assert_loaded(module: torch.nn.Module, weights: dict) -> None:
    loaded = module.state_dict()
    assert set(loaded) == set(weights)
    for key, value in weights.items():
        assert torch.equal(loaded[key], value), key


def test_detector_init_cfg_loads_recognizer_backbone(tmp_path):
    """mmaction2 1.x AVA configs: ``model.init_cfg=Pretrained(recognizer)``
    fills ``backbone.*``; the recognizer's ``cls_head`` is not used."""
    cfg = load_config(SYNTHETIC)
    path = tmp_path / 'recognizer.pth'
    weights = _save_recognizer(path, MODELS.build(cfg.model).backbone)
    cfg.model.init_cfg = dict(type='Pretrained', checkpoint=str(path))
    model = MODELS.build(cfg.model)
    model.init_weights()
    _assert_loaded(model.backbone, weights)
    assert not any(k.startswith('cls_head') for k in model.state_dict())


@pytest.mark.parametrize('how', ['init_cfg_prefix', 'pretrained'])
@pytest.mark.parametrize('backbone_cls, cfg', [
    (ResNet3dSlowOnly, dict(depth=18, base_channels=8, pretrained2d=False,
                            non_local=(0, 1, 0, 0))),
    (ResNet3dSlowFast, TINY_SLOWFAST),
])
def test_backbone_loads_recognizer_checkpoint(tmp_path, how, backbone_cls,
                                              cfg):
    """Backbone-level loading: ``init_cfg=Pretrained(prefix='backbone.')``
    (1.x) and ``pretrained=`` (0.x configs, whose files carry the
    ``backbone.`` prefix)."""
    path = tmp_path / 'recognizer.pth'
    weights = _save_recognizer(path, backbone_cls(**copy.deepcopy(cfg)))
    extra = dict(init_cfg=dict(type='Pretrained', checkpoint=str(path),
                               prefix='backbone.')) if how == \
        'init_cfg_prefix' else dict(pretrained=str(path))
    model = backbone_cls(**copy.deepcopy(cfg), **extra)
    model.init_weights()
    _assert_loaded(model, weights)
