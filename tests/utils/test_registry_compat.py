from mmengine.config import Config

from mmaction_aia.models import ActionDetector, BBoxHeadAVA
from mmaction_aia.registry import MODELS
from mmaction_aia.utils import adapt_mmaction2_config


def test_foreign_scopes_resolve_to_our_classes():
    assert MODELS.get('mmaction.BBoxHeadAVA') is BBoxHeadAVA
    assert MODELS.get('mmdet.FastRCNN') is ActionDetector
    assert MODELS.get('FastRCNN') is ActionDetector
    assert MODELS.get('mmaction.NoSuchThing') is None


def test_build_under_mmdet_scope():
    head = MODELS.build(dict(type='BBoxHeadAVA', _scope_='mmdet',
                             in_channels=4, num_classes=3, topk=1))
    assert isinstance(head, BBoxHeadAVA)


def test_config_rewrite_strips_foreign_scopes():
    cfg = Config(dict(
        default_scope='mmaction',
        model=dict(type='FastRCNN', _scope_='mmdet',
                   backbone=dict(type='mmaction.ResNet3dSlowFast'),
                   data_preprocessor=dict(type='ActionDataPreprocessor',
                                          _scope_='mmaction')),
        train_pipeline=[dict(type='mmaction.SampleAVAFrames')],
        optim_wrapper=dict(optimizer=dict(type='mmengine.SGD'))))
    cfg = adapt_mmaction2_config(cfg)
    assert cfg.default_scope == 'mmaction_aia'
    assert cfg.model.type == 'FastRCNN' and '_scope_' not in cfg.model
    assert cfg.model.backbone.type == 'ResNet3dSlowFast'
    assert '_scope_' not in cfg.model.data_preprocessor
    assert cfg.train_pipeline[0].type == 'SampleAVAFrames'
    # other scopes are left alone
    assert cfg.optim_wrapper.optimizer.type == 'mmengine.SGD'
