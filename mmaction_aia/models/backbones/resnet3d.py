"""3D ResNet backbone with mmaction2 1.x's arguments and state-dict keys."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmengine.model.weight_init import constant_init, initialize, kaiming_init
from mmengine.runner.checkpoint import _load_checkpoint, load_state_dict
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.utils import _ntuple, _triple

from mmaction_aia.models.common import ConvModule
from mmaction_aia.registry import MODELS

from .inflate import inflate_2d_checkpoint
from .resnet3d_blocks import (
    BasicBlock3d,
    Bottleneck3d,
    _ResBlock3d,
    make_res_layer,
)

InitCfg = Optional[Union[Dict, List[Dict]]]


def load_backbone_checkpoint(module: nn.Module, path: str,
                             strict: bool = False) -> None:
    """Load a backbone checkpoint or a whole recognizer / detector checkpoint
    into ``module``.

    A checkpoint whose keys start with ``backbone.`` (an mmaction2 recognizer
    or detector) contributes only those keys, with the prefix removed; its
    ``cls_head.*`` / ``roi_head.*`` keys are dropped. mmaction2 1.x loads such
    files with ``strict=False`` and silently loads nothing; 0.x stripped the
    prefix, which is what configs written for it expect.

    Args:
        module (nn.Module): The backbone.
        path (str): Checkpoint path or URL.
        strict (bool): Fail on missing or unexpected keys.
    """
    checkpoint = _load_checkpoint(path, map_location='cpu')
    state_dict = checkpoint.get('state_dict', checkpoint) if isinstance(
        checkpoint, dict) else checkpoint
    prefix = 'backbone.'
    if any(key.startswith(prefix) for key in state_dict):
        state_dict = {key[len(prefix):]: value
                      for key, value in state_dict.items()
                      if key.startswith(prefix)}
    load_state_dict(module, state_dict, strict=strict, logger='current')


def apply_init_cfg(module: BaseModule) -> None:
    """Apply ``module.init_cfg`` (e.g. ``dict(type='Pretrained',
    checkpoint=..., prefix='backbone.')``) with mmengine's initializers.

    Backbones that override ``init_weights`` call this last, so a
    ``Pretrained`` init_cfg wins over the from-scratch initialization.
    """
    if module.init_cfg:
        initialize(module, module.init_cfg)
    module._is_init = True


@MODELS.register_module()
class ResNet3d(BaseModule):
    """ResNet 3D backbone (I3D-style inflated ResNet), as in mmaction2.

    Module names follow mmaction2 (``conv1``, ``maxpool``, ``pool2``,
    ``layer1`` ... ``layer4``), so its checkpoints load without renaming.

    Args:
        depth (int): 18, 34, 50, 101 or 152. Defaults to 50.
        pretrained (str, optional): Checkpoint loaded by ``init_weights``
            (a 2D ResNet if ``pretrained2d``). Defaults to None.
        stage_blocks (tuple[int], optional): Blocks per stage; defaults to
            the depth's standard counts.
        pretrained2d (bool): ``pretrained`` is a 2D ResNet to inflate.
            Defaults to True.
        in_channels (int): Input channels. Defaults to 3.
        num_stages (int): Number of stages (1-4). Defaults to 4.
        base_channels (int): Stem output channels. Defaults to 64.
        out_indices (Sequence[int]): Stages whose outputs are returned.
            Defaults to ``(3, )``.
        spatial_strides (Sequence[int]): Per-stage spatial strides.
            Defaults to ``(1, 2, 2, 2)``.
        temporal_strides (Sequence[int]): Per-stage temporal strides.
            Defaults to ``(1, 1, 1, 1)``.
        dilations (Sequence[int]): Per-stage spatial dilations.
            Defaults to ``(1, 1, 1, 1)``.
        conv1_kernel (Sequence[int]): Stem conv kernel. Defaults to
            ``(3, 7, 7)``.
        conv1_stride_s (int): Stem spatial stride. Defaults to 2.
        conv1_stride_t (int): Stem temporal stride. Defaults to 1.
        pool1_stride_s (int): Stem max-pool spatial stride. Defaults to 2.
        pool1_stride_t (int): Stem max-pool temporal stride. Defaults to 1.
        with_pool1 (bool): Use the stem max-pool. Defaults to True.
        with_pool2 (bool): Temporally max-pool by 2 after ``layer1``.
            Defaults to True.
        style (str): ``'pytorch'`` (stride in the 3x3 conv) or ``'caffe'``
            (stride in the first 1x1 conv). Defaults to 'pytorch'.
        frozen_stages (int): Stages to freeze (stem counts as 0); -1 freezes
            nothing. Defaults to -1.
        inflate (Sequence[int]): Per-stage (or per-block) temporal kernel
            flags. Defaults to ``(1, 1, 1, 1)``.
        inflate_style (str): ``'3x1x1'`` or ``'3x3x3'``. Defaults to
            '3x1x1'.
        conv_cfg (dict, optional): Conv config; None means
            ``dict(type='Conv3d')``.
        norm_cfg (dict, optional): Norm config; None means
            ``dict(type='BN3d', requires_grad=True)``.
        act_cfg (dict, optional): Activation config; None means
            ``dict(type='ReLU', inplace=True)``.
        norm_eval (bool): Keep BN layers in eval mode while training.
            Defaults to False.
        with_cp (bool): Activation checkpointing in the blocks.
            Defaults to False.
        non_local (Sequence[int]): Per-stage (or per-block) non-local flags.
            Defaults to ``(0, 0, 0, 0)``.
        non_local_cfg (dict, optional): Kwargs of :class:`NonLocal3d`.
            Defaults to None (``dict()``).
        zero_init_residual (bool): Zero the last norm of every residual
            branch when initializing from scratch. Defaults to True.
        init_cfg (dict | list[dict], optional): mmengine init config, applied
            after the built-in init, e.g. ``dict(type='Pretrained',
            checkpoint='recognizer.pth', prefix='backbone.')``.
        lateral_inplanes (Sequence[int], optional): Extra input channels of
            each stage's first block, concatenated from lateral connections
            (set by :class:`ResNet3dPathway`). Defaults to zeros.
        **kwargs: Rejected with a TypeError naming them (mmaction2 passes
            them to the blocks, which accept none).
    """

    arch_settings = {
        18: (BasicBlock3d, (2, 2, 2, 2)),
        34: (BasicBlock3d, (3, 4, 6, 3)),
        50: (Bottleneck3d, (3, 4, 6, 3)),
        101: (Bottleneck3d, (3, 4, 23, 3)),
        152: (Bottleneck3d, (3, 8, 36, 3))
    }

    def __init__(self,
                 depth: int = 50,
                 pretrained: Optional[str] = None,
                 stage_blocks: Optional[Tuple[int, ...]] = None,
                 pretrained2d: bool = True,
                 in_channels: int = 3,
                 num_stages: int = 4,
                 base_channels: int = 64,
                 out_indices: Sequence[int] = (3, ),
                 spatial_strides: Sequence[int] = (1, 2, 2, 2),
                 temporal_strides: Sequence[int] = (1, 1, 1, 1),
                 dilations: Sequence[int] = (1, 1, 1, 1),
                 conv1_kernel: Sequence[int] = (3, 7, 7),
                 conv1_stride_s: int = 2,
                 conv1_stride_t: int = 1,
                 pool1_stride_s: int = 2,
                 pool1_stride_t: int = 1,
                 with_pool1: bool = True,
                 with_pool2: bool = True,
                 style: str = 'pytorch',
                 frozen_stages: int = -1,
                 inflate: Sequence[int] = (1, 1, 1, 1),
                 inflate_style: str = '3x1x1',
                 conv_cfg: Optional[Dict] = None,
                 norm_cfg: Optional[Dict] = None,
                 act_cfg: Optional[Dict] = None,
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 non_local: Sequence[int] = (0, 0, 0, 0),
                 non_local_cfg: Optional[Dict] = None,
                 zero_init_residual: bool = True,
                 init_cfg: InitCfg = None,
                 lateral_inplanes: Optional[Sequence[int]] = None,
                 **kwargs) -> None:
        super().__init__(init_cfg=init_cfg)
        if kwargs:
            raise TypeError(f'{type(self).__name__} got unexpected '
                            f'arguments: {sorted(kwargs)}')
        if depth not in self.arch_settings:
            raise KeyError(f'invalid depth {depth} for resnet; expected one '
                           f'of {sorted(self.arch_settings)}')
        if not 1 <= num_stages <= 4:
            raise ValueError(f'num_stages must be in 1..4, got {num_stages}')
        if max(out_indices) >= num_stages:
            raise ValueError(f'out_indices {tuple(out_indices)} must be < '
                             f'num_stages ({num_stages})')
        per_stage = dict(spatial_strides=spatial_strides,
                         temporal_strides=temporal_strides,
                         dilations=dilations)
        if stage_blocks is not None:
            per_stage['stage_blocks'] = stage_blocks
        for name, values in per_stage.items():
            if len(values) != num_stages:
                raise ValueError(f'{name}={tuple(values)} needs one entry per '
                                 f'stage (num_stages={num_stages})')

        self.depth = depth
        self.pretrained = pretrained
        self.pretrained2d = pretrained2d
        self.in_channels = in_channels
        self.base_channels = base_channels
        self.num_stages = num_stages
        self.out_indices = out_indices
        self.spatial_strides = spatial_strides
        self.temporal_strides = temporal_strides
        self.dilations = dilations
        self.conv1_kernel = conv1_kernel
        self.conv1_stride_s = conv1_stride_s
        self.conv1_stride_t = conv1_stride_t
        self.pool1_stride_s = pool1_stride_s
        self.pool1_stride_t = pool1_stride_t
        self.with_pool1 = with_pool1
        self.with_pool2 = with_pool2
        self.style = style
        self.frozen_stages = frozen_stages
        self.stage_inflations = _ntuple(num_stages)(inflate)
        self.non_local_stages = _ntuple(num_stages)(non_local)
        self.inflate_style = inflate_style
        self.conv_cfg = conv_cfg = conv_cfg or dict(type='Conv3d')
        self.norm_cfg = norm_cfg = norm_cfg or dict(type='BN3d',
                                                    requires_grad=True)
        self.act_cfg = act_cfg = act_cfg or dict(type='ReLU', inplace=True)
        self.norm_eval = norm_eval
        self.with_cp = with_cp
        self.non_local_cfg = non_local_cfg = non_local_cfg or dict()
        self.zero_init_residual = zero_init_residual
        self.lateral_inplanes = list(lateral_inplanes or [0] * num_stages)

        self.block, default_blocks = self.arch_settings[depth]
        self.stage_blocks = (stage_blocks if stage_blocks is not None else
                             default_blocks[:num_stages])

        self._make_stem_layer()
        self.res_layers = []
        self.inplanes = base_channels
        for i, num_blocks in enumerate(self.stage_blocks):
            planes = base_channels * 2**i
            res_layer = make_res_layer(
                self.block,
                self.inplanes + self.lateral_inplanes[i],
                planes,
                num_blocks,
                spatial_stride=spatial_strides[i],
                temporal_stride=temporal_strides[i],
                dilation=dilations[i],
                style=style,
                inflate=self.stage_inflations[i],
                inflate_style=inflate_style,
                non_local=self.non_local_stages[i],
                non_local_cfg=non_local_cfg,
                norm_cfg=norm_cfg,
                conv_cfg=conv_cfg,
                act_cfg=act_cfg,
                with_cp=with_cp)
            self.inplanes = planes * self.block.expansion
            layer_name = f'layer{i + 1}'
            self.add_module(layer_name, res_layer)
            self.res_layers.append(layer_name)

        self.feat_dim = (self.block.expansion * base_channels *
                         2**(len(self.stage_blocks) - 1))

    # mmaction2 exposes the stage builder as a static method
    make_res_layer = staticmethod(make_res_layer)

    def _make_stem_layer(self) -> None:
        """Stem: ``conv1`` (conv + norm + act) and the ``maxpool`` /
        ``pool2`` pooling layers."""
        self.conv1 = ConvModule(
            self.in_channels,
            self.base_channels,
            kernel_size=self.conv1_kernel,
            stride=(self.conv1_stride_t, self.conv1_stride_s,
                    self.conv1_stride_s),
            padding=tuple((k - 1) // 2 for k in _triple(self.conv1_kernel)),
            bias=False,
            conv_cfg=self.conv_cfg,
            norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg)
        self.maxpool = nn.MaxPool3d(
            kernel_size=(1, 3, 3),
            stride=(self.pool1_stride_t, self.pool1_stride_s,
                    self.pool1_stride_s),
            padding=(0, 1, 1))
        self.pool2 = nn.MaxPool3d(kernel_size=(2, 1, 1), stride=(2, 1, 1))

    def _frozen_modules(self) -> List[nn.Module]:
        """Modules frozen by ``frozen_stages``: the stem, then stages."""
        if self.frozen_stages < 0:
            return []
        return [self.conv1] + [
            getattr(self, f'layer{i}')
            for i in range(1, self.frozen_stages + 1)
        ]

    def _freeze_stages(self) -> None:
        """Put the frozen modules in eval mode and stop their gradients."""
        for module in self._frozen_modules():
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def inflate_weights(self, logger=None) -> None:
        """Inflate the 2D ResNet checkpoint ``self.pretrained`` into this
        network (``logger`` is accepted for mmaction2 compatibility)."""
        inflate_2d_checkpoint(
            self, self.pretrained, pad_in_channels=any(self.lateral_inplanes))

    def _init_from_scratch(self) -> None:
        """mmaction2's init: Kaiming for every Conv3d (non-local ones too),
        ones for norms, zeros for each residual branch's last norm."""
        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                kaiming_init(m)
            elif isinstance(m, _BatchNorm):
                constant_init(m, 1)
        if self.zero_init_residual:
            for m in self.modules():
                if isinstance(m, _ResBlock3d):
                    constant_init(m.last_norm, 0)

    def _init_weights(self) -> None:
        """Load ``self.pretrained`` (2D inflation or a 3D checkpoint) or
        initialize from scratch."""
        if isinstance(self.pretrained, str):
            print_log(f'load model from: {self.pretrained}', logger='current')
            if self.pretrained2d:
                self.inflate_weights()
            else:
                load_backbone_checkpoint(self, self.pretrained)
        elif self.pretrained is None:
            self._init_from_scratch()
        else:
            raise TypeError('pretrained must be a str or None, got '
                            f'{type(self.pretrained).__name__}')

    def init_weights(self, pretrained: Optional[str] = None) -> None:
        """Initialize from ``pretrained`` or from scratch, then apply
        ``init_cfg`` (e.g. a ``Pretrained`` recognizer checkpoint).

        Args:
            pretrained (str, optional): Overrides ``self.pretrained``.
        """
        if pretrained:
            self.pretrained = pretrained
        self._init_weights()
        apply_init_cfg(self)

    def forward(self, x: torch.Tensor
                ) -> Union[torch.Tensor, Tuple[torch.Tensor, ...]]:
        """Extract features from a clip batch of shape (N, C, T, H, W).

        Returns:
            torch.Tensor | tuple[torch.Tensor]: The output of the stage in
            ``out_indices``, or a tuple when there are several.
        """
        x = self.conv1(x)
        if self.with_pool1:
            x = self.maxpool(x)
        outs = []
        for i, layer_name in enumerate(self.res_layers):
            x = getattr(self, layer_name)(x)
            if i == 0 and self.with_pool2:
                x = self.pool2(x)
            if i in self.out_indices:
                outs.append(x)
        return outs[0] if len(outs) == 1 else tuple(outs)

    def train(self, mode: bool = True) -> 'ResNet3d':
        """Set train mode, keeping frozen stages (and, with ``norm_eval``,
        every BN layer) in eval mode."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self
