"""ResNet3d / SlowOnly / SlowFast backbones and their building blocks."""
import copy

import pytest
import torch
import torch.nn as nn
from mmengine.registry import init_default_scope

from mmaction_aia.models.backbones import (
    BasicBlock3d,
    Bottleneck3d,
    ResNet3d,
    ResNet3dSlowFast,
    ResNet3dSlowOnly,
)
from mmaction_aia.models.common import ConvModule, NonLocal3d, build_norm_layer
from mmaction_aia.registry import MODELS
from mmaction_aia.utils.model_checks import as_tuple

BN_SUFFIXES = ('weight', 'bias', 'running_mean', 'running_var',
               'num_batches_tracked')

SLOWFAST_R50 = dict(
    resample_rate=8,
    speed_ratio=8,
    channel_ratio=8,
    slow_pathway=dict(type='resnet3d', depth=50, pretrained=None,
                      lateral=True, conv1_kernel=(1, 7, 7),
                      dilations=(1, 1, 1, 1), conv1_stride_t=1,
                      pool1_stride_t=1, inflate=(0, 0, 1, 1),
                      spatial_strides=(1, 2, 2, 1)),
    fast_pathway=dict(type='resnet3d', depth=50, pretrained=None,
                      lateral=False, base_channels=8,
                      conv1_kernel=(5, 7, 7), conv1_stride_t=1,
                      pool1_stride_t=1, spatial_strides=(1, 2, 2, 1)))

SLOWONLY_R50 = dict(depth=50, pretrained=None, pretrained2d=False,
                    lateral=False, num_stages=4, conv1_kernel=(1, 7, 7),
                    conv1_stride_t=1, pool1_stride_t=1,
                    spatial_strides=(1, 2, 2, 1))

NL_STAGES = ((0, 0, 0), (1, 0, 1, 0), (1, 0, 1, 0, 1, 0), (0, 0, 0))
NL_CFG = dict(sub_sample=True, use_scale=True, mode='embedded_gaussian',
              norm_cfg=dict(type='BN3d', requires_grad=True))

TINY_SLOWFAST = dict(
    resample_rate=4, speed_ratio=4, channel_ratio=4,
    slow_pathway=dict(type='resnet3d', depth=18, lateral=True,
                      base_channels=16, conv1_kernel=(1, 7, 7),
                      conv1_stride_t=1, pool1_stride_t=1,
                      inflate=(0, 0, 1, 1), spatial_strides=(1, 2, 2, 1)),
    fast_pathway=dict(type='resnet3d', depth=18, lateral=False,
                      base_channels=4, conv1_kernel=(5, 7, 7),
                      conv1_stride_t=1, pool1_stride_t=1,
                      spatial_strides=(1, 2, 2, 1)))


def conv_module_keys(name: str, bias: bool = False,
                     norm: bool = True) -> set:
    keys = {f'{name}.conv.weight'}
    if bias:
        keys.add(f'{name}.conv.bias')
    if norm:
        keys |= {f'{name}.bn.{suffix}' for suffix in BN_SUFFIXES}
    return keys


def resnet_keys(prefix: str, stage_blocks, convs_per_block: int = 3,
                non_local=None, downsample=(1, 1, 1, 1)) -> set:
    """The state-dict keys the spec lists for a ResNet3d."""
    keys = conv_module_keys(prefix + 'conv1')
    for i, num_blocks in enumerate(stage_blocks):
        for j in range(num_blocks):
            block = f'{prefix}layer{i + 1}.{j}'
            for k in range(1, convs_per_block + 1):
                keys |= conv_module_keys(f'{block}.conv{k}')
            if j == 0 and downsample[i]:
                keys |= conv_module_keys(f'{block}.downsample')
            if non_local and non_local[i][j]:
                nl = f'{block}.non_local_block'
                keys |= conv_module_keys(nl + '.g.0', bias=True, norm=False)
                keys |= conv_module_keys(nl + '.theta', bias=True,
                                         norm=False)
                keys |= conv_module_keys(nl + '.phi.0', bias=True,
                                         norm=False)
                keys |= conv_module_keys(nl + '.conv_out')
    return keys


def shapes(model: nn.Module) -> dict:
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


@pytest.fixture(scope='module')
def slowfast_r50() -> ResNet3dSlowFast:
    return ResNet3dSlowFast(**copy.deepcopy(SLOWFAST_R50)).eval()


@pytest.fixture(scope='module')
def slowonly_r50() -> ResNet3dSlowOnly:
    return ResNet3dSlowOnly(**SLOWONLY_R50).eval()


