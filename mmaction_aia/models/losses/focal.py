"""Focal-weighted classification losses used by the AVA heads."""
import torch
import torch.nn.functional as F


def focal_classification_loss(cls_score: torch.Tensor,
                              labels: torch.Tensor,
                              multilabel: bool = True,
                              focal_alpha: float = 1.0,
                              focal_gamma: float = 0.0) -> torch.Tensor:
    """Mean of ``alpha * (1 - p_t) ** gamma * CE`` (mmaction2's BBoxHeadAVA).

    With ``gamma=0`` and ``alpha=1`` this is plain binary cross-entropy with
    logits (multi-label) or soft-target cross-entropy (single-label).

    Args:
        cls_score (Tensor): Logits ``[N, C]``.
        labels (Tensor): Targets ``[N, C]`` (multi-hot, or probabilities for
            single-label).
        multilabel (bool): Sigmoid BCE per class, else softmax CE per row.
        focal_alpha (float): Weight of the loss.
        focal_gamma (float): Focusing parameter.
    """
    if multilabel:
        loss = F.binary_cross_entropy_with_logits(
            cls_score, labels, reduction='none')
    else:
        loss = torch.sum(-labels * F.log_softmax(cls_score, dim=-1), dim=-1)
    if focal_gamma != 0:
        pt = torch.exp(-loss)
        loss = (1 - pt)**focal_gamma * loss
    return torch.mean(focal_alpha * loss)
