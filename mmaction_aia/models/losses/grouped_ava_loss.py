"""AIA's grouped AVA loss: softmax focal on pose, sigmoid focal elsewhere."""
from typing import Dict, Optional

import torch
import torch.nn as nn

from mmaction_aia.registry import MODELS

from .focal import focal_classification_loss

#: AVA v2.2's groups as AlphAction uses them (class ids = score columns).
AVA_LOSS_GROUPS = dict(
    pose=dict(classes=list(range(1, 15)), kind='softmax', weight=1.2),
    object=dict(classes=list(range(15, 64)), kind='sigmoid', weight=49.0),
    person=dict(classes=list(range(64, 81)), kind='sigmoid', weight=17.0))


@MODELS.register_module()
class GroupedAVALoss(nn.Module):
    """Per-group focal losses (AlphAction's AVA loss), groups configurable.

    A ``softmax`` group has exactly one label per box (AVA's 14 poses): a
    softmax focal loss against the labelled class, on boxes that have one.
    A ``sigmoid`` group is multi-label: a sigmoid focal loss averaged over
    the group's classes. Each group loss is summed over boxes, divided by
    the number of boxes and multiplied by the group's weight (AlphAction:
    pose 1.2, object 49, person 17, which cancels the per-class mean).
    Columns not in any group get no loss.

    Args:
        groups (dict, optional): ``name -> dict(classes=[column ids],
            kind='softmax'|'sigmoid', weight=float)``. Column ids index the
            score tensor (with a background column 0 these are the class
            ids). Defaults to AVA's pose / object / person groups.
        focal_gamma (float): Focusing parameter (AlphAction: 2).
        focal_alpha (float): Loss scale of the focal term (1: none).
    """

    def __init__(self, groups: Optional[Dict[str, dict]] = None,
                 focal_gamma: float = 2.0, focal_alpha: float = 1.0) -> None:
        super().__init__()
        groups = AVA_LOSS_GROUPS if groups is None else groups
        if not groups:
            raise ValueError('GroupedAVALoss needs at least one group')
        self.groups = {}
        for name, group in groups.items():
            kind = group.get('kind', 'sigmoid')
            if kind not in ('softmax', 'sigmoid'):
                raise ValueError(f"loss group {name!r}: kind must be "
                                 f"'softmax' or 'sigmoid', got {kind!r}")
            classes = [int(c) for c in group['classes']]
            if not classes:
                raise ValueError(f'loss group {name!r} has no classes')
            self.groups[name] = dict(classes=classes, kind=kind,
                                     weight=float(group.get('weight', 1.0)))
        self.focal_gamma = focal_gamma
        self.focal_alpha = focal_alpha

    def forward(self, cls_score: torch.Tensor,
                labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        """``loss_<group>`` per group for ``[N, C]`` logits and targets."""
        num_boxes = max(cls_score.shape[0], 1)
        losses = {}
        for name, group in self.groups.items():
            cols = torch.as_tensor(group['classes'], device=cls_score.device)
            if int(cols.max()) >= cls_score.shape[1]:
                raise ValueError(f'loss group {name!r} names column '
                                 f'{int(cols.max())} but scores have '
                                 f'{cls_score.shape[1]} columns')
            score, target = cls_score[:, cols], labels[:, cols]
            if group['kind'] == 'softmax':
                has_label = target.sum(1) > 0
                score, target = score[has_label], target[has_label]
                if score.shape[0] == 0:
                    losses[f'loss_{name}'] = cls_score.sum() * 0
                    continue
                onehot = torch.zeros_like(target).scatter_(
                    1, target.argmax(1, keepdim=True), 1.0)
                loss = focal_classification_loss(
                    score, onehot, False, self.focal_alpha,
                    self.focal_gamma) * score.shape[0] / num_boxes
            else:
                loss = focal_classification_loss(
                    score, target, True, self.focal_alpha, self.focal_gamma)
            losses[f'loss_{name}'] = group['weight'] * loss
        return losses

    def scores(self, cls_score: torch.Tensor) -> torch.Tensor:
        """Probabilities: softmax within softmax groups, sigmoid elsewhere."""
        probs = cls_score.sigmoid()
        for group in self.groups.values():
            if group['kind'] == 'softmax':
                cols = torch.as_tensor(group['classes'],
                                       device=cls_score.device)
                probs[:, cols] = cls_score[:, cols].softmax(-1)
        return probs