# --------------------------------------------------------------- key layout
def test_slowfast_r50_state_dict_layout(slowfast_r50):
    keys = shapes(slowfast_r50)
    laterals = {f'slow_path.{name}.conv.weight'
                for name in ('conv1_lateral', 'layer1_lateral',
                             'layer2_lateral', 'layer3_lateral')}
    expected = (resnet_keys('slow_path.', (3, 4, 6, 3))
                | resnet_keys('fast_path.', (3, 4, 6, 3)) | laterals)
    assert set(keys) == expected
    assert len(keys) == 640
    assert 'slow_path.layer4_lateral.conv.weight' not in keys
    assert keys['slow_path.conv1.conv.weight'] == (64, 3, 1, 7, 7)
    assert keys['fast_path.conv1.conv.weight'] == (8, 3, 5, 7, 7)
    assert keys['slow_path.conv1_lateral.conv.weight'] == (16, 8, 5, 1, 1)
    assert keys['slow_path.layer1_lateral.conv.weight'] == (64, 32, 5, 1, 1)
    assert keys['slow_path.layer2_lateral.conv.weight'] == (128, 64, 5, 1,
                                                            1)
    assert keys['slow_path.layer3_lateral.conv.weight'] == (256, 128, 5, 1,
                                                            1)
    # block-0 inputs include the lateral channels; widths 64..512
    for i, (in_ch, width) in enumerate(
            zip((80, 320, 640, 1280), (64, 128, 256, 512)), start=1):
        t_kernel = 1 if i <= 2 else 3
        assert keys[f'slow_path.layer{i}.0.conv1.conv.weight'] == (
            width, in_ch, t_kernel, 1, 1)
        assert keys[f'slow_path.layer{i}.0.conv2.conv.weight'] == (
            width, width, 1, 3, 3)
        assert keys[f'slow_path.layer{i}.0.conv3.conv.weight'] == (
            width * 4, width, 1, 1, 1)
        assert keys[f'slow_path.layer{i}.0.downsample.conv.weight'] == (
            width * 4, in_ch, 1, 1, 1)
        fast_width = width // 8
        assert keys[f'fast_path.layer{i}.1.conv1.conv.weight'] == (
            fast_width, fast_width * 4, 3, 1, 1)
    assert keys['slow_path.layer4.2.conv3.bn.running_mean'] == (2048, )


def test_slowonly_r50_state_dict_layout(slowonly_r50):
    keys = shapes(slowonly_r50)
    assert set(keys) == resnet_keys('', (3, 4, 6, 3))
    assert len(keys) == 318
    assert keys['conv1.conv.weight'] == (64, 3, 1, 7, 7)
    assert keys['layer1.0.downsample.conv.weight'] == (256, 64, 1, 1, 1)
    assert not any('lateral' in k or k.startswith('slow_path') for k in keys)


def test_slowonly_r50_non_local_state_dict_layout():
    model = ResNet3dSlowOnly(**SLOWONLY_R50, non_local=NL_STAGES,
                             non_local_cfg=NL_CFG)
    keys = shapes(model)
    assert set(keys) == resnet_keys('', (3, 4, 6, 3), non_local=NL_STAGES)
    assert len(keys) == 318 + 5 * 12
    nl = 'layer3.4.non_local_block'
    assert keys[f'{nl}.g.0.conv.weight'] == (512, 1024, 1, 1, 1)
    assert keys[f'{nl}.theta.conv.bias'] == (512, )
    assert keys[f'{nl}.phi.0.conv.weight'] == (512, 1024, 1, 1, 1)
    assert keys[f'{nl}.conv_out.conv.weight'] == (1024, 512, 1, 1, 1)
    assert keys[f'{nl}.conv_out.bn.running_var'] == (1024, )


@pytest.mark.parametrize('depth, blocks', [(101, (3, 4, 23, 3)),
                                           (152, (3, 8, 36, 3))])
def test_deep_resnet_block_counts(depth, blocks):
    model = ResNet3dSlowOnly(depth=depth, base_channels=8)
    assert set(model.state_dict()) == resnet_keys('', blocks)


def test_basic_block_layout():
    model = ResNet3d(depth=18, base_channels=8)
    keys = shapes(model)
    # layer1 keeps shape and stride: no downsample there
    assert set(keys) == resnet_keys('', (2, 2, 2, 2), convs_per_block=2,
                                    downsample=(0, 1, 1, 1))
    assert keys['layer1.0.conv1.conv.weight'] == (8, 8, 3, 3, 3)
    assert isinstance(model.layer1[0], BasicBlock3d)
    assert isinstance(ResNet3d(depth=50).layer1[0], Bottleneck3d)


