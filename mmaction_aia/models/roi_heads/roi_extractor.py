"""RoI feature extraction from 3D feature maps on torchvision's roi_align."""
from typing import Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.ops import roi_align, roi_pool

from mmaction_aia.registry import MODELS


@MODELS.register_module()
class SingleRoIExtractor3D(nn.Module):
    """Extract per-RoI features from a (list of) ``[B, C, T, H, W]`` map(s).

    mmaction2's extractor on torchvision ops: several pathways (SlowFast)
    are resized to the largest temporal size and concatenated along
    channels; the temporal axis is optionally pooled; then RoIAlign (or
    RoIPool) runs on every time step at once.

    Args:
        roi_layer_type (str): ``'RoIAlign'`` or ``'RoIPool'``.
        featmap_stride (int): Stride of the feature map w.r.t. the input.
        output_size (int | tuple): RoI output size.
        sampling_ratio (int): RoIAlign sampling points (0: adaptive).
        pool_mode (str): Only ``'avg'`` (torchvision's RoIAlign averages).
        aligned (bool): Half-pixel aligned RoIAlign (mmcv's default).
        with_temporal_pool (bool): Pool the temporal axis to 1 first.
        temporal_pool_mode (str): ``'avg'`` or ``'max'``.
        with_global (bool): Concatenate a global (whole-frame) feature
            pooled to ``output_size`` to each RoI feature (the "context"
            configs).
    """

    def __init__(self,
                 roi_layer_type: str = 'RoIAlign',
                 featmap_stride: int = 16,
                 output_size: Union[int, Tuple[int, int]] = 16,
                 sampling_ratio: int = 0,
                 pool_mode: str = 'avg',
                 aligned: bool = True,
                 with_temporal_pool: bool = True,
                 temporal_pool_mode: str = 'avg',
                 with_global: bool = False) -> None:
        super().__init__()
        if roi_layer_type not in ('RoIAlign', 'RoIPool'):
            raise ValueError("roi_layer_type must be 'RoIAlign' or 'RoIPool', "
                             f'got {roi_layer_type!r}')
        if pool_mode != 'avg':
            raise ValueError(
                f"pool_mode={pool_mode!r} is not supported: torchvision's "
                "RoIAlign averages samples; use pool_mode='avg'")
        if temporal_pool_mode not in ('avg', 'max'):
            raise ValueError("temporal_pool_mode must be 'avg' or 'max', got "
                             f'{temporal_pool_mode!r}')
        self.roi_layer_type = roi_layer_type
        self.featmap_stride = featmap_stride
        self.spatial_scale = 1. / featmap_stride
        self.output_size = (output_size, output_size) if isinstance(
            output_size, int) else tuple(output_size)
        self.sampling_ratio = sampling_ratio
        self.pool_mode = pool_mode
        self.aligned = aligned
        self.with_temporal_pool = with_temporal_pool
        self.temporal_pool_mode = temporal_pool_mode
        self.with_global = with_global

    def _merge_pathways(self, feat) -> torch.Tensor:
        if isinstance(feat, torch.Tensor):
            feat = (feat, )
        if len(feat) >= 2:
            max_t = max(x.shape[2] for x in feat)
            size = (max_t, ) + tuple(feat[0].shape[3:])
            feat = [F.interpolate(x, size) if x.shape[2:] != size else x
                    for x in feat]
        if self.with_temporal_pool:
            if self.temporal_pool_mode == 'avg':
                feat = [x.mean(2, keepdim=True) for x in feat]
            else:
                feat = [x.amax(2, keepdim=True) for x in feat]
        return torch.cat(feat, dim=1) if len(feat) > 1 else feat[0]

    def forward(self, feat, rois: torch.Tensor):
        """Return ``(roi_feats [N, C', T, h, w], merged feature map)``.

        Args:
            feat (Tensor | tuple[Tensor]): ``[B, C, T, H, W]`` map(s).
            rois (Tensor): ``[N, 5]`` (batch index, x1, y1, x2, y2) in
                input pixels.
        """
        feat = self._merge_pathways(feat)
        b, c, t, h, w = feat.shape
        # fold time into channels: one RoI op for every time step
        frames = feat.reshape(b, c * t, h, w)
        rois = rois.to(frames.dtype)
        if self.roi_layer_type == 'RoIAlign':
            roi_feats = roi_align(frames, rois, self.output_size,
                                  self.spatial_scale, self.sampling_ratio,
                                  self.aligned)
        else:
            roi_feats = roi_pool(frames, rois, self.output_size,
                                 self.spatial_scale)
        roi_feats = roi_feats.view(-1, c, t, *self.output_size)
        if self.with_global:
            global_feats = F.adaptive_avg_pool2d(frames, self.output_size)
            global_feats = global_feats.view(b, c, t, *self.output_size)
            global_feats = global_feats[rois[:, 0].long()]
            roi_feats = torch.cat([roi_feats, global_feats], dim=1)
        return roi_feats, feat
