"""SlowFast backbone (Feichtenhofer et al., ICCV 2019) with mmaction2 1.x's
config keys and state-dict keys (``slow_path.*``, ``fast_path.*``, laterals
``slow_path.conv1_lateral`` and ``slow_path.layer{1,2,3}_lateral``)."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple, Type, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmengine.model.weight_init import kaiming_init

from mmaction_aia.models.common import ConvModule
from mmaction_aia.registry import MODELS

from .resnet3d import ResNet3d, apply_init_cfg, load_backbone_checkpoint


class DeConvModule(BaseModule):
    """Transposed conv + BN + ReLU, the ``lateral_inv`` lateral of mmaction2.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int | tuple[int]): Kernel size.
        stride (tuple[int]): Stride; the output is ``stride`` times larger.
            Defaults to ``(1, 1, 1)``.
        padding (int | tuple[int]): Padding. Defaults to 0.
        bias (bool): Conv bias. Defaults to False.
        with_bn (bool): Apply the ``bn`` layer. Defaults to True.
        with_relu (bool): Apply ReLU. Defaults to True.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: Union[int, Tuple[int, int, int]],
                 stride: Tuple[int, int, int] = (1, 1, 1),
                 padding: Union[int, Tuple[int, int, int]] = 0,
                 bias: bool = False,
                 with_bn: bool = True,
                 with_relu: bool = True) -> None:
        super().__init__()
        self.out_channels = out_channels
        self.stride = stride
        self.with_bn = with_bn
        self.with_relu = with_relu
        self.conv = nn.ConvTranspose3d(in_channels, out_channels, kernel_size,
                                       stride=stride, padding=padding,
                                       bias=bias)
        self.bn = nn.BatchNorm3d(out_channels)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Upsample (N, C, T, H, W) by ``stride``."""
        n, _, t, h, w = x.shape
        size = (n, self.out_channels, self.stride[0] * t, self.stride[1] * h,
                self.stride[2] * w)
        x = self.conv(x, output_size=size)
        if self.with_bn:
            x = self.bn(x)
        if self.with_relu:
            x = self.relu(x)
        return x


class ResNet3dPathway(ResNet3d):
    """One pathway of SlowFast: a :class:`ResNet3d` that can take lateral
    inputs from the other pathway.

    With ``lateral=True`` it owns the fusion convs ``conv1_lateral`` and
    ``layer{i}_lateral`` (none after the last stage), which map the other
    pathway's features (``channel_ratio`` times thinner, ``speed_ratio``
    times more frames) to ``lateral_infl / channel_ratio`` times the
    channels with a ``(fusion_kernel, 1, 1)`` conv of temporal stride
    ``speed_ratio``; the result is concatenated to this pathway's input of
    the next stage.

    Args:
        lateral (bool): Build lateral connections. Defaults to False.
        lateral_inv (bool): Laterals upsample time with a transposed conv
            (for a pathway fed by a slower one). Defaults to False.
        lateral_norm (bool): Laterals get norm + activation.
            Defaults to False.
        speed_ratio (int): Frame-rate ratio of the pathways (alpha).
            Defaults to 8.
        channel_ratio (int): Channel ratio of the pathways (beta).
            Defaults to 8.
        fusion_kernel (int): Temporal kernel of the laterals. Defaults to 5.
        lateral_infl (int): Channel inflation of the laterals. Defaults to 2.
        lateral_activate (Sequence[int]): Which of ``conv1_lateral``,
            ``layer1_lateral`` ... exist. Defaults to ``(1, 1, 1, 1)``.
        **kwargs: :class:`ResNet3d` arguments.
    """

    def __init__(self,
                 lateral: bool = False,
                 lateral_inv: bool = False,
                 lateral_norm: bool = False,
                 speed_ratio: int = 8,
                 channel_ratio: int = 8,
                 fusion_kernel: int = 5,
                 lateral_infl: int = 2,
                 lateral_activate: Sequence[int] = (1, 1, 1, 1),
                 **kwargs) -> None:
        lateral_inplanes = self._lateral_inplanes(
            kwargs, lateral, lateral_inv, channel_ratio, lateral_infl,
            lateral_activate)
        super().__init__(lateral_inplanes=lateral_inplanes, **kwargs)
        self.lateral = lateral
        self.lateral_inv = lateral_inv
        self.lateral_norm = lateral_norm
        self.speed_ratio = speed_ratio
        self.channel_ratio = channel_ratio
        self.fusion_kernel = fusion_kernel
        self.lateral_infl = lateral_infl
        self.lateral_activate = lateral_activate

        if lateral and lateral_activate[0] == 1:
            self.conv1_lateral = self._make_lateral(self.base_channels)
        self.lateral_connections = []
        for i in range(len(self.stage_blocks)):
            # no lateral after the last stage
            if (lateral and i != self.num_stages - 1
                    and lateral_activate[i + 1]):
                channels = self.base_channels * 2**i * self.block.expansion
                name = f'layer{i + 1}_lateral'
                setattr(self, name, self._make_lateral(channels))
                self.lateral_connections.append(name)

    @staticmethod
    def _lateral_inplanes(kwargs: Dict, lateral: bool, lateral_inv: bool,
                          channel_ratio: int, lateral_infl: int,
                          lateral_activate: Sequence[int]) -> List[int]:
        """Channels each stage receives from the other pathway."""
        expansion = 1 if kwargs.get('depth', 50) < 50 else 4
        base_channels = kwargs.get('base_channels', 64)
        inplanes = []
        for i in range(kwargs.get('num_stages', 4)):
            # output channels of the other pathway's stem / stage i - 1
            if i == 0:
                planes = base_channels
            else:
                planes = base_channels * 2**(i - 1) * expansion
            if not (lateral and lateral_activate[i]):
                inplanes.append(0)
            elif lateral_inv:
                inplanes.append(planes * channel_ratio // lateral_infl)
            else:
                inplanes.append(planes * lateral_infl // channel_ratio)
        return inplanes

    def _make_lateral(self, channels: int) -> nn.Module:
        """Fusion conv from the other pathway's ``channels``-wide output
        (in this pathway's units)."""
        kernel = (self.fusion_kernel, 1, 1)
        stride = (self.speed_ratio, 1, 1)
        padding = ((self.fusion_kernel - 1) // 2, 0, 0)
        if self.lateral_inv:
            return DeConvModule(
                channels * self.channel_ratio,
                channels * self.channel_ratio // self.lateral_infl,
                kernel_size=kernel, stride=stride, padding=padding)
        return ConvModule(
            channels // self.channel_ratio,
            channels * self.lateral_infl // self.channel_ratio,
            kernel_size=kernel,
            stride=stride,
            padding=padding,
            bias=False,
            conv_cfg=self.conv_cfg,
            norm_cfg=self.norm_cfg if self.lateral_norm else None,
            act_cfg=self.act_cfg if self.lateral_norm else None)

    def _frozen_modules(self) -> List[nn.Module]:
        """As ResNet3d, plus the laterals fed by the frozen stages."""
        modules = super()._frozen_modules()
        for i in range(1, self.frozen_stages + 1):
            lateral = getattr(self, f'layer{i}_lateral', None)
            if lateral is not None:
                modules.append(lateral)
        return modules

    def _init_weights(self) -> None:
        """ResNet3d's init, then Kaiming for the laterals (as mmaction2,
        also after loading ``pretrained``)."""
        super()._init_weights()
        names = self.lateral_connections
        if hasattr(self, 'conv1_lateral'):
            names = ['conv1_lateral'] + names
        for name in names:
            for m in getattr(self, name).modules():
                if isinstance(m, (nn.Conv3d, nn.Conv2d)):
                    kaiming_init(m)


#: Pathway types usable as ``slow_pathway`` / ``fast_pathway`` ``type``.
PATHWAYS: Dict[str, Type[nn.Module]] = {'resnet3d': ResNet3dPathway}


def build_pathway(cfg: Dict, *args, **kwargs) -> nn.Module:
    """Build a pathway from ``dict(type='resnet3d', ...)``.

    Args:
        cfg (dict): Pathway config; ``type`` is a key of :data:`PATHWAYS`.
        *args, **kwargs: Extra constructor arguments.

    Returns:
        nn.Module: The pathway.
    """
    if not (isinstance(cfg, dict) and 'type' in cfg):
        raise TypeError(f'pathway cfg must be a dict with "type", got {cfg!r}')
    cfg = dict(cfg)
    pathway_type = cfg.pop('type')
    if pathway_type not in PATHWAYS:
        raise KeyError(f'Unrecognized pathway type "{pathway_type}"; known: '
                       f'{sorted(PATHWAYS)}')
    return PATHWAYS[pathway_type](*args, **kwargs, **cfg)


#: mmaction2's default pathways of :class:`ResNet3dSlowFast` (R50).
DEFAULT_SLOW_PATHWAY = dict(
    type='resnet3d',
    depth=50,
    pretrained=None,
    lateral=True,
    conv1_kernel=(1, 7, 7),
    conv1_stride_t=1,
    pool1_stride_t=1,
    inflate=(0, 0, 1, 1))
DEFAULT_FAST_PATHWAY = dict(
    type='resnet3d',
    depth=50,
    pretrained=None,
    lateral=False,
    base_channels=8,
    conv1_kernel=(5, 7, 7),
    conv1_stride_t=1,
    pool1_stride_t=1)


@MODELS.register_module()
class ResNet3dSlowFast(BaseModule):
    """SlowFast backbone: a slow, wide pathway on every ``resample_rate``-th
    frame and a fast, thin pathway on ``speed_ratio`` times more frames,
    fused by laterals from fast to slow.

    Args:
        pretrained (str, optional): A SlowFast checkpoint loaded strictly by
            ``init_weights``; a recognizer checkpoint (``backbone.*`` keys)
            contributes its backbone. Defaults to None.
        resample_rate (int): Temporal stride of the slow pathway's input
            (tau). Defaults to 8.
        speed_ratio (int): Frame-rate ratio fast / slow (alpha).
            Defaults to 8.
        channel_ratio (int): Channel ratio slow / fast (beta).
            Defaults to 8.
        slow_pathway (dict, optional): Slow pathway config. None means
            :data:`DEFAULT_SLOW_PATHWAY` (a lateral R50 with
            ``conv1_kernel=(1, 7, 7)`` and ``inflate=(0, 0, 1, 1)``).
        fast_pathway (dict, optional): Fast pathway config. None means
            :data:`DEFAULT_FAST_PATHWAY` (an R50 with ``base_channels=8`` and
            ``conv1_kernel=(5, 7, 7)``).
        init_cfg (dict | list[dict], optional): mmengine init config,
            applied after the pathways' own init.
    """

    def __init__(self,
                 pretrained: Optional[str] = None,
                 resample_rate: int = 8,
                 speed_ratio: int = 8,
                 channel_ratio: int = 8,
                 slow_pathway: Optional[Dict] = None,
                 fast_pathway: Optional[Dict] = None,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.pretrained = pretrained
        self.resample_rate = resample_rate
        self.speed_ratio = speed_ratio
        self.channel_ratio = channel_ratio

        slow_pathway = copy.deepcopy(slow_pathway or DEFAULT_SLOW_PATHWAY)
        fast_pathway = copy.deepcopy(fast_pathway or DEFAULT_FAST_PATHWAY)
        if slow_pathway.get('lateral', False):
            slow_pathway['speed_ratio'] = speed_ratio
            slow_pathway['channel_ratio'] = channel_ratio
        self.slow_path = build_pathway(slow_pathway)
        self.fast_path = build_pathway(fast_pathway)

    def init_weights(self, pretrained: Optional[str] = None) -> None:
        """Load ``pretrained`` strictly, or init both pathways; then apply
        ``init_cfg``.

        Args:
            pretrained (str, optional): Overrides ``self.pretrained``.
        """
        if pretrained:
            self.pretrained = pretrained
        if isinstance(self.pretrained, str):
            print_log(f'load model from: {self.pretrained}', logger='current')
            load_backbone_checkpoint(self, self.pretrained, strict=True)
        elif self.pretrained is None:
            self.fast_path.init_weights()
            self.slow_path.init_weights()
        else:
            raise TypeError('pretrained must be a str or None, got '
                            f'{type(self.pretrained).__name__}')
        apply_init_cfg(self)

    @staticmethod
    def _subsample(x: torch.Tensor, rate: int) -> torch.Tensor:
        """Every ``rate``-th frame, exactly as mmaction2's nearest
        interpolation picks them."""
        if rate == 1:
            return x
        return F.interpolate(x, mode='nearest', scale_factor=(1.0 / rate,
                                                              1.0, 1.0))

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Run both pathways on a clip batch (N, C, T, H, W).

        Returns:
            tuple[torch.Tensor, torch.Tensor]: ``(x_slow, x_fast)`` features
            of the last stage.
        """
        slow, fast = self.slow_path, self.fast_path
        x_slow = self._subsample(x, self.resample_rate)
        x_slow = slow.maxpool(slow.conv1(x_slow))
        x_fast = self._subsample(x, self.resample_rate // self.speed_ratio)
        x_fast = fast.maxpool(fast.conv1(x_fast))
        x_slow = self._fuse(x_slow, x_fast, 'conv1_lateral')
        for layer_name in slow.res_layers:
            x_slow = getattr(slow, layer_name)(x_slow)
            x_fast = getattr(fast, layer_name)(x_fast)
            # there is no lateral after the last stage
            x_slow = self._fuse(x_slow, x_fast, f'{layer_name}_lateral')
        return x_slow, x_fast

    def _fuse(self, x_slow: torch.Tensor, x_fast: torch.Tensor,
              lateral_name: str) -> torch.Tensor:
        """Concatenate the lateral of ``x_fast`` to ``x_slow`` if the slow
        pathway has that lateral."""
        lateral = getattr(self.slow_path, lateral_name, None)
        if lateral is None:
            return x_slow
        return torch.cat((x_slow, lateral(x_fast)), dim=1)
