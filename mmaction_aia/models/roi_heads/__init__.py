from .aia import AIABBoxHead, AIARoIHead, AIAStructure, InteractionBlock
from .assigner import MaxIoUAssignerAVA, RandomSampler
from .bbox_head import BBoxHeadAVA
from .roi_extractor import SingleRoIExtractor3D
from .roi_head import AVARoIHead

__all__ = ['AIABBoxHead', 'AIARoIHead', 'AIAStructure', 'InteractionBlock',
           'AVARoIHead', 'BBoxHeadAVA', 'MaxIoUAssignerAVA', 'RandomSampler',
           'SingleRoIExtractor3D']
