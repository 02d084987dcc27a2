import pytest
import torch
import torch.nn.functional as F

from mmaction_aia.models.roi_heads.aia import InteractionBlock, pair_geometry
from mmaction_aia.models.roi_heads.aia.blocks import GEOMETRY_DIM


def _block(**kwargs):
    torch.manual_seed(0)
    block = InteractionBlock('O', 8, 6, 8, zero_init_out=False, dropout=0.,
                             **kwargs)
    return block.eval()


def _reference(block, query, others):
    """Per-person loop: softmax over all given others, no mask."""
    outs = []
    for q in query[0]:
        qk = block.query(q) @ block.key(others[0]).T / 6**0.5
        out = qk.softmax(-1) @ block.value(others[0])
        out = F.layer_norm(out, (6, ))
        outs.append(block.out(F.relu(out)) + q)
    return torch.stack(outs)[None]


def test_masked_attention_ignores_padding():
    block = _block()
    query, others = torch.randn(1, 3, 8), torch.randn(1, 2, 8)
    padded = torch.cat([others, torch.zeros(1, 3, 8)], 1)
    mask = torch.tensor([[True, True, False, False, False]])
    out = block(query, padded, mask)
    assert torch.allclose(out, _reference(block, query, others), atol=1e-5)
    assert torch.allclose(out, block(query, others), atol=1e-5)


def test_unmasked_attention_reproduces_published_padding():
    block = _block(mask_padding=False)
    query, others = torch.randn(1, 3, 8), torch.randn(1, 2, 8)
    padded = torch.cat([others, torch.zeros(1, 3, 8)], 1)
    mask = torch.tensor([[True, True, False, False, False]])
    out = block(query, padded, mask)
    # zero padding takes part in the softmax, as in AlphAction
    assert torch.allclose(out, _reference(block, query, padded), atol=1e-5)
    assert not torch.allclose(out, block(query, others), atol=1e-4)


@pytest.mark.parametrize('geometry', [False, True])
def test_query_without_others_is_finite_and_reads_zeros(geometry):
    block = _block(geometry=geometry)
    query = torch.randn(2, 3, 8)
    others = torch.zeros(2, 4, 8)
    mask = torch.zeros(2, 4, dtype=torch.bool)
    geo = torch.randn(2, 3, 4, GEOMETRY_DIM) if geometry else None
    out = block(query, others, mask, geometry=geo)
    assert torch.isfinite(out).all()
    # attention output zero -> LN(0)=0 -> relu -> out(0) = bias = 0
    assert torch.allclose(out, query, atol=1e-6)


def test_temporal_positions_shift_keys_and_values():
    torch.manual_seed(0)
    block = InteractionBlock('M', 8, 6, 8, num_positions=3, dropout=0.,
                             zero_init_out=False).eval()
    query, others = torch.randn(1, 2, 8), torch.randn(1, 6, 8)
    positions = torch.arange(3).repeat_interleave(2)
    base = block(query, others, positions=positions)
    with torch.no_grad():
        block.temporal_position_v[1] += 1.0
    assert not torch.allclose(base, block(query, others, positions=positions))
    with pytest.raises(ValueError, match='slot'):
        block(query, others)


def test_pair_geometry_is_translation_invariant_in_offsets():
    q = torch.tensor([[[0.1, 0.1, 0.2, 0.4]]])
    o = torch.tensor([[[0.3, 0.1, 0.4, 0.4]]])
    shift = torch.tensor([0.2, 0.1, 0.2, 0.1])
    g1, g2 = pair_geometry(q, o), pair_geometry(q + shift, o + shift)
    assert g1.shape == (1, 1, 1, GEOMETRY_DIM)
    assert torch.allclose(g1[..., :4], g2[..., :4], atol=1e-6)
    assert torch.isclose(g1[0, 0, 0, 0], torch.tensor(2.0 / 4))


def test_unknown_kind_rejected():
    with pytest.raises(ValueError, match="kind"):
        InteractionBlock('X', 4, 4, 4)


