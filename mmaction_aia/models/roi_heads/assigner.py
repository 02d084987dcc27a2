"""mmaction2's training assignment for AVA, vectorised.

``MaxIoUAssignerAVA`` gives each proposal the (multi-hot) labels of the
ground-truth box it overlaps most if that IoU reaches ``pos_iou_thr``; every
ground-truth box also claims the proposals of its highest IoU (at least
``min_pos_iou``). ``RandomSampler`` adds the ground-truth boxes as proposals
and keeps at most ``num * pos_fraction`` positives. BBoxHeadAVA trains on
positives only, so negatives are not materialised.
"""
from dataclasses import dataclass

import torch

from mmaction_aia.registry import TASK_UTILS
from mmaction_aia.structures import bbox_overlaps


@TASK_UTILS.register_module()
class MaxIoUAssignerAVA:
    """Assign ground truth to proposals by IoU (mmdet / mmaction2 semantics).

    Args:
        pos_iou_thr (float): IoU at or above which a proposal is positive.
        neg_iou_thr (float): IoU below which a proposal is negative.
        min_pos_iou (float): Minimum IoU for a ground-truth box to claim its
            best proposals.
        gt_max_assign_all (bool): A ground-truth box claims all proposals
            tied at its highest IoU.
        match_low_quality (bool): Enable the claiming step above.
    """

    def __init__(self, pos_iou_thr: float = 0.9, neg_iou_thr: float = 0.9,
                 min_pos_iou: float = 0.9, gt_max_assign_all: bool = True,
                 match_low_quality: bool = True) -> None:
        self.pos_iou_thr = pos_iou_thr
        self.neg_iou_thr = neg_iou_thr
        self.min_pos_iou = min_pos_iou
        self.gt_max_assign_all = gt_max_assign_all
        self.match_low_quality = match_low_quality

    def assign(self, priors: torch.Tensor, gt_bboxes: torch.Tensor
               ) -> torch.Tensor:
        """Return the 0-based gt index per prior, -1 negative, -2 ignored."""
        num_priors, num_gt = priors.shape[0], gt_bboxes.shape[0]
        assigned = priors.new_full((num_priors, ), -1, dtype=torch.long)
        if num_priors == 0 or num_gt == 0:
            return assigned
        overlaps = bbox_overlaps(priors, gt_bboxes)
        max_overlaps, argmax = overlaps.max(dim=1)
        ignored = (max_overlaps >= self.neg_iou_thr) & (
            max_overlaps < self.pos_iou_thr)
        assigned[ignored] = -2
        positive = max_overlaps >= self.pos_iou_thr
        assigned[positive] = argmax[positive]
        if self.match_low_quality:
            gt_max, gt_argmax = overlaps.max(dim=0)
            eligible = gt_max >= self.min_pos_iou
            if self.gt_max_assign_all:
                claims = (overlaps == gt_max[None]) & eligible[None]
            else:
                claims = torch.zeros_like(overlaps, dtype=torch.bool)
                claims[gt_argmax[eligible], eligible.nonzero()[:, 0]] = True
            # mmdet loops over gts in order, so the last claiming gt wins
            has_claim = claims.any(dim=1)
            last = num_gt - 1 - claims.flip(1).float().argmax(dim=1)
            assigned[has_claim] = last[has_claim]
        return assigned


@dataclass
class SamplingResult:
    """Positive training RoIs of one clip.

    Args:
        pos_priors (Tensor): ``[P, 4]`` positive boxes.
        pos_gt_labels (Tensor): ``[P, num_classes]`` their targets.
        num_gts (int): Ground-truth boxes in the clip.
    """

    pos_priors: torch.Tensor
    pos_gt_labels: torch.Tensor
    num_gts: int


@TASK_UTILS.register_module()
class RandomSampler:
    """Keep at most ``num * pos_fraction`` random positives per clip.

    Args:
        num (int): RoIs per clip.
        pos_fraction (float): Fraction of positives (1 for AVA).
        neg_pos_ub (int): Kept for config compatibility (negatives are not
            used by the AVA heads).
        add_gt_as_proposals (bool): Prepend ground-truth boxes to proposals.
    """

    def __init__(self, num: int = 32, pos_fraction: float = 1.0,
                 neg_pos_ub: int = -1, add_gt_as_proposals: bool = True,
                 **kwargs) -> None:
        self.num = num
        self.pos_fraction = pos_fraction
        self.neg_pos_ub = neg_pos_ub
        self.add_gt_as_proposals = add_gt_as_proposals

    def sample(self, assigner: MaxIoUAssignerAVA, proposals: torch.Tensor,
               gt_bboxes: torch.Tensor, gt_labels: torch.Tensor
               ) -> SamplingResult:
        """Assign ``proposals`` to ``gt_bboxes`` and sample positives."""
        proposals = proposals[:, :4]
        if self.add_gt_as_proposals and len(gt_bboxes):
            proposals = torch.cat([gt_bboxes.to(proposals), proposals])
        assigned = assigner.assign(proposals, gt_bboxes)
        pos_inds = torch.nonzero(assigned >= 0)[:, 0]
        max_pos = int(self.num * self.pos_fraction)
        if pos_inds.numel() > max_pos:
            keep = torch.randperm(pos_inds.numel(),
                                  device=pos_inds.device)[:max_pos]
            pos_inds = pos_inds[keep]
        return SamplingResult(
            pos_priors=proposals[pos_inds],
            pos_gt_labels=gt_labels[assigned[pos_inds]],
            num_gts=len(gt_bboxes))
