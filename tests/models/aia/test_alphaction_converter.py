import argparse

import pytest
import torch

from mmaction_aia.registry import MODELS
from tests.scripts import load_script

converter = load_script('tools/convert/alphaction_to_mmaction_aia.py',
                        'alphaction_convert')

C, INNER, MLP, CLASSES = 16, 8, 8, 4
FE = 'roi_heads.action.feature_extractor.'


def _conv(out, inp):
    return torch.randn(out, inp, 1, 1, 1)


def alphaction_state():
    """AlphAction's key names and shapes for a small dense P-O-M head."""
    ia = FE + 'ia_structure.'
    state = {}
    for name in ('person_dim_reduce', 'person_key_dim_reduce',
                 'object_dim_reduce', 'mem_dim_reduce'):
        state[f'module.{ia}{name}.weight'] = _conv(INNER, C)
        state[f'module.{ia}{name}.bias'] = torch.randn(INNER)
    for block, out in (('P_block_1', INNER), ('O_block_1', INNER),
                       ('M_block_1', C)):
        for layer in ('query', 'key', 'value'):
            state[f'{ia}{block}.{layer}.weight'] = _conv(INNER, INNER)
            state[f'{ia}{block}.{layer}.bias'] = torch.randn(INNER)
        state[f'{ia}{block}.out.weight'] = _conv(out, INNER)
        state[f'{ia}{block}.out.bias'] = torch.randn(out)
    state[f'{ia}M_block_1.shortcut.weight'] = _conv(C, INNER)
    state[f'{ia}M_block_1.shortcut.bias'] = torch.randn(C)
    for kind in 'kv':
        state[f'{ia}M_block_1.temporal_position_{kind}'] = torch.randn(
            3, 1, INNER, 1, 1, 1)
    state[f'{ia}dense_params.2'] = torch.randn(2, INNER, 1, 1, 1)
    state[FE + 'fc1.weight'] = torch.randn(MLP, C)
    state[FE + 'fc1.bias'] = torch.randn(MLP)
    state[FE + 'fc2.weight'] = torch.randn(MLP, MLP)
    state[FE + 'fc2.bias'] = torch.randn(MLP)
    state['roi_heads.action.predictor.cls_score.weight'] = torch.randn(
        CLASSES, MLP)
    state['roi_heads.action.predictor.cls_score.bias'] = torch.randn(CLASSES)
    return state


def test_head_keys_load_strictly_with_converted_values():
    head = MODELS.build(dict(
        type='AIARoIHead',
        bbox_roi_extractor=dict(type='SingleRoIExtractor3D'),
        bbox_head=dict(type='AIABBoxHead', in_channels=C, aia_channels=C,
                       mlp_channels=MLP, num_classes=CLASSES + 1),
        aia=dict(block_list=['P', 'O', 'M'], structure='dense',
                 dim_inner=INNER),
        memory=dict(length=(1, 1))))
    source = alphaction_state()
    converted, unmapped = converter.convert(source)
    assert unmapped == []
    prefix = 'roi_head.'
    head.load_state_dict({k[len(prefix):]: v for k, v in converted.items()},
                         strict=True)
    block = head.aia.blocks['M_block_1']
    src = FE + 'ia_structure.M_block_1.'
    assert torch.equal(block.query.weight,
                       source[src + 'query.weight'].flatten(1))
    assert torch.equal(block.temporal_position_k,
                       source[src + 'temporal_position_k'].flatten(1))
    fc_cls = head.bbox_head.fc_cls.weight
    assert torch.all(fc_cls[0] == 0)
    assert torch.equal(
        fc_cls[1:], source['roi_heads.action.predictor.cls_score.weight'])


def test_backbone_keys_map_to_mmaction2_slowfast_names():
    state = {
        'backbone.slow.conv1.weight': torch.zeros(64, 3, 1, 7, 7),
        'backbone.fast.bn1.running_var': torch.ones(8),
        'backbone.fast.res_nl1.res_0.btnk.conv2.conv.weight': torch.zeros(1),
        'backbone.slow.res_nl4.res_0.shortcut.bn.weight': torch.ones(1),
        'backbone.fast.Tconv2.conv.weight': torch.zeros(1),
        'backbone.fast.Tconv2.conv.bias': torch.zeros(1),
        'backbone.slow.res_nl2.nonlocal_1.theta.weight': torch.zeros(1),
    }
    converted, unmapped = converter.convert(state)
    assert set(converted) == {
        'backbone.slow_path.conv1.conv.weight',
        'backbone.fast_path.conv1.bn.running_var',
        'backbone.fast_path.conv1.bn.num_batches_tracked',
        'backbone.fast_path.layer1.0.conv2.conv.weight',
        'backbone.slow_path.layer4.0.downsample.bn.weight',
        'backbone.slow_path.layer1_lateral.conv.weight',
    }
    assert unmapped == ['backbone.fast.Tconv2.conv.bias',
                        'backbone.slow.res_nl2.nonlocal_1.theta.weight']


def test_checkpoint_with_pickled_objects_needs_explicit_trust(tmp_path):
    state = {'module.cls_score.weight': torch.randn(CLASSES, MLP)}
    plain = tmp_path / 'plain.pth'
    torch.save({'model': state, 'iteration': 7}, plain)
    loaded = converter.load_alphaction(str(plain))
    assert torch.equal(loaded['module.cls_score.weight'],
                       state['module.cls_score.weight'])
    # an intermediate checkpoint also pickles Python objects (the memory pool)
    pooled = tmp_path / 'with_pool.pth'
    torch.save({'model': state, 'memory_pool': argparse.Namespace(a=1)},
               pooled)
    with pytest.raises(ValueError, match='--trust-checkpoint'):
        converter.load_alphaction(str(pooled))
    trusted = converter.load_alphaction(str(pooled), trust=True)
    assert set(trusted) == set(state)
