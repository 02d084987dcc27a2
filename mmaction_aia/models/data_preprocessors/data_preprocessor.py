"""Batching and normalisation of clips on the model's device."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseDataPreprocessor

from mmaction_aia.registry import MODELS

_CHANNEL_DIMS = {'NCTHW': 1, 'NCHW': 1}


@MODELS.register_module()
class ActionDataPreprocessor(BaseDataPreprocessor):
    """Stack, pad, normalise and (optionally) re-layout a batch of clips.

    Clips of different spatial sizes are padded at the bottom / right with
    ``pad_value`` to the largest size in the batch, so pixel boxes stay valid.
    ``mean`` and ``std`` are non-persistent buffers (not in the state dict),
    as in mmaction2.

    Args:
        mean (Sequence[float], optional): Per-channel mean, in the input's
            channel order.
        std (Sequence[float], optional): Per-channel standard deviation.
        to_rgb (bool): Reverse the channel order (BGR -> RGB) first.
        to_float32 (bool): Cast inputs to float32 even without mean / std.
        format_shape (str): ``'NCTHW'`` (clips ``[C, T, H, W]``) or
            ``'NCHW'`` (images / frames ``[C, H, W]``).
        pad_value (float): Value used for padding.
        channels_last (bool): Return inputs in ``torch.channels_last_3d``
            (``NCTHW``) or ``channels_last`` (``NCHW``) memory format, which
            is faster for 3D convolutions on CPUs with oneDNN and on GPUs.
    """

    def __init__(self,
                 mean: Optional[Sequence[float]] = None,
                 std: Optional[Sequence[float]] = None,
                 to_rgb: bool = False,
                 to_float32: bool = True,
                 format_shape: str = 'NCTHW',
                 pad_value: float = 0.0,
                 channels_last: bool = False) -> None:
        super().__init__()
        if format_shape not in _CHANNEL_DIMS:
            raise ValueError(f'format_shape must be one of '
                             f'{sorted(_CHANNEL_DIMS)}, got {format_shape!r}')
        if (mean is None) != (std is None):
            raise ValueError('mean and std must be both set or both None')
        self.format_shape = format_shape
        self.to_rgb = to_rgb
        self.to_float32 = to_float32
        self.pad_value = pad_value
        self.channels_last = channels_last
        self._enable_normalize = mean is not None
        if self._enable_normalize:
            view = (-1, 1, 1, 1) if format_shape == 'NCTHW' else (-1, 1, 1)
            self.register_buffer(
                'mean', torch.tensor(mean, dtype=torch.float32).view(view),
                False)
            self.register_buffer(
                'std', torch.tensor(std, dtype=torch.float32).view(view),
                False)

    def _stack(self, inputs) -> torch.Tensor:
        if isinstance(inputs, torch.Tensor):
            return inputs
        max_h = max(x.shape[-2] for x in inputs)
        max_w = max(x.shape[-1] for x in inputs)
        padded = [
            F.pad(x, (0, max_w - x.shape[-1], 0, max_h - x.shape[-2]),
                  value=self.pad_value)
            if x.shape[-2:] != (max_h, max_w) else x for x in inputs
        ]
        return torch.stack(padded)

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        inputs = self._stack(data['inputs'])
        if self.to_rgb:
            inputs = inputs.flip(1)
        if self._enable_normalize:
            inputs = (inputs.float() - self.mean) / self.std
        elif self.to_float32:
            inputs = inputs.float()
        if self.channels_last:
            memory_format = (torch.channels_last_3d if inputs.dim() == 5 else
                             torch.channels_last)
            inputs = inputs.contiguous(memory_format=memory_format)
        return dict(inputs=inputs, data_samples=data.get('data_samples'))
