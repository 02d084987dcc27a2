"""AIA interaction blocks: residual cross-attention of persons over others.

One class serves the three kinds of the paper (P persons, O objects,
M memory); they differ only in what the caller passes as ``others`` and in
the learned temporal position of memory blocks. Attention runs through
``torch.nn.functional.scaled_dot_product_attention`` on padded tensors with
a boolean mask, so a batch of clips needs no Python loop over persons.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

BLOCK_KINDS = ('P', 'O', 'M')

#: Size of the pairwise box-geometry code (see :func:`pair_geometry`).
GEOMETRY_DIM = 11


def pair_geometry(query_boxes: torch.Tensor,
                  other_boxes: torch.Tensor) -> torch.Tensor:
    """Relative geometry of every (query, other) box pair.

    Boxes are ``x1, y1, x2, y2`` in one normalised frame. The code holds the
    offset of the other box's centre in units of the query box's width and
    height, the log ratios of widths and heights, both boxes' centres and
    heights, and their IoU (which tells the same person in another second
    of the memory); it is invariant to translation and uniform scaling
    except for the centres, which say where in the frame the pair is.

    Args:
        query_boxes (Tensor): ``[B, Q, 4]``.
        other_boxes (Tensor): ``[B, K, 4]``.

    Returns:
        Tensor: ``[B, Q, K, GEOMETRY_DIM]``.
    """
    q = query_boxes.unsqueeze(2)
    o = other_boxes.unsqueeze(1)
    qw = (q[..., 2] - q[..., 0]).clamp(min=1e-3)
    qh = (q[..., 3] - q[..., 1]).clamp(min=1e-3)
    ow = (o[..., 2] - o[..., 0]).clamp(min=1e-3)
    oh = (o[..., 3] - o[..., 1]).clamp(min=1e-3)
    qcx, qcy = (q[..., 0] + q[..., 2]) / 2, (q[..., 1] + q[..., 3]) / 2
    ocx, ocy = (o[..., 0] + o[..., 2]) / 2, (o[..., 1] + o[..., 3]) / 2
    dx = ((ocx - qcx) / qw).clamp(-8, 8) / 4
    dy = ((ocy - qcy) / qh).clamp(-8, 8) / 4
    shape = torch.broadcast_shapes(dx.shape)
    inter_w = (torch.minimum(q[..., 2], o[..., 2]) -
               torch.maximum(q[..., 0], o[..., 0])).clamp(min=0)
    inter_h = (torch.minimum(q[..., 3], o[..., 3]) -
               torch.maximum(q[..., 1], o[..., 1])).clamp(min=0)
    inter = inter_w * inter_h
    iou = inter / (qw * qh + ow * oh - inter).clamp(min=1e-6)
    return torch.stack([
        dx, dy, torch.log(ow / qw), torch.log(oh / qh),
        qcx.expand(shape), qcy.expand(shape), ocx.expand(shape),
        ocy.expand(shape), qh.expand(shape), oh.expand(shape), iou
    ], dim=-1)


class InteractionBlock(nn.Module):
    """Residual cross-attention from person queries to a padded set.

    ``out = dropout(W_out(relu(LN(attn(W_q x, W_k o, W_v o))))) + x`` with
    ``x`` the query features (projected by ``shortcut`` when ``dim_in !=
    dim_out``) and ``o`` the others. ``others`` is shared by all queries of a
    clip (``[B, K, C]``) or given per query (``[B, Q, K, C]``).

    Args:
        kind (str): ``'P'``, ``'O'`` or ``'M'`` (for names and errors).
        dim_in (int): Channels of the queries and the others.
        dim_inner (int): Channels of queries, keys and values.
        dim_out (int): Output channels.
        num_positions (int): Learned temporal positions (memory seconds),
            added to keys and values by slot; 0 disables (P and O blocks).
        use_layer_norm (bool): LayerNorm without affine after attention.
        zero_init_out (bool): Zero-initialise the output projection, so a
            new block starts as the identity (the paper's setting).
        dropout (float): Dropout after the output projection.
        mask_padding (bool): Mask padded others out of the softmax. False
            reproduces the published code, where zero padding takes part.
        geometry (bool): Add an embedding of the pairwise box geometry to
            keys and values, and a learned bias from it to each head's
            attention logits (our extension; see docs/aia.md).
        init_std (float): Std of the normal init of the projections.
        num_heads (int): Attention heads (1: the published single-head
            attention). Each head attends with ``dim_inner / num_heads``
            channels, so heads can read different memory seconds or
            neighbours (our extension; see docs/aia.md).
    """

    def __init__(self,
                 kind: str,
                 dim_in: int,
                 dim_inner: int,
                 dim_out: int,
                 num_positions: int = 0,
                 use_layer_norm: bool = True,
                 zero_init_out: bool = True,
                 dropout: float = 0.2,
                 mask_padding: bool = True,
                 geometry: bool = False,
                 init_std: float = 0.01,
                 num_heads: int = 1) -> None:
        super().__init__()
        if kind not in BLOCK_KINDS:
            raise ValueError(f'interaction block kind must be one of '
                             f'{BLOCK_KINDS}, got {kind!r}')
        if num_heads < 1 or dim_inner % num_heads:
            raise ValueError(f'{kind} block: num_heads must be a positive '
                             f'divisor of dim_inner={dim_inner}, got '
                             f'{num_heads}')
        self.kind = kind
        self.num_heads = num_heads
        self.dim_inner = dim_inner
        self.use_layer_norm = use_layer_norm
        self.mask_padding = mask_padding
        self.query = nn.Linear(dim_in, dim_inner)
        self.key = nn.Linear(dim_in, dim_inner)
        self.value = nn.Linear(dim_in, dim_inner)
        self.out = nn.Linear(dim_inner, dim_out)
        self.shortcut = (nn.Linear(dim_in, dim_out)
                         if dim_in != dim_out else None)
        self.dropout = nn.Dropout(dropout)
        if num_positions > 0:
            self.temporal_position_k = nn.Parameter(
                torch.zeros(num_positions, dim_inner))
            self.temporal_position_v = nn.Parameter(
                torch.zeros(num_positions, dim_inner))
        # keys, values and one attention-logit bias per head
        self.geometry = nn.Sequential(
            nn.Linear(GEOMETRY_DIM, dim_inner), nn.ReLU(),
            nn.Linear(dim_inner, 2 * dim_inner + num_heads)
        ) if geometry else None
        for layer in (self.query, self.key, self.value, self.shortcut):
            if layer is not None:
                nn.init.normal_(layer.weight, std=init_std)
                nn.init.zeros_(layer.bias)
        nn.init.normal_(self.out.weight, std=0. if zero_init_out else
                        init_std)
        nn.init.zeros_(self.out.bias)

    @property
    def num_positions(self) -> int:
        return (self.temporal_position_k.shape[0]
                if hasattr(self, 'temporal_position_k') else 0)

    def _attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                attn_mask: Optional[torch.Tensor]) -> torch.Tensor:
        """SDPA over the last two dims, split into ``num_heads`` heads.

        ``q`` is ``[..., Q, C]``, ``k`` and ``v`` ``[..., K, C]``; the mask
        is a bool ``[..., Q, K]`` shared by the heads or an additive float
        ``[..., heads, Q, K]``; the result is ``[..., Q, C]``.
        """
        heads = self.num_heads
        if heads == 1:
            return F.scaled_dot_product_attention(q, k, v,
                                                  attn_mask=attn_mask)

        def split(t: torch.Tensor) -> torch.Tensor:
            # [..., L, C] -> [..., heads, L, C / heads]
            return t.unflatten(-1, (heads, -1)).transpose(-3, -2)

        if attn_mask is not None and attn_mask.dtype == torch.bool:
            attn_mask = attn_mask.unsqueeze(-3)
        out = F.scaled_dot_product_attention(split(q), split(k), split(v),
                                             attn_mask=attn_mask)
        return out.transpose(-3, -2).flatten(-2)

    def forward(self,
                query: torch.Tensor,
                others: torch.Tensor,
                mask: Optional[torch.Tensor] = None,
                positions: Optional[torch.Tensor] = None,
                geometry: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Attend from each query to the others.

        Args:
            query (Tensor): ``[B, Q, dim_in]`` person features.
            others (Tensor): ``[B, K, dim_in]`` or ``[B, Q, K, dim_in]``.
            mask (Tensor, optional): Bool ``[B, K]`` or ``[B, Q, K]``, True
                where an other is real (not padding).
            positions (Tensor, optional): Long ``[K]`` slot (memory second)
                of each other, for the temporal position.
            geometry (Tensor, optional): ``[B, Q, K, GEOMETRY_DIM]`` pair
                geometry (used when the block was built with geometry).

        Returns:
            Tensor: ``[B, Q, dim_out]``.
        """
        q = self.query(query)
        if mask is not None and self.mask_padding and mask.dim() == 2:
            # masked padding never counts: project the real others only
            k = others.new_zeros(*others.shape[:-1], self.dim_inner)
            v = torch.zeros_like(k)
            real = others[mask]
            k[mask], v[mask] = self.key(real), self.value(real)
        else:
            k, v = self.key(others), self.value(others)
        if self.num_positions:
            if positions is None:
                raise ValueError(f'{self.kind} block with temporal positions '
                                 'needs the slot of every memory feature')
            k = k + self.temporal_position_k[positions]
            v = v + self.temporal_position_v[positions]
        per_query = others.dim() == 4
        if self.geometry is not None:
            if geometry is None:
                raise ValueError(f'{self.kind} block built with geometry=True '
                                 'needs the pair geometry')
            geo_k, geo_v, geo_bias = self.geometry(geometry).split(
                [self.dim_inner, self.dim_inner, self.num_heads], dim=-1)
            if not per_query:
                k, v = k.unsqueeze(1), v.unsqueeze(1)
            k, v, per_query = k + geo_k, v + geo_v, True
        attn_mask, has_any = None, None
        if mask is not None and self.mask_padding:
            if mask.dim() == 2:
                mask = mask.unsqueeze(1).expand(-1, q.shape[1], -1)
            # a query with nothing to attend to reads zeros, not NaN
            has_any = mask.any(-1, keepdim=True)
            attn_mask = mask | ~has_any
        if per_query:
            # one attention per query: [B, Q, 1, C] over [B, Q, K, C]
            if attn_mask is not None:
                attn_mask = attn_mask.unsqueeze(2)
            if self.geometry is not None:
                # additive logits per head: [B, Q, heads, 1, K]
                bias = geo_bias.permute(0, 1, 3, 2).unsqueeze(3)
                if attn_mask is not None:
                    bias = bias.masked_fill(~attn_mask.unsqueeze(2),
                                            float('-inf'))
                attn_mask = bias if self.num_heads > 1 else bias.squeeze(2)
            out = self._attend(q.unsqueeze(2), k, v, attn_mask).squeeze(-2)
        else:
            out = self._attend(q, k, v, attn_mask)
        if has_any is not None:
            out = out * has_any.to(out.dtype)
        if self.use_layer_norm:
            out = F.layer_norm(out, (out.shape[-1], ))
        out = self.dropout(self.out(F.relu(out)))
        shortcut = query if self.shortcut is None else self.shortcut(query)
        return out + shortcut
