"""Box helpers shared by datasets, heads and metrics (x1, y1, x2, y2 boxes)."""
import torch
from torchvision.ops import box_iou


def bbox_overlaps(boxes_a: torch.Tensor,
                  boxes_b: torch.Tensor) -> torch.Tensor:
    """IoU matrix ``[len(a), len(b)]`` of two sets of x1y1x2y2 boxes.

    Empty inputs give an empty matrix of the right shape.
    """
    if boxes_a.numel() == 0 or boxes_b.numel() == 0:
        return boxes_a.new_zeros((boxes_a.shape[0], boxes_b.shape[0]))
    return box_iou(boxes_a.float(), boxes_b.float())


def bbox2roi(bbox_list) -> torch.Tensor:
    """Stack per-image boxes into RoIs ``[N, 5]`` of (batch index, box)."""
    rois = []
    for img_id, bboxes in enumerate(bbox_list):
        index = bboxes.new_full((bboxes.shape[0], 1), img_id)
        rois.append(torch.cat([index, bboxes[:, :4]], dim=-1))
    if not rois:
        return torch.zeros((0, 5))
    return torch.cat(rois, 0)
