"""Building blocks shared by models: mmcv-free ConvModule, NonLocal3d and
config-dict layer builders with mmcv's names."""
from .conv_module import ConvModule
from .layers import build_activation_layer, build_conv_layer, build_norm_layer
from .non_local import NonLocal3d

__all__ = [
    'ConvModule', 'NonLocal3d', 'build_activation_layer', 'build_conv_layer',
    'build_norm_layer'
]
