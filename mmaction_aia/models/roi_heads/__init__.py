from .assigner import MaxIoUAssignerAVA, RandomSampler
from .bbox_head import BBoxHeadAVA
from .roi_extractor import SingleRoIExtractor3D
from .roi_head import AVARoIHead

__all__ = ['AVARoIHead', 'BBoxHeadAVA', 'MaxIoUAssignerAVA', 'RandomSampler',
           'SingleRoIExtractor3D']