# ------------------------------------------------------------ forward shapes
def test_slowonly_r50_forward_shape(slowonly_r50):
    with torch.no_grad():
        out = slowonly_r50(torch.randn(1, 3, 4, 64, 64))
    assert out.shape == (1, 2048, 4, 4, 4)
    assert slowonly_r50.feat_dim == 2048


def test_slowfast_r50_forward_shape(slowfast_r50):
    with torch.no_grad():
        x_slow, x_fast = slowfast_r50(torch.randn(1, 3, 32, 64, 64))
    assert x_slow.shape == (1, 2048, 4, 4, 4)
    assert x_fast.shape == (1, 256, 32, 4, 4)


def test_resnet3d_multiple_out_indices():
    model = ResNet3d(depth=18, base_channels=8, out_indices=(0, 1, 2, 3))
    outs = model(torch.randn(2, 3, 8, 32, 32))
    assert isinstance(outs, tuple)
    # stem /4, pool2 halves time after layer1, then strides (1, 2, 2, 2)
    assert [o.shape for o in outs] == [(2, 8, 4, 8, 8), (2, 16, 4, 4, 4),
                                       (2, 32, 4, 2, 2), (2, 64, 4, 1, 1)]
    single = ResNet3d(depth=18, base_channels=8, out_indices=(2, ))
    assert isinstance(single(torch.randn(1, 3, 4, 32, 32)), torch.Tensor)


def test_tiny_slowfast_forward_and_backward():
    model = ResNet3dSlowFast(**copy.deepcopy(TINY_SLOWFAST))
    model.init_weights()
    x_slow, x_fast = model(torch.randn(2, 3, 16, 32, 32))
    # slow: 64 channels + no lateral after the last stage; fast: 4 * 8
    assert x_slow.shape == (2, 128, 4, 2, 2)
    assert x_fast.shape == (2, 32, 16, 2, 2)
    (x_slow.sum() + x_fast.sum()).backward()
    grad = model.slow_path.layer1_lateral.conv.weight.grad
    assert grad is not None and grad.abs().sum() > 0


# ------------------------------------------------------- train-time options
def test_frozen_stages_freeze_params_and_set_eval():
    cfg = copy.deepcopy(TINY_SLOWFAST)
    cfg['slow_pathway']['frozen_stages'] = 2
    cfg['fast_pathway']['frozen_stages'] = 2
    model = ResNet3dSlowFast(**cfg).train()
    slow = model.slow_path
    frozen = [slow.conv1, slow.layer1, slow.layer2, slow.layer1_lateral,
              slow.layer2_lateral, model.fast_path.layer2]
    for module in frozen:
        assert all(not p.requires_grad for p in module.parameters())
        assert all(not m.training for m in module.modules())
    for module in (slow.layer3, slow.layer3_lateral, model.fast_path.layer3):
        assert all(p.requires_grad for p in module.parameters())
        assert module.training

    resnet = ResNet3d(depth=18, base_channels=8, frozen_stages=0).train()
    assert not resnet.conv1.conv.weight.requires_grad
    assert not resnet.conv1.bn.training
    assert resnet.layer1.training and resnet.layer1[0].conv1.bn.training


def test_norm_eval_keeps_bn_in_eval_mode():
    model = ResNet3dSlowOnly(depth=18, base_channels=8, norm_eval=True)
    stats = model.layer1[0].conv1.bn.running_mean.clone()
    model.train()
    assert model.training
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm3d)]
    assert bns and all(not bn.training for bn in bns)
    model(torch.randn(2, 3, 4, 32, 32))
    assert torch.equal(model.layer1[0].conv1.bn.running_mean, stats)


def test_with_cp_same_output_and_gradients():
    cfg = dict(depth=18, base_channels=8, non_local=(0, 1, 0, 0),
               non_local_cfg=dict(sub_sample=True))
    torch.manual_seed(0)
    plain = ResNet3dSlowOnly(**cfg)
    checkpointed = ResNet3dSlowOnly(**cfg, with_cp=True)
    checkpointed.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 4, 32, 32, requires_grad=True)
    outs, grads = [], []
    for model in (plain, checkpointed):
        model.train()
        out = model(x)
        out.square().mean().backward()
        outs.append(out.detach())
        grads.append(model.layer2[0].conv2.conv.weight.grad.clone())
    torch.testing.assert_close(outs[0], outs[1])
    torch.testing.assert_close(grads[0], grads[1])


