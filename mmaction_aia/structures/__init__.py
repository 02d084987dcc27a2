from .action_data_sample import ActionDataSample
from .bbox import bbox2roi, bbox_overlaps

__all__ = ['ActionDataSample', 'bbox2roi', 'bbox_overlaps']
