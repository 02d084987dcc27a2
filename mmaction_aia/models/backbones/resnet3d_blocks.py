"""Residual blocks of 3D ResNets (mmaction2 ``BasicBlock3d`` /
``Bottleneck3d``, same module names and state-dict keys)."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.utils.checkpoint as cp
from mmengine.model import BaseModule, Sequential

from mmaction_aia.models.common import (
    ConvModule,
    NonLocal3d,
    build_activation_layer,
)

_Kernel = Tuple[int, int, int]


class _ResBlock3d(BaseModule):
    """Shared body of the 3D residual blocks.

    Subclasses build ``conv1`` ... ``convN`` in :meth:`_make_convs`; this
    class adds ``downsample``, the final activation ``relu`` and the
    optional ``non_local_block``, and runs
    ``relu(convs(x) + shortcut(x))`` (optionally under activation
    checkpointing) followed by the non-local block.

    Args: see :class:`Bottleneck3d`.
    """

    expansion = 1

    def __init__(self,
                 inplanes: int,
                 planes: int,
                 spatial_stride: int = 1,
                 temporal_stride: int = 1,
                 dilation: int = 1,
                 downsample: Optional[nn.Module] = None,
                 style: str = 'pytorch',
                 inflate: bool = True,
                 inflate_style: str = '3x1x1',
                 non_local: bool = False,
                 non_local_cfg: Optional[Dict] = None,
                 conv_cfg: Optional[Dict] = None,
                 norm_cfg: Optional[Dict] = None,
                 act_cfg: Optional[Dict] = None,
                 with_cp: bool = False,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if style not in ('pytorch', 'caffe'):
            raise ValueError(f'style must be "pytorch" or "caffe", got '
                             f'"{style}"')
        if inflate_style not in ('3x1x1', '3x3x3'):
            raise ValueError(f'inflate_style must be "3x1x1" or "3x3x3", '
                             f'got "{inflate_style}"')
        self.inplanes = inplanes
        self.planes = planes
        self.spatial_stride = spatial_stride
        self.temporal_stride = temporal_stride
        self.dilation = dilation
        self.style = style
        self.inflate = inflate
        self.inflate_style = inflate_style
        self.conv_cfg = conv_cfg or dict(type='Conv3d')
        self.norm_cfg = norm_cfg or dict(type='BN3d')
        self.act_cfg = act_cfg or dict(type='ReLU')
        self.with_cp = with_cp
        self.non_local = non_local
        self.non_local_cfg = non_local_cfg or dict()

        self._conv_names = []
        for index, conv in enumerate(self._make_convs(), start=1):
            self.add_module(f'conv{index}', conv)
            self._conv_names.append(f'conv{index}')
        self.downsample = downsample
        self.relu = build_activation_layer(self.act_cfg)
        if non_local:
            self.non_local_block = NonLocal3d(planes * self.expansion,
                                              **self.non_local_cfg)

    def _conv(self, inplanes: int, planes: int, kernel: _Kernel,
              stride: _Kernel = (1, 1, 1), padding: _Kernel = (0, 0, 0),
              dilation: _Kernel = (1, 1, 1),
              activate: bool = True) -> ConvModule:
        """A bias-free conv + norm (+ activation) with the block's cfgs."""
        return ConvModule(inplanes, planes, kernel, stride=stride,
                          padding=padding, dilation=dilation, bias=False,
                          conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg,
                          act_cfg=self.act_cfg if activate else None)

    def _make_convs(self) -> List[ConvModule]:
        raise NotImplementedError

    @property
    def last_norm(self) -> nn.Module:
        """The norm closing the residual branch (zero-init target)."""
        return getattr(self, self._conv_names[-1]).norm

    def _residual(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        for name in self._conv_names:
            out = getattr(self, name)(out)
        shortcut = x if self.downsample is None else self.downsample(x)
        return out + shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Residual branch plus shortcut, activation, optional non-local."""
        if self.with_cp and x.requires_grad:
            out = cp.checkpoint(self._residual, x, use_reentrant=False)
        else:
            out = self._residual(x)
        out = self.relu(out)
        if self.non_local:
            out = self.non_local_block(out)
        return out


class BasicBlock3d(_ResBlock3d):
    """Two-conv residual block of ResNet3d-18/34.

    ``conv1`` (with the block's stride and dilation) and ``conv2`` are
    3x3x3 when ``inflate`` else 1x3x3.

    Args:
        inplanes (int): Input channels.
        planes (int): Output channels (``expansion`` is 1).
        spatial_stride (int): Spatial stride of ``conv1``. Defaults to 1.
        temporal_stride (int): Temporal stride of ``conv1``. Defaults to 1.
        dilation (int): Spatial dilation of ``conv1``. Defaults to 1.
        downsample (nn.Module, optional): Shortcut projection.
            Defaults to None.
        style (str): ``'pytorch'`` or ``'caffe'`` (no effect on this block).
        inflate (bool): Use temporal kernels. Defaults to True.
        inflate_style (str): Accepted for a uniform interface; unused.
        non_local (bool): Append a :class:`NonLocal3d`. Defaults to False.
        non_local_cfg (dict, optional): Kwargs of the non-local block.
        conv_cfg (dict, optional): Conv config; None means
            ``dict(type='Conv3d')``.
        norm_cfg (dict, optional): Norm config; None means
            ``dict(type='BN3d')``.
        act_cfg (dict, optional): Activation config; None means
            ``dict(type='ReLU')``.
        with_cp (bool): Activation checkpointing of the residual branch.
            Defaults to False.
        init_cfg (dict | list[dict], optional): mmengine init config.
    """

    expansion = 1

    def _make_convs(self) -> List[ConvModule]:
        t_kernel, t_pad = (3, 1) if self.inflate else (1, 0)
        d = self.dilation
        conv1 = self._conv(
            self.inplanes, self.planes, (t_kernel, 3, 3),
            stride=(self.temporal_stride, self.spatial_stride,
                    self.spatial_stride),
            padding=(t_pad, d, d), dilation=(1, d, d))
        conv2 = self._conv(self.planes, self.planes * self.expansion,
                           (t_kernel, 3, 3), padding=(t_pad, 1, 1),
                           activate=False)
        return [conv1, conv2]


class Bottleneck3d(_ResBlock3d):
    """Three-conv bottleneck block of ResNet3d-50/101/152.

    With ``inflate`` and ``inflate_style='3x1x1'`` the kernels are
    (3,1,1) / (1,3,3) / 1; with ``'3x3x3'`` they are 1 / (3,3,3) / 1; without
    ``inflate`` 1 / (1,3,3) / 1. ``'pytorch'`` style strides ``conv2``,
    ``'caffe'`` style strides ``conv1``.

    Args:
        inplanes (int): Input channels.
        planes (int): Bottleneck width; output is ``planes * 4``.
        spatial_stride (int): Spatial stride. Defaults to 1.
        temporal_stride (int): Temporal stride. Defaults to 1.
        dilation (int): Spatial dilation of ``conv2``. Defaults to 1.
        downsample (nn.Module, optional): Shortcut projection.
            Defaults to None.
        style (str): ``'pytorch'`` or ``'caffe'``. Defaults to 'pytorch'.
        inflate (bool): Use a temporal kernel. Defaults to True.
        inflate_style (str): ``'3x1x1'`` or ``'3x3x3'``.
            Defaults to '3x1x1'.
        non_local (bool): Append a :class:`NonLocal3d`. Defaults to False.
        non_local_cfg (dict, optional): Kwargs of the non-local block.
        conv_cfg (dict, optional): Conv config; None means
            ``dict(type='Conv3d')``.
        norm_cfg (dict, optional): Norm config; None means
            ``dict(type='BN3d')``.
        act_cfg (dict, optional): Activation config; None means
            ``dict(type='ReLU')``.
        with_cp (bool): Activation checkpointing of the residual branch.
            Defaults to False.
        init_cfg (dict | list[dict], optional): mmengine init config.
    """

    expansion = 4

    def _make_convs(self) -> List[ConvModule]:
        stride = (self.temporal_stride, self.spatial_stride,
                  self.spatial_stride)
        stride1, stride2 = (((1, 1, 1), stride) if self.style == 'pytorch'
                            else (stride, (1, 1, 1)))
        d = self.dilation
        # (conv1 kernel, conv1 padding, conv2 kernel, conv2 padding)
        if not self.inflate:
            kernels = (1, 1, 1), (0, 0, 0), (1, 3, 3), (0, d, d)
        elif self.inflate_style == '3x1x1':
            kernels = (3, 1, 1), (1, 0, 0), (1, 3, 3), (0, d, d)
        else:
            kernels = (1, 1, 1), (0, 0, 0), (3, 3, 3), (1, d, d)
        kernel1, pad1, kernel2, pad2 = kernels
        conv1 = self._conv(self.inplanes, self.planes, kernel1,
                           stride=stride1, padding=pad1)
        conv2 = self._conv(self.planes, self.planes, kernel2, stride=stride2,
                           padding=pad2, dilation=(1, d, d))
        conv3 = self._conv(self.planes, self.planes * self.expansion,
                           (1, 1, 1), activate=False)
        return [conv1, conv2, conv3]


def make_res_layer(block: type,
                   inplanes: int,
                   planes: int,
                   blocks: int,
                   spatial_stride: int = 1,
                   temporal_stride: int = 1,
                   dilation: int = 1,
                   style: str = 'pytorch',
                   inflate: Union[int, Sequence[int]] = 1,
                   inflate_style: str = '3x1x1',
                   non_local: Union[int, Sequence[int]] = 0,
                   non_local_cfg: Optional[Dict] = None,
                   norm_cfg: Optional[Dict] = None,
                   act_cfg: Optional[Dict] = None,
                   conv_cfg: Optional[Dict] = None,
                   with_cp: bool = False) -> nn.Module:
    """Build one ResNet stage: ``blocks`` residual blocks in a Sequential.

    The first block carries the stride and, when the shape changes, a
    1x1x1 ``downsample`` ConvModule (conv + norm) on the shortcut.

    Args:
        block (type): :class:`BasicBlock3d` or :class:`Bottleneck3d`.
        inplanes (int): Input channels of the stage.
        planes (int): Block width; the stage outputs
            ``planes * block.expansion`` channels.
        blocks (int): Number of blocks.
        spatial_stride (int): Spatial stride of the first block.
        temporal_stride (int): Temporal stride of the first block.
        dilation (int): Spatial dilation of every block.
        style (str): ``'pytorch'`` or ``'caffe'``.
        inflate (int | Sequence[int]): Per-block (or shared) inflate flags.
        inflate_style (str): ``'3x1x1'`` or ``'3x3x3'``.
        non_local (int | Sequence[int]): Per-block (or shared) non-local
            flags.
        non_local_cfg (dict, optional): Kwargs of the non-local blocks.
        norm_cfg (dict, optional): Norm config.
        act_cfg (dict, optional): Activation config.
        conv_cfg (dict, optional): Conv config.
        with_cp (bool): Activation checkpointing.

    Returns:
        nn.Module: An mmengine ``Sequential`` of blocks.
    """
    inflate = (inflate, ) * blocks if isinstance(inflate, int) else inflate
    non_local = ((non_local, ) * blocks
                 if isinstance(non_local, int) else non_local)
    if len(inflate) != blocks or len(non_local) != blocks:
        raise ValueError(
            f'inflate {tuple(inflate)} and non_local {tuple(non_local)} '
            f'must have one entry per block ({blocks} blocks)')
    downsample = None
    if spatial_stride != 1 or inplanes != planes * block.expansion:
        downsample = ConvModule(
            inplanes, planes * block.expansion, kernel_size=1,
            stride=(temporal_stride, spatial_stride, spatial_stride),
            bias=False, conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=None)

    layers = []
    for index in range(blocks):
        first = index == 0
        layers.append(
            block(inplanes if first else planes * block.expansion,
                  planes,
                  spatial_stride=spatial_stride if first else 1,
                  temporal_stride=temporal_stride if first else 1,
                  dilation=dilation,
                  downsample=downsample if first else None,
                  style=style,
                  inflate=inflate[index] == 1,
                  inflate_style=inflate_style,
                  non_local=non_local[index] == 1,
                  non_local_cfg=non_local_cfg,
                  conv_cfg=conv_cfg,
                  norm_cfg=norm_cfg,
                  act_cfg=act_cfg,
                  with_cp=with_cp))
    return Sequential(*layers)