def _multi_head_reference(block, query, others, mask, geometry=None):
    """Per-person, per-head loop of the same maths (masked others dropped).

    With geometry, keys and values get the geometry embedding of their
    pair and each head's logits the geometry bias of its pair.
    """
    heads, dim = block.num_heads, block.dim_inner
    width = dim // heads
    outs = []
    for i, q in enumerate(query[0]):
        real = others[0][mask[0]]
        k, v = block.key(real), block.value(real)
        bias = torch.zeros(len(real), heads)
        if geometry is not None:
            geo_k, geo_v, bias = block.geometry(
                geometry[0, i][mask[0]]).split([dim, dim, heads], -1)
            k, v = k + geo_k, v + geo_v
        qh = block.query(q)
        parts = []
        for h in range(heads):
            cols = slice(h * width, (h + 1) * width)
            logits = k[:, cols] @ qh[cols] / width**0.5 + bias[:, h]
            parts.append(logits.softmax(0) @ v[:, cols])
        out = F.layer_norm(torch.cat(parts), (dim, ))
        outs.append(block.out(F.relu(out)) + q)
    return torch.stack(outs)[None]


@pytest.mark.parametrize('geometry', [False, True])
def test_multi_head_attention_matches_per_head_loop(geometry):
    torch.manual_seed(0)
    block = InteractionBlock('M', 8, 8, 8, zero_init_out=False, dropout=0.,
                             geometry=geometry, num_heads=4).eval()
    query, others = torch.randn(1, 3, 8), torch.randn(1, 5, 8)
    mask = torch.tensor([[True, False, True, True, False]])
    geo = torch.randn(1, 3, 5, GEOMETRY_DIM) if geometry else None
    out = block(query, others, mask, geometry=geo)
    assert torch.allclose(
        out, _multi_head_reference(block, query, others, mask, geo),
        atol=1e-5)
    # padding never counts, whatever its features
    noisy = others.clone()
    noisy[~mask] = 100.
    assert torch.allclose(out, block(query, noisy, mask, geometry=geo),
                          atol=1e-5)


def test_geometry_bias_steers_attention_to_the_same_box():
    """The learned geometry bias alone can pick one memory entry."""
    torch.manual_seed(0)
    block = InteractionBlock('M', 4, 4, 4, zero_init_out=False, dropout=0.,
                             geometry=True, use_layer_norm=False).eval()
    with torch.no_grad():
        for layer in (block.query, block.key):
            layer.weight.zero_()
            layer.bias.zero_()
        block.geometry[0].weight.zero_()
        block.geometry[0].bias.zero_()
        block.geometry[0].weight[0, GEOMETRY_DIM - 1] = 1.  # IoU
        block.geometry[2].weight.zero_()
        block.geometry[2].bias.zero_()
        block.geometry[2].weight[-1, 0] = 50.  # bias of head 0 = 50 * IoU
    boxes = torch.tensor([[[0.1, 0.1, 0.3, 0.5]]])
    others_boxes = torch.tensor([[[0.6, 0.1, 0.8, 0.5], [0.1, 0.1, 0.3, 0.5],
                                  [0.4, 0.2, 0.5, 0.4]]])
    others = torch.eye(3, 4)[None]
    out_attn = []
    block.out.register_forward_hook(
        lambda mod, inp, out: out_attn.append(inp[0]))
    block(torch.zeros(1, 1, 4), others,
          geometry=pair_geometry(boxes, others_boxes))
    # the value read is (almost only) the one of the identical box
    expected = F.relu(block.value(others[0, 1]))
    assert torch.allclose(out_attn[0][0, 0], expected, atol=1e-4)


def test_pair_geometry_holds_the_iou():
    from torchvision.ops import box_iou
    q = torch.tensor([[[0.1, 0.1, 0.3, 0.5], [0.5, 0.5, 0.6, 0.9]]])
    o = torch.tensor([[[0.2, 0.1, 0.4, 0.5], [0.1, 0.1, 0.3, 0.5],
                       [0.7, 0.0, 0.9, 0.1]]])
    iou = pair_geometry(q, o)[..., -1]
    assert torch.allclose(iou[0], box_iou(q[0], o[0]), atol=1e-6)


@pytest.mark.parametrize('heads', [0, 5])
def test_num_heads_must_divide_the_width(heads):
    with pytest.raises(ValueError, match='num_heads'):
        InteractionBlock('P', 8, 8, 8, num_heads=heads)
