"""Backbones: 3D ResNets (ResNet3d, SlowOnly, SlowFast) with mmaction2 1.x
names, config keys and state-dict keys."""
from .resnet3d import ResNet3d
from .resnet3d_blocks import BasicBlock3d, Bottleneck3d, make_res_layer
from .resnet3d_slowfast import (
                                PATHWAYS,
                                DeConvModule,
                                ResNet3dPathway,
                                ResNet3dSlowFast,
                                build_pathway,
)
from .resnet3d_slowonly import ResNet3dSlowOnly

__all__ = [
    'BasicBlock3d', 'Bottleneck3d', 'DeConvModule', 'PATHWAYS', 'ResNet3d',
    'ResNet3dPathway', 'ResNet3dSlowFast', 'ResNet3dSlowOnly',
    'build_pathway', 'make_res_layer'
]
