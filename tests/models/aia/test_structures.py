import math

import pytest
import torch

from mmaction_aia.models.roi_heads.aia import AIAStructure, parse_block_list


def _inputs(b=2, q=3, o=2, k=6, c=12):
    torch.manual_seed(1)
    return dict(
        person=torch.randn(b, q, c),
        person_mask=torch.tensor([[True] * q, [True] + [False] * (q - 1)]),
        objects=torch.randn(b, o, c),
        object_mask=torch.tensor([[True] * o, [False] * o]),
        memory=torch.randn(b, k, c),
        memory_mask=torch.tensor([[True] * k, [False] * k]),
        memory_positions=torch.arange(3).repeat_interleave(2))


@pytest.mark.parametrize('structure,blocks,names', [
    ('serial', ['P', 'O', 'M', 'P'],
     ['P_block_1', 'O_block_1', 'M_block_1', 'P_block_2']),
    ('dense', ['P', 'O', 'M', 'P', 'O', 'M'],
     ['P_block_1', 'O_block_1', 'M_block_1', 'P_block_2', 'O_block_2',
      'M_block_2']),
    ('parallel', [['P', 'O', 'M'], ['P', 'O', 'M']],
     ['P_block_1', 'O_block_1', 'M_block_1', 'P_block_2', 'O_block_2',
      'M_block_2']),
])
@pytest.mark.parametrize('mask_padding', [True, False])
def test_structures_build_from_block_lists(structure, blocks, names,
                                           mask_padding):
    model = AIAStructure(12, blocks, structure, dim_inner=8, dim_out=12,
                         num_memory_positions=3, max_persons=4,
                         mask_padding=mask_padding, zero_init_out=False)
    assert list(model.blocks) == names
    out = model.eval()(**_inputs())
    assert out.shape == (2, 3, 12) and torch.isfinite(out).all()
    last = model.blocks[names[-1]]
    assert last.out.out_features == 12 and last.shortcut is not None


def test_dense_weights_start_on_the_newest_output():
    model = AIAStructure(12, ['P', 'O', 'M', 'P'], 'dense', dim_inner=8,
                         dim_out=12, num_memory_positions=3)
    assert list(model.dense_params) == ['2', '3']
    weights = model.dense_params['3']
    assert weights.shape == (3, 8)
    assert torch.all(weights[2] == 0)
    assert torch.allclose(weights[:2], torch.tensor(-5 * math.log(10)))


def test_zero_init_blocks_start_as_identity():
    model = AIAStructure(12, ['P', 'O', 'M'], 'serial', dim_inner=8,
                         dim_out=8, num_memory_positions=3).eval()
    inputs = _inputs()
    out = model(**inputs)
    assert torch.allclose(out, model.person_dim_reduce(inputs['person']),
                          atol=1e-6)


def test_structure_without_some_kinds_skips_their_reductions():
    model = AIAStructure(12, ['P', 'P'], 'serial', dim_inner=8, dim_out=12)
    assert not hasattr(model, 'object_dim_reduce')
    assert not hasattr(model, 'mem_dim_reduce')
    out = model(torch.randn(1, 1, 12), torch.ones(1, 1, dtype=torch.bool))
    assert torch.isfinite(out).all()


@pytest.mark.parametrize('structure,blocks,match', [
    ('serial', [['P', 'O']], 'flat'),
    ('parallel', ['P', 'O'], 'list of layers'),
    ('parallel', [['P', 'O'], ['P']], 'same number'),
    ('dense', ['P', 'X'], 'unknown'),
    ('tree', ['P'], 'structure'),
])
def test_bad_block_lists_are_rejected(structure, blocks, match):
    with pytest.raises(ValueError, match=match):
        parse_block_list(blocks, structure)