# ------------------------------------------------------------ initialization
def test_from_scratch_init():
    model = ResNet3dSlowOnly(depth=18, base_channels=8,
                             non_local=(0, 1, 0, 0))
    model.init_weights()
    for block in model.modules():
        if isinstance(block, BasicBlock3d):
            assert torch.all(block.conv2.bn.weight == 0)
            assert torch.all(block.conv1.bn.weight == 1)
    assert model.conv1.conv.weight.std() > 0


def test_pretrained_init_cfg_with_prefix_loads_recognizer(tmp_path):
    source = ResNet3dSlowFast(**copy.deepcopy(TINY_SLOWFAST))
    for tensor in source.state_dict().values():
        if tensor.is_floating_point():
            tensor.normal_()
    checkpoint = {
        'meta': {},
        'state_dict': {
            **{f'backbone.{k}': v for k, v in source.state_dict().items()},
            'cls_head.fc_cls.weight': torch.zeros(4, 160),
        }
    }
    path = tmp_path / 'recognizer.pth'
    torch.save(checkpoint, path)

    model = ResNet3dSlowFast(
        **copy.deepcopy(TINY_SLOWFAST),
        init_cfg=dict(type='Pretrained', checkpoint=str(path),
                      prefix='backbone.'))
    model.init_weights()
    loaded = model.state_dict()
    for key, value in source.state_dict().items():
        assert torch.equal(loaded[key], value), key


def test_pretrained_3d_checkpoint_and_init_cfg_for_resnet3d(tmp_path):
    source = ResNet3dSlowOnly(depth=18, base_channels=8)
    for tensor in source.parameters():
        tensor.data.normal_()
    path = tmp_path / 'backbone.pth'
    torch.save({'state_dict': source.state_dict()}, path)
    for kwargs in (dict(pretrained=str(path), pretrained2d=False),
                   dict(init_cfg=dict(type='Pretrained',
                                      checkpoint=str(path)))):
        model = ResNet3dSlowOnly(depth=18, base_channels=8, **kwargs)
        model.init_weights()
        torch.testing.assert_close(model.state_dict(), source.state_dict())


def test_pretrained2d_inflation_matches_2d_resnet(tmp_path):
    torchvision = pytest.importorskip('torchvision')
    resnet2d = torchvision.models.resnet18().eval()
    for module in resnet2d.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.normal_(0, 0.1)
            module.running_var.uniform_(0.5, 1.5)
            module.weight.data.uniform_(0.5, 1.5)
    path = tmp_path / 'resnet18.pth'
    torch.save(resnet2d.state_dict(), path)

    model = ResNet3d(depth=18, pretrained=str(path), pretrained2d=True,
                     inflate=(0, 0, 0, 0), conv1_kernel=(1, 7, 7),
                     with_pool2=False, zero_init_residual=False).eval()
    model.init_weights()
    frames = torch.randn(2, 3, 64, 64)
    clip = frames.permute(1, 0, 2, 3).unsqueeze(0)  # 1, C, T, H, W
    with torch.no_grad():
        expected = nn.Sequential(*list(resnet2d.children())[:-2])(frames)
        actual = model(clip)[0].permute(1, 0, 2, 3)
    torch.testing.assert_close(actual, expected, atol=1e-4, rtol=1e-4)

    # an inflated temporal kernel sums to the 2D kernel
    inflated = ResNet3dSlowOnly(depth=18, pretrained=str(path))
    inflated.init_weights()
    torch.testing.assert_close(
        inflated.layer3[0].conv1.conv.weight.sum(2),
        resnet2d.layer3[0].conv1.weight)


def test_pretrained2d_inflation_pads_lateral_inputs(tmp_path):
    torchvision = pytest.importorskip('torchvision')
    resnet2d = torchvision.models.resnet18()
    path = tmp_path / 'resnet18.pth'
    torch.save(resnet2d.state_dict(), path)
    cfg = copy.deepcopy(TINY_SLOWFAST)
    cfg['slow_pathway'].update(base_channels=64, pretrained=str(path))
    slow = ResNet3dSlowFast(**cfg).slow_path
    slow.init_weights()
    weight = slow.layer2[0].conv1.conv.weight  # 64 + 32 lateral inputs
    assert weight.shape[1] == 64 + 32
    torch.testing.assert_close(weight[:, :64].sum(2),
                               resnet2d.layer2[0].conv1.weight)
    assert torch.all(weight[:, 64:] == 0)


# ------------------------------------------------------- registry and errors
def test_registry_builds_backbones_and_mmaction_aliases():
    init_default_scope('mmaction_aia')
    slowonly = MODELS.build(dict(type='ResNet3dSlowOnly', depth=18,
                                 base_channels=8))
    assert isinstance(slowonly, ResNet3dSlowOnly)
    slowfast = MODELS.build(
        dict(type='mmaction.ResNet3dSlowFast',
             **copy.deepcopy(TINY_SLOWFAST)))
    assert isinstance(slowfast, ResNet3dSlowFast)
    assert MODELS.get('ResNet3d') is ResNet3d


