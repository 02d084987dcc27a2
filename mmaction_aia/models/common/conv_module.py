"""A conv + norm + activation block with mmcv ``ConvModule``'s names."""
from types import MappingProxyType
from typing import Dict, Mapping, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model.weight_init import constant_init, kaiming_init

from .layers import build_activation_layer, build_conv_layer, build_norm_layer

_IntOrTuple = Union[int, Tuple[int, ...]]

#: Read-only default activation (``None`` means no activation).
RELU_CFG: Mapping = MappingProxyType({'type': 'ReLU'})


class ConvModule(nn.Module):
    """Convolution followed by optional normalization and activation.

    A drop-in equivalent of mmcv's ``ConvModule`` without the mmcv
    dependency: children are named ``conv`` and the norm abbreviation
    (``bn``, ``gn``, ...), so state dicts of mmaction2 models load unchanged
    (``layer1.0.conv1.conv.weight``, ``layer1.0.conv1.bn.running_mean``).
    The activation is stored as ``activate`` and has no state.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int | tuple[int]): Convolution kernel size.
        stride (int | tuple[int]): Convolution stride. Defaults to 1.
        padding (int | tuple[int]): Zero padding. Defaults to 0.
        dilation (int | tuple[int]): Kernel dilation. Defaults to 1.
        groups (int): Convolution groups. Defaults to 1.
        bias (bool | str): ``'auto'`` adds a bias only when there is no norm
            layer. Defaults to ``'auto'``.
        conv_cfg (dict, optional): Conv layer config, e.g.
            ``dict(type='Conv3d')``. ``None`` means ``Conv2d``.
        norm_cfg (dict, optional): Norm layer config, e.g.
            ``dict(type='BN3d', requires_grad=True)``. Defaults to None.
        act_cfg (dict, optional): Activation config. Defaults to
            ``dict(type='ReLU')``; None disables the activation.
        inplace (bool): Default ``inplace`` for the activation.
            Defaults to True.
        padding_mode (str): ``'zeros'``, ``'reflect'``, ``'replicate'`` or
            ``'circular'``, handled by the torch conv. Defaults to 'zeros'.
        order (tuple[str]): Order of ``'conv'``, ``'norm'`` and ``'act'``.
            Defaults to ``('conv', 'norm', 'act')``.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: _IntOrTuple,
                 stride: _IntOrTuple = 1,
                 padding: _IntOrTuple = 0,
                 dilation: _IntOrTuple = 1,
                 groups: int = 1,
                 bias: Union[bool, str] = 'auto',
                 conv_cfg: Optional[Dict] = None,
                 norm_cfg: Optional[Dict] = None,
                 act_cfg: Optional[Mapping] = RELU_CFG,
                 inplace: bool = True,
                 padding_mode: str = 'zeros',
                 order: Sequence[str] = ('conv', 'norm', 'act')) -> None:
        super().__init__()
        order = tuple(order)
        if sorted(order) != ['act', 'conv', 'norm']:
            raise ValueError(
                f'order must be a permutation of conv/norm/act, got {order}')
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg
        self.act_cfg = None if act_cfg is None else dict(act_cfg)
        self.order = order
        self.with_norm = norm_cfg is not None
        self.with_activation = act_cfg is not None
        self.with_bias = (not self.with_norm) if bias == 'auto' else bias

        # only pass padding_mode when needed: custom conv types may lack it
        extra = {} if padding_mode == 'zeros' else dict(
            padding_mode=padding_mode)
        self.conv = build_conv_layer(
            conv_cfg,
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=groups,
            bias=self.with_bias,
            **extra)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = self.conv.kernel_size
        self.stride = self.conv.stride
        self.padding = self.conv.padding
        self.dilation = self.conv.dilation
        self.groups = groups

        self.norm_name: Optional[str] = None
        if self.with_norm:
            norm_channels = (out_channels if order.index('norm') >
                             order.index('conv') else in_channels)
            self.norm_name, norm = build_norm_layer(norm_cfg, norm_channels)
            self.add_module(self.norm_name, norm)

        if self.with_activation:
            self.activate = build_activation_layer(self.act_cfg,
                                                   inplace=inplace)

        self.init_weights()

    @property
    def norm(self) -> Optional[nn.Module]:
        """The norm layer, or None."""
        return getattr(self, self.norm_name) if self.norm_name else None

    def init_weights(self) -> None:
        """Kaiming-init the conv and set the norm to identity (as mmcv)."""
        if self.with_activation and self.act_cfg['type'] == 'LeakyReLU':
            nonlinearity = 'leaky_relu'
            slope = self.act_cfg.get('negative_slope', 0.01)
        else:
            nonlinearity, slope = 'relu', 0
        kaiming_init(self.conv, a=slope, nonlinearity=nonlinearity)
        if self.with_norm:
            constant_init(self.norm, 1, bias=0)

    def forward(self,
                x: torch.Tensor,
                activate: bool = True,
                norm: bool = True) -> torch.Tensor:
        """Apply the layers in ``self.order``.

        Args:
            x (torch.Tensor): Input.
            activate (bool): Apply the activation. Defaults to True.
            norm (bool): Apply the norm layer. Defaults to True.
        """
        for layer in self.order:
            if layer == 'conv':
                x = self.conv(x)
            elif layer == 'norm' and norm and self.with_norm:
                x = self.norm(x)
            elif layer == 'act' and activate and self.with_activation:
                x = self.activate(x)
        return x
