"""Our backbones against mmaction2 1.2.0's own code (the oracle).

The oracle needs ``mmaction2==1.2.0`` and ``mmcv-lite==2.1.0`` installed
(pure Python, ``pip install --no-deps``; see requirements/tests.txt).
Importing ``mmaction`` runs its whole model zoo (einops, mmdet, ...), so the
three backbone files are executed by path under stub ``mmaction`` packages
whose ``MODELS`` is an isolated registry; the stubs are removed again so
nothing else in the test session sees them.

Each case builds both models from one config dict, asserts identical
state-dict keys (in order) and shapes, copies random weights from the
oracle into ours and compares outputs.
"""
import copy
import importlib
import importlib.util
import sys
import types
from pathlib import Path

import pytest
import torch
from mmengine.registry import Registry

from mmaction_aia.models.backbones import (
    ResNet3d,
    ResNet3dPathway,
    ResNet3dSlowFast,
    ResNet3dSlowOnly,
)
from mmaction_aia.models.common import ConvModule, NonLocal3d
from mmaction_aia.utils.model_checks import as_tuple

ATOL = 1e-4

SLOWFAST_R50_AVA = dict(
    resample_rate=8,
    speed_ratio=8,
    channel_ratio=8,
    slow_pathway=dict(
        type='resnet3d',
        depth=50,
        pretrained=None,
        lateral=True,
        conv1_kernel=(1, 7, 7),
        dilations=(1, 1, 1, 1),
        conv1_stride_t=1,
        pool1_stride_t=1,
        inflate=(0, 0, 1, 1),
        spatial_strides=(1, 2, 2, 1)),
    fast_pathway=dict(
        type='resnet3d',
        depth=50,
        pretrained=None,
        lateral=False,
        base_channels=8,
        conv1_kernel=(5, 7, 7),
        conv1_stride_t=1,
        pool1_stride_t=1,
        spatial_strides=(1, 2, 2, 1)))

SLOWONLY_R50_AVA = dict(
    depth=50,
    pretrained=None,
    pretrained2d=False,
    lateral=False,
    num_stages=4,
    conv1_kernel=(1, 7, 7),
    conv1_stride_t=1,
    pool1_stride_t=1,
    spatial_strides=(1, 2, 2, 1),
    norm_cfg=dict(type='BN3d', requires_grad=True))

SLOWONLY_R50_NL_AVA = dict(
    SLOWONLY_R50_AVA,
    non_local=((0, 0, 0), (1, 0, 1, 0), (1, 0, 1, 0, 1, 0), (0, 0, 0)),
    non_local_cfg=dict(
        sub_sample=True,
        use_scale=True,
        norm_cfg=dict(type='BN3d', requires_grad=True),
        mode='embedded_gaussian'))


def _import_mmaction_files(modules: dict, stubs: dict = None) -> dict:
    """Execute mmaction2 modules without ``mmaction/__init__``.

    Args:
        modules (dict): ``{key: 'mmaction.models....'}`` modules to import.
        stubs (dict, optional): ``{module name: {attribute: value}}`` stand-in
            modules (e.g. for mmdet, which is not installed), removed again
            afterwards like every stub.

    Returns:
        dict: ``{key: module}``.
    """
    spec = importlib.util.find_spec('mmaction')
    assert spec is not None, (
        'mmaction2 1.2.0 is required by this test: pip install --no-deps '
        'mmaction2==1.2.0 mmcv-lite==2.1.0')
    root = Path(spec.submodule_search_locations[0])
    stubs = stubs or {}

    def is_stub(name: str) -> bool:
        return (name == 'mmaction' or name.startswith('mmaction.')
                or name.split('.')[0] in {s.split('.')[0] for s in stubs})

    saved = {k: v for k, v in sys.modules.items() if is_stub(k)}
    try:
        for name in [k for k in sys.modules if is_stub(k)]:
            del sys.modules[name]
        packages = {'mmaction'}
        for target in modules.values():
            parts = target.split('.')
            packages |= {'.'.join(parts[:i]) for i in range(1, len(parts))}
        for name in sorted(packages):
            package = types.ModuleType(name)
            package.__path__ = [str(root.joinpath(*name.split('.')[1:]))]
            sys.modules[name] = package
        registry = types.ModuleType('mmaction.registry')
        registry.MODELS = Registry('mmaction2 oracle model',
                                   scope='mmaction2_oracle')
        sys.modules['mmaction.registry'] = registry
        for name, attributes in stubs.items():
            parts = name.split('.')
            for i in range(1, len(parts) + 1):
                sys.modules.setdefault('.'.join(parts[:i]),
                                       types.ModuleType('.'.join(parts[:i])))
            vars(sys.modules[name]).update(attributes)
        return {key: importlib.import_module(target)
                for key, target in modules.items()}
    finally:
        for name in [k for k in sys.modules if is_stub(k)]:
            del sys.modules[name]
        sys.modules.update(saved)


