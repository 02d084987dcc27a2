"""Data pipeline transforms (mmaction2 1.x names and semantics)."""
from .base import BOX_KEYS, BaseTransform, SampleLoadError, map_boxes
from .formatting import FormatShape, PackActionInputs, to_tensor
from .loading import DecordDecode, DecordInit, RawFrameDecode, SampleAVAFrames
from .opencv_video import OpenCVDecode, OpenCVInit
from .processing import Flip, RandomCrop, RandomRescale, Resize, apply_crop

__all__ = [
    'BOX_KEYS', 'BaseTransform', 'SampleLoadError', 'map_boxes',
    'FormatShape', 'PackActionInputs', 'to_tensor', 'DecordDecode',
    'DecordInit', 'OpenCVDecode', 'OpenCVInit', 'RawFrameDecode',
    'SampleAVAFrames', 'Flip', 'RandomCrop', 'RandomRescale', 'Resize',
    'apply_crop'
]
