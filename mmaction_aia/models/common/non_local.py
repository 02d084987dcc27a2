"""Non-local block (Wang et al., "Non-local Neural Networks", 2018) with
mmcv ``NonLocal3d``'s parameter names."""
from typing import Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model.weight_init import constant_init, normal_init

from .conv_module import ConvModule

_MODES = ('gaussian', 'embedded_gaussian', 'dot_product', 'concatenation')


def _tokens(x: torch.Tensor) -> torch.Tensor:
    """(N, C, *spatial) -> (N, L, C). A view for contiguous and
    channels_last_3d inputs alike (no copy for the latter)."""
    return x.flatten(2).transpose(1, 2)


def _layout(x: torch.Tensor) -> torch.memory_format:
    """The memory format ``x`` is stored in (contiguous wins ties)."""
    if (x.dim() == 5 and not x.is_contiguous()
            and x.is_contiguous(memory_format=torch.channels_last_3d)):
        return torch.channels_last_3d
    return torch.contiguous_format


class NonLocal3d(nn.Module):
    """3D non-local block: every position attends to all positions.

    Children match mmcv's ``NonLocal3d`` so mmaction2 checkpoints load:
    ``g``, ``theta``, ``phi`` (1x1x1 ConvModules with bias, no norm),
    ``conv_out`` (ConvModule with ``norm_cfg``) and, in ``concatenation``
    mode, ``concat_project``. With ``sub_sample`` the keys/values are
    max-pooled by (1, 2, 2) and ``g`` / ``phi`` become
    ``nn.Sequential(conv_module, pool)`` (keys ``g.0.conv.weight``).
    Softmax modes run on ``F.scaled_dot_product_attention``.

    Args:
        in_channels (int): Channels of the input feature map.
        sub_sample (bool): Spatially max-pool keys and values.
            Defaults to False.
        reduction (int): Channel reduction ratio of the embeddings.
            Defaults to 2.
        use_scale (bool): Scale ``embedded_gaussian`` affinities by
            ``1 / sqrt(inter_channels)``. Defaults to True.
        conv_cfg (dict, optional): Conv layer config. None (default) means
            ``dict(type='Conv3d')``.
        norm_cfg (dict, optional): Norm config of ``conv_out`` only.
            Defaults to None.
        mode (str): ``'embedded_gaussian'`` (default), ``'gaussian'``,
            ``'dot_product'`` or ``'concatenation'``.
        std (float): Std of the normal init of the embeddings.
            Defaults to 0.01.
        zeros_init (bool): Zero-init ``conv_out`` (its norm if any) so the
            block starts as identity. Defaults to True.
    """

    def __init__(self,
                 in_channels: int,
                 sub_sample: bool = False,
                 reduction: int = 2,
                 use_scale: bool = True,
                 conv_cfg: Optional[Dict] = None,
                 norm_cfg: Optional[Dict] = None,
                 mode: str = 'embedded_gaussian',
                 std: float = 0.01,
                 zeros_init: bool = True) -> None:
        super().__init__()
        if mode not in _MODES:
            raise ValueError(
                f'NonLocal3d mode must be one of {_MODES}, got "{mode}"')
        conv_cfg = conv_cfg or dict(type='Conv3d')
        self.in_channels = in_channels
        self.reduction = reduction
        self.use_scale = use_scale
        self.inter_channels = max(in_channels // reduction, 1)
        self.mode = mode
        self.sub_sample = sub_sample
        self.std = std
        self.zeros_init = zeros_init

        def embedding(channels_in: int, channels_out: int) -> ConvModule:
            return ConvModule(channels_in, channels_out, kernel_size=1,
                              conv_cfg=conv_cfg, act_cfg=None)

        # registration order (g, conv_out, theta, phi) matches mmcv's
        self.g = embedding(in_channels, self.inter_channels)
        self.conv_out = ConvModule(self.inter_channels, in_channels,
                                   kernel_size=1, conv_cfg=conv_cfg,
                                   norm_cfg=norm_cfg, act_cfg=None)
        embeddings = [self.g]
        if mode != 'gaussian':
            self.theta = embedding(in_channels, self.inter_channels)
            self.phi = embedding(in_channels, self.inter_channels)
            embeddings += [self.theta, self.phi]
        if mode == 'concatenation':
            self.concat_project = ConvModule(
                self.inter_channels * 2, 1, kernel_size=1, bias=False,
                act_cfg=dict(type='ReLU'))
        self._init_embeddings(embeddings)

        if sub_sample:
            pool = nn.MaxPool3d(kernel_size=(1, 2, 2))
            self.g = nn.Sequential(self.g, pool)
            # gaussian mode compares raw features: phi is just the pooling
            self.phi = (nn.Sequential(self.phi, pool)
                        if mode != 'gaussian' else pool)

    def _init_embeddings(self, embeddings: List[ConvModule]) -> None:
        for module in embeddings:
            normal_init(module.conv, std=self.std)
        target = (self.conv_out.norm
                  if self.conv_out.with_norm else self.conv_out.conv)
        if self.zeros_init:
            constant_init(target, 0)
        else:
            normal_init(target, std=self.std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return ``x + conv_out(attention(x))``, same shape as ``x``."""
        value = _tokens(self.g(x))
        if self.mode == 'gaussian':
            query = _tokens(x)
            key = _tokens(self.phi(x)) if self.sub_sample else query
        else:
            query = _tokens(self.theta(x))
            key = _tokens(self.phi(x))

        if self.mode == 'embedded_gaussian' or self.mode == 'gaussian':
            scale = (self.inter_channels**-0.5 if self.use_scale
                     and self.mode == 'embedded_gaussian' else 1.0)
            y = F.scaled_dot_product_attention(query, key, value, scale=scale)
        elif self.mode == 'dot_product':
            # (q k^T / S) v == q (k^T v) / S, without the L x S matrix
            y = query @ (key.transpose(1, 2) @ value) / key.shape[1]
        else:
            # relu(w . [q_i, k_j]) splits into relu(w_q . q_i + w_k . k_j)
            weight = self.concat_project.conv.weight.flatten()
            w_query, w_key = weight.split(self.inter_channels)
            affinity = F.relu((query @ w_query).unsqueeze(2) +
                              (key @ w_key).unsqueeze(1))
            y = affinity @ value / key.shape[1]

        # (N, L, C) -> (N, C, T, H, W) is a channels_last_3d view; keep the
        # input's layout so the block does not switch the network's format
        y = y.transpose(1, 2).reshape(x.shape[0], self.inter_channels,
                                      *x.shape[2:])
        return x + self.conv_out(y.contiguous(memory_format=_layout(x)))