def _load_oracle() -> types.SimpleNamespace:
    """mmaction2's backbones and mmcv's ConvModule / NonLocal3d."""
    found = _import_mmaction_files(dict(
        resnet3d='mmaction.models.backbones.resnet3d',
        slowfast='mmaction.models.backbones.resnet3d_slowfast',
        slowonly='mmaction.models.backbones.resnet3d_slowonly'))
    from mmcv.cnn import ConvModule as MMCVConvModule
    from mmcv.cnn import NonLocal3d as MMCVNonLocal3d
    return types.SimpleNamespace(
        ResNet3d=found['resnet3d'].ResNet3d,
        ResNet3dPathway=found['slowfast'].ResNet3dPathway,
        ResNet3dSlowFast=found['slowfast'].ResNet3dSlowFast,
        ResNet3dSlowOnly=found['slowonly'].ResNet3dSlowOnly,
        ConvModule=MMCVConvModule,
        NonLocal3d=MMCVNonLocal3d)


def load_oracle_bbox_head() -> type:
    """mmaction2's ``BBoxHeadAVA`` (its mmdet / structures imports, unused
    by forward and the loss, are stand-ins)."""
    found = _import_mmaction_files(
        dict(bbox_head='mmaction.models.roi_heads.bbox_heads.bbox_head'),
        stubs={
            'mmdet.models.task_modules.samplers':
            dict(SamplingResult=object),
            'mmaction.structures.bbox':
            dict(bbox_target=None),
            'mmaction.utils':
            dict(InstanceList=list),
        })
    return found['bbox_head'].BBoxHeadAVA


@pytest.fixture(scope='module')
def oracle() -> types.SimpleNamespace:
    return _load_oracle()


def _shapes(model: torch.nn.Module) -> dict:
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def _randomize(model: torch.nn.Module, seed: int = 0) -> dict:
    """Random weights (positive running_var) so every tensor matters."""
    gen = torch.Generator().manual_seed(seed)
    state = {}
    for key, value in model.state_dict().items():
        if value.is_floating_point():
            value = torch.randn(value.shape, generator=gen) * 0.1
            if key.endswith('running_var'):
                value = value.abs() + 0.5
        state[key] = value
    return state


def _check_same(theirs: torch.nn.Module, ours: torch.nn.Module,
                inputs: torch.Tensor) -> float:
    """Same keys (in order) and shapes, same outputs after a weight copy.
    Returns the max abs output difference."""
    assert list(_shapes(ours).items()) == list(_shapes(theirs).items())
    state = _randomize(theirs)
    theirs.load_state_dict(state)
    ours.load_state_dict(state)
    theirs.eval()
    ours.eval()
    with torch.no_grad():
        expected, actual = as_tuple(theirs(inputs)), as_tuple(ours(inputs))
    assert len(expected) == len(actual)
    worst = 0.0
    for exp, act in zip(expected, actual):
        assert exp.shape == act.shape
        worst = max(worst, (exp - act).abs().max().item())
    assert worst < ATOL
    return worst


def _build_pair(oracle_cls, our_cls, cfg: dict):
    # mmaction2's SlowFast writes into its pathway dicts: give each a copy
    return oracle_cls(**copy.deepcopy(cfg)), our_cls(**copy.deepcopy(cfg))


@pytest.mark.parametrize('name, cfg, input_shape, num_keys', [
    ('slowfast_r50', SLOWFAST_R50_AVA, (1, 3, 32, 64, 64), 640),
    ('slowonly_r50', SLOWONLY_R50_AVA, (1, 3, 4, 64, 64), 318),
    ('slowonly_r50_nl', SLOWONLY_R50_NL_AVA, (1, 3, 4, 64, 64), 378),
])
def test_ava_backbones_match_mmaction2(oracle, name, cfg, input_shape,
                                       num_keys):
    our_cls = ResNet3dSlowFast if name.startswith('slowfast') else \
        ResNet3dSlowOnly
    theirs, ours = _build_pair(getattr(oracle, our_cls.__name__), our_cls,
                               cfg)
    assert len(ours.state_dict()) == num_keys
    torch.manual_seed(0)
    _check_same(theirs, ours, torch.randn(input_shape))


TINY_SLOWFAST = dict(
    resample_rate=4,
    speed_ratio=4,
    channel_ratio=4,
    slow_pathway=dict(
        type='resnet3d', depth=18, lateral=True, base_channels=16,
        conv1_kernel=(1, 7, 7), conv1_stride_t=1, pool1_stride_t=1,
        inflate=(0, 0, 1, 1), fusion_kernel=7, lateral_norm=True,
        lateral_infl=2),
    fast_pathway=dict(
        type='resnet3d', depth=18, lateral=False, base_channels=4,
        conv1_kernel=(5, 7, 7), conv1_stride_t=1, pool1_stride_t=1))


