"""Fast inference: memory layout, oneDNN convolutions, autocast, cuDNN.

Enabled per detector with ``model.fast_inference=dict(...)`` (also from the
command line: ``tools/test.py CONFIG CKPT --fast`` or ``--cfg-options
model.fast_inference.autocast_dtype=bfloat16``). It changes how the backbone
runs at test time, never the weights or the state dict; training is
untouched. See docs/fast_inference.md for measurements and tolerances.
"""
import contextlib
from typing import Callable, Optional

import torch
import torch.nn as nn
from mmengine.logging import print_log
from torch.nn.modules.batchnorm import _BatchNorm

from mmaction_aia.models.common import ConvModule

_DTYPES = {'bfloat16': torch.bfloat16, 'float16': torch.float16}


def cpu_has_fast_bf16() -> bool:
    """Whether this CPU multiplies bf16 faster than fp32 (AMX tiles).

    AVX512-BF16 alone does not qualify: on such CPUs oneDNN's bf16
    convolutions and GEMMs measured at about half the fp32 throughput
    (docs/fast_inference.md), so autocast would slow inference down.
    """
    is_amx = getattr(torch.cpu, '_is_amx_tile_supported', None)
    return bool(is_amx and is_amx())


def cpu_supports_bf16() -> bool:
    """Whether oneDNN can run bf16 kernels here (AVX512-BF16 or AMX)."""
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


class OneDNNConv3d(nn.Conv3d):
    """``nn.Conv3d`` that always uses oneDNN on CPU at inference.

    PyTorch sends batch-1 convolutions with 1x1 spatial kernels or few
    channels (SlowFast's fast pathway, every bottleneck's 1x1x1 convs) to its
    im2col fallback, which is 3-20x slower than oneDNN on this kind of input;
    this class calls ``aten.mkldnn_convolution`` directly. Parameters and
    state-dict keys are those of ``nn.Conv3d``; with gradients enabled, on
    other devices or with non-zero padding modes it is ``nn.Conv3d``.
    """

    def _conv_forward(self, input: torch.Tensor, weight: torch.Tensor,
                      bias: Optional[torch.Tensor]) -> torch.Tensor:
        if (input.device.type != 'cpu' or torch.is_grad_enabled()
                or self.padding_mode != 'zeros'
                or isinstance(self.padding, str)):
            return super()._conv_forward(input, weight, bias)
        dtype = (torch.get_autocast_dtype('cpu')
                 if torch.is_autocast_enabled('cpu') else input.dtype)
        if dtype not in (torch.float32, torch.bfloat16):
            return super()._conv_forward(input, weight, bias)
        return torch.ops.aten.mkldnn_convolution(
            input.to(dtype), weight.to(dtype),
            None if bias is None else bias.to(dtype), self.padding,
            self.stride, self.dilation, self.groups)


class FoldedConvModule(ConvModule):
    """``ConvModule`` whose eval-mode BatchNorm is folded into the conv.

    At inference (no gradients, BN in eval mode, order conv -> norm -> act)
    the conv runs with ``w * s`` and ``beta - mean * s`` (``s = gamma /
    sqrt(var + eps)``), which saves one pass over every activation. The
    folded tensors are cached and recomputed whenever a weight or BN
    statistic changes (their version counters), so training in between stays
    correct; modules, parameters and state-dict keys are those of
    ``ConvModule``.
    """

    def _foldable(self, norm: bool) -> bool:
        bn = self.norm
        return (norm and self.with_norm and not torch.is_grad_enabled()
                and self.order == ('conv', 'norm', 'act')
                and isinstance(bn, _BatchNorm) and not bn.training
                and bn.track_running_stats and bn.running_var is not None
                and isinstance(self.conv, nn.Conv3d))

    def _folded(self):
        conv, bn = self.conv, self.norm
        tensors = [conv.weight, bn.weight, bn.bias, bn.running_mean,
                   bn.running_var, conv.bias]
        key = tuple((id(t), t._version, t.device) if t is not None else None
                    for t in tensors)
        cache = getattr(self, '_fold_cache', None)
        if cache is None or cache[0] != key:
            scale = bn.running_var.add(bn.eps).rsqrt()
            if bn.weight is not None:
                scale = scale * bn.weight
            weight = conv.weight * scale.view(-1, 1, 1, 1, 1)
            weight = weight.contiguous(
                memory_format=torch.channels_last_3d
                if conv.weight.is_contiguous(
                    memory_format=torch.channels_last_3d) and
                not conv.weight.is_contiguous() else torch.contiguous_format)
            shift = -bn.running_mean * scale
            if conv.bias is not None:
                shift = shift + conv.bias * scale
            if bn.bias is not None:
                shift = shift + bn.bias
            cache = (key, weight, shift)
            self._fold_cache = cache
        return cache[1], cache[2]

    def forward(self,
                x: torch.Tensor,
                activate: bool = True,
                norm: bool = True) -> torch.Tensor:
        """``ConvModule.forward``, with the BN folded when possible."""
        if not self._foldable(norm):
            return super().forward(x, activate, norm)
        weight, shift = self._folded()
        x = self.conv._conv_forward(x, weight, shift)
        if activate and self.with_activation:
            x = self.activate(x)
        return x


