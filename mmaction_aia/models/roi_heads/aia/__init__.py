from .aia_bbox_head import AIABBoxHead
from .aia_roi_head import AIARoIHead, ClipBatch
from .blocks import InteractionBlock, pair_geometry
from .structures import AIAStructure, parse_block_list

__all__ = ['AIABBoxHead', 'AIARoIHead', 'AIAStructure', 'ClipBatch',
           'InteractionBlock', 'pair_geometry', 'parse_block_list']