@pytest.mark.parametrize('our_cls, cfg, input_shape', [
    (ResNet3d, dict(depth=18, base_channels=8, out_indices=(0, 1, 2, 3)),
     (2, 3, 8, 32, 32)),
    (ResNet3d,
     dict(depth=50, base_channels=8, stage_blocks=(1, 1, 2, 1),
          style='caffe', inflate_style='3x3x3', dilations=(1, 1, 2, 2),
          spatial_strides=(1, 2, 1, 1), temporal_strides=(1, 2, 1, 1),
          inflate=((1, ), (0, ), (1, 0), (1, )), out_indices=(2, 3)),
     (1, 3, 8, 32, 32)),
    (ResNet3d, dict(depth=34, base_channels=8, num_stages=3,
                    spatial_strides=(1, 2, 2), temporal_strides=(1, 1, 2),
                    dilations=(1, 1, 1), out_indices=(2, ),
                    with_pool1=False, conv1_stride_t=2),
     (1, 3, 8, 32, 32)),
    (ResNet3dSlowOnly,
     dict(depth=18, base_channels=8, non_local=(0, 1, 1, 0),
          non_local_cfg=dict(mode='dot_product', sub_sample=False)),
     (1, 3, 4, 32, 32)),
    (ResNet3dSlowFast, TINY_SLOWFAST, (1, 3, 16, 32, 32)),
])
def test_variants_match_mmaction2(oracle, our_cls, cfg, input_shape):
    theirs, ours = _build_pair(getattr(oracle, our_cls.__name__), our_cls,
                               cfg)
    torch.manual_seed(1)
    _check_same(theirs, ours, torch.randn(input_shape))


def test_inverse_lateral_pathway_matches_mmaction2(oracle):
    """``lateral_inv`` pathways (transposed-conv laterals, used when the
    lateral source is the slower pathway): same layout and laterals."""
    cfg = dict(depth=18, base_channels=8, lateral=True, lateral_inv=True,
               speed_ratio=2, channel_ratio=2, lateral_activate=(0, 1, 1, 1))
    theirs, ours = _build_pair(oracle.ResNet3dPathway, ResNet3dPathway, cfg)
    torch.manual_seed(4)
    # layer1_lateral upsamples a (channel_ratio x wider) 2-frame feature
    _check_same(theirs.layer1_lateral, ours.layer1_lateral,
                torch.randn(1, 16, 2, 4, 4))
    assert list(_shapes(ours).items()) == list(_shapes(theirs).items())


@pytest.mark.parametrize('mode', [
    'embedded_gaussian', 'gaussian', 'dot_product', 'concatenation'
])
@pytest.mark.parametrize('sub_sample', [False, True])
def test_non_local_matches_mmcv(oracle, mode, sub_sample):
    kwargs = dict(sub_sample=sub_sample, mode=mode,
                  norm_cfg=dict(type='BN3d'))
    theirs = oracle.NonLocal3d(16, **kwargs)
    ours = NonLocal3d(16, **kwargs)
    torch.manual_seed(2)
    _check_same(theirs, ours, torch.randn(2, 16, 3, 6, 6))


@pytest.mark.parametrize('kwargs', [
    dict(conv_cfg=dict(type='Conv3d'), norm_cfg=dict(type='BN3d')),
    dict(conv_cfg=dict(type='Conv3d'), norm_cfg=dict(type='GN',
                                                     num_groups=4),
         act_cfg=dict(type='LeakyReLU'), order=('norm', 'conv', 'act')),
    dict(conv_cfg=dict(type='Conv3d'), act_cfg=None, bias=True),
])
def test_conv_module_matches_mmcv(oracle, kwargs):
    theirs = oracle.ConvModule(8, 8, 3, padding=1, **kwargs)
    ours = ConvModule(8, 8, 3, padding=1, **kwargs)
    torch.manual_seed(3)
    _check_same(theirs, ours, torch.randn(2, 8, 3, 5, 5))


def test_from_scratch_init_matches_mmaction2(oracle):
    """Same init recipe: zero-init residual norms, ones elsewhere, and
    Kaiming (fan_out) convs with the same scale."""
    cfg = dict(SLOWONLY_R50_NL_AVA, base_channels=8)
    theirs, ours = _build_pair(oracle.ResNet3dSlowOnly, ResNet3dSlowOnly,
                               cfg)
    theirs.init_weights()
    ours.init_weights()
    for (key, exp), act in zip(theirs.state_dict().items(),
                               ours.state_dict().values()):
        if '.bn.' in key or key.endswith('bias'):
            assert torch.equal(exp, act), key
        elif exp.dim() == 5 and exp.numel() > 1000:
            assert act.std().item() == pytest.approx(exp.std().item(),
                                                    rel=0.15), key