class FastInference:
    """Test-time speed-ups of a detector's backbone.

    Args:
        channels_last (bool): Run in ``torch.channels_last_3d`` memory
            format (weights and inputs). Defaults to True.
        onednn_conv (bool): On CPU, run every ``nn.Conv3d`` through oneDNN
            (:class:`OneDNNConv3d`). Defaults to True.
        fold_bn (bool): Fold eval-mode BatchNorm into the preceding conv
            (:class:`FoldedConvModule`). Defaults to True.
        autocast_dtype (str, optional): ``'auto'``, ``'bfloat16'``,
            ``'float16'`` or None (fp32). ``'auto'`` picks bf16 on CPUs with
            AMX, bf16 on CUDA GPUs that support it (else fp16), and fp32
            otherwise. The backbone runs under autocast; its features are
            cast back to fp32 before the RoI head, so scores are fp32.
            Defaults to 'auto'.
        cudnn_benchmark (bool): Set ``torch.backends.cudnn.benchmark`` on
            CUDA. Defaults to True.
    """

    def __init__(self,
                 channels_last: bool = True,
                 onednn_conv: bool = True,
                 fold_bn: bool = True,
                 autocast_dtype: Optional[str] = 'auto',
                 cudnn_benchmark: bool = True) -> None:
        if autocast_dtype not in (None, 'auto', *_DTYPES):
            raise ValueError(
                'fast_inference.autocast_dtype must be one of None, '
                f"'auto', {', '.join(map(repr, _DTYPES))}; got "
                f'{autocast_dtype!r}')
        self.channels_last = channels_last
        self.onednn_conv = onednn_conv
        self.fold_bn = fold_bn
        self.autocast_dtype = autocast_dtype
        self.cudnn_benchmark = cudnn_benchmark
        self._prepared = set()

    def resolve_dtype(self, device: torch.device) -> Optional[torch.dtype]:
        """The autocast dtype used on ``device`` (None: fp32)."""
        if self.autocast_dtype is None:
            return None
        if device.type == 'cuda':
            if self.autocast_dtype != 'auto':
                return _DTYPES[self.autocast_dtype]
            return (torch.bfloat16 if torch.cuda.is_bf16_supported() else
                    torch.float16)
        if device.type != 'cpu':
            return None
        if self.autocast_dtype == 'auto':
            return torch.bfloat16 if cpu_has_fast_bf16() else None
        if self.autocast_dtype == 'bfloat16' and not cpu_supports_bf16():
            raise RuntimeError(
                "fast_inference.autocast_dtype='bfloat16' needs a CPU with "
                "AVX512-BF16 or AMX; use 'auto' or None here")
        return _DTYPES[self.autocast_dtype]

    def prepare(self, module: nn.Module, device: torch.device) -> None:
        """Convert ``module`` once per device: memory format, oneDNN convs,
        cuDNN autotuning. Its state dict is unchanged."""
        if device.type in self._prepared:
            return
        if self.channels_last:
            # 5D weights only (Module.to would also reformat 4D ones)
            for param in module.parameters():
                if param.dim() == 5:
                    param.data = param.data.contiguous(
                        memory_format=torch.channels_last_3d)
        if self.onednn_conv and device.type == 'cpu':
            for conv in module.modules():
                if type(conv) is nn.Conv3d:
                    conv.__class__ = OneDNNConv3d
        if self.fold_bn:
            for block in module.modules():
                if type(block) is ConvModule:
                    block.__class__ = FoldedConvModule
        if device.type == 'cuda' and self.cudnn_benchmark:
            torch.backends.cudnn.benchmark = True
        dtype = self.resolve_dtype(device)
        print_log(
            f'fast inference on {device.type}: channels_last_3d='
            f'{self.channels_last}, oneDNN conv3d='
            f'{self.onednn_conv and device.type == "cpu"}, BN folded='
            f'{self.fold_bn}, autocast='
            f'{dtype or "off (fp32)"}', logger='current')
        self._prepared.add(device.type)

    def run(self, module: nn.Module, forward: Callable,
            inputs: torch.Tensor):
        """``forward(inputs)`` on the prepared ``module`` under autocast;
        tensor outputs (or tuples of them) come back as fp32."""
        device = inputs.device
        self.prepare(module, device)
        if self.channels_last and inputs.dim() == 5:
            inputs = inputs.contiguous(memory_format=torch.channels_last_3d)
        dtype = self.resolve_dtype(device)
        context = (torch.autocast(device.type, dtype=dtype)
                   if dtype is not None else contextlib.nullcontext())
        with context:
            out = forward(inputs)
        if isinstance(out, (tuple, list)):
            return type(out)(x.float() for x in out)
        return out.float()


def build_fast_inference(cfg) -> Optional[FastInference]:
    """``FastInference`` from a config value: a dict of its arguments,
    True (defaults) or None / False (off)."""
    if cfg is None or cfg is False:
        return None
    if cfg is True:
        return FastInference()
    if isinstance(cfg, FastInference):
        return cfg
    if not isinstance(cfg, dict):
        raise TypeError('model.fast_inference must be a dict, True or None, '
                        f'got {type(cfg).__name__}')
    cfg = dict(cfg)
    enabled = cfg.pop('enabled', True)
    return FastInference(**cfg) if enabled else None