def test_config_dicts_are_not_mutated():
    cfg = copy.deepcopy(TINY_SLOWFAST)
    ResNet3dSlowFast(**cfg)
    assert cfg == TINY_SLOWFAST


@pytest.mark.parametrize('kwargs, error, match', [
    (dict(depth=42), KeyError, 'invalid depth 42'),
    (dict(depth=18, foo=1), TypeError, 'foo'),
    (dict(depth=18, out_indices=(4, )), ValueError, 'out_indices'),
    (dict(depth=18, num_stages=3, out_indices=(2, )), ValueError,
     'spatial_strides'),
    (dict(depth=18, style='tf'), ValueError, 'style'),
    (dict(depth=18, norm_cfg=dict(type='BatchNormX')), KeyError,
     'BatchNormX'),
])
def test_bad_arguments_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        ResNet3d(**kwargs)


def test_unknown_pathway_type_is_named():
    cfg = copy.deepcopy(TINY_SLOWFAST)
    cfg['fast_pathway']['type'] = 'bninception'
    with pytest.raises(KeyError, match='bninception'):
        ResNet3dSlowFast(**cfg)
    with pytest.raises(ValueError, match='lateral'):
        ResNet3dSlowOnly(depth=18, lateral=True)


# ------------------------------------------------------------ common blocks
def test_conv_module_names_and_norm_options():
    module = ConvModule(4, 8, 3, conv_cfg=dict(type='Conv3d'),
                        norm_cfg=dict(type='BN3d', requires_grad=False))
    assert set(dict(module.named_children())) == {'conv', 'bn', 'activate'}
    assert module.conv.bias is None
    assert not module.bn.weight.requires_grad
    assert module.activate.inplace
    gn = ConvModule(4, 8, 1, norm_cfg=dict(type='GN', num_groups=2),
                    act_cfg=None)
    assert isinstance(gn.gn, nn.GroupNorm) and gn.norm is gn.gn
    assert not hasattr(gn, 'activate')
    assert build_norm_layer(dict(type='BN3d'), 4, postfix=1)[0] == 'bn1'


@pytest.mark.parametrize('mode', ['embedded_gaussian', 'gaussian',
                                  'dot_product', 'concatenation'])
def test_non_local_starts_as_identity(mode):
    block = NonLocal3d(8, sub_sample=True, mode=mode,
                       norm_cfg=dict(type='BN3d')).eval()
    x = torch.randn(2, 8, 2, 4, 4)
    torch.testing.assert_close(block(x), x)


# ----------------------------------------------------- formats and autocast
@pytest.mark.parametrize('builder', [
    lambda: ResNet3dSlowFast(**copy.deepcopy(TINY_SLOWFAST)),
    lambda: ResNet3dSlowOnly(depth=18, base_channels=8,
                             non_local=(0, 1, 1, 0),
                             non_local_cfg=dict(sub_sample=True,
                                                zeros_init=False)),
])
def test_channels_last_3d_and_autocast(builder):
    torch.manual_seed(0)
    model = builder().eval()
    x = torch.randn(1, 3, 16, 32, 32)
    with torch.no_grad():
        expected = as_tuple(model(x))
        cl_model = copy.deepcopy(model).to(
            memory_format=torch.channels_last_3d)
        actual = as_tuple(
            cl_model(x.contiguous(memory_format=torch.channels_last_3d)))
        with torch.autocast('cpu', dtype=torch.bfloat16):
            mixed = as_tuple(model(x))
    for exp, act, low in zip(expected, actual, mixed):
        # (CPU conv3d may return contiguous outputs; only values matter)
        torch.testing.assert_close(act, exp, atol=1e-4, rtol=1e-4)
        assert low.dtype == torch.bfloat16
        # bf16 keeps ~3 significant digits; errors grow through the depth
        assert (low.float() - exp).abs().max() < 0.1 * exp.abs().max()


def test_non_local_keeps_input_memory_format():
    block = NonLocal3d(8, sub_sample=True, zeros_init=False).eval()
    x = torch.randn(2, 8, 2, 4, 4)
    x_cl = x.contiguous(memory_format=torch.channels_last_3d)
    with torch.no_grad():
        out, out_cl = block(x), block(x_cl)
    assert out.is_contiguous()
    assert out_cl.is_contiguous(memory_format=torch.channels_last_3d)
    torch.testing.assert_close(out, out_cl)
