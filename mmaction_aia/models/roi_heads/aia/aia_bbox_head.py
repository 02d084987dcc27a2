"""The classifier after AIA: fusion, two FC layers and the class scores."""
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.structures import InstanceData

from mmaction_aia.registry import MODELS

from ..bbox_head import BBoxHeadAVA, normalise_to_original


@MODELS.register_module()
class AIABBoxHead(BBoxHeadAVA):
    """AlphAction's 2-FC head on pooled person features (+ AIA output).

    ``fc_cls(dropout(relu(fc2(relu(fc1(fuse(person, aia)))))))``, where
    ``fuse`` adds (``'add'``) or concatenates (``'concat'``) the AIA output
    to the pooled person feature. Losses: BBoxHeadAVA's multi-label BCE /
    focal loss (any class set), or a ``loss_cls`` such as
    :class:`GroupedAVALoss` (AlphAction's pose softmax + sigmoid groups),
    whose ``scores`` then also give the predicted probabilities.

    Args:
        in_channels (int): Channels of the pooled person feature.
        aia_channels (int): Channels of the AIA output (0: no AIA, the
            2-FC baseline).
        fusion (str): ``'add'`` or ``'concat'``.
        mlp_channels (int): Width of fc1 / fc2 (AlphAction: 1024).
        num_classes (int): Classes including background.
        dropout_ratio (float): Dropout before ``fc_cls``.
        loss_cls (dict, optional): A loss module config (e.g.
            ``dict(type='GroupedAVALoss')``); None: BBoxHeadAVA's loss.
        **kwargs: Other :class:`BBoxHeadAVA` arguments (``focal_gamma``,
            ``focal_alpha``, ``multilabel``, ``topk``, ...).
    """

    def __init__(self,
                 in_channels: int = 2304,
                 aia_channels: int = 2304,
                 fusion: str = 'add',
                 mlp_channels: int = 1024,
                 num_classes: int = 81,
                 dropout_ratio: float = 0.2,
                 loss_cls: Optional[dict] = None,
                 **kwargs) -> None:
        super().__init__(in_channels=mlp_channels, num_classes=num_classes,
                         dropout_ratio=dropout_ratio, **kwargs)
        if fusion not in ('add', 'concat'):
            raise ValueError(f"fusion must be 'add' or 'concat', got "
                             f'{fusion!r}')
        if aia_channels and fusion == 'add' and aia_channels != in_channels:
            raise ValueError(f"fusion='add' needs aia_channels == in_channels"
                             f', got {aia_channels} and {in_channels}')
        # the RoI feature's channels, as BBoxHeadAVA.in_channels means
        self.in_channels = self.person_channels = in_channels
        self.aia_channels = aia_channels
        self.fusion = fusion
        fc1_in = in_channels + (aia_channels if fusion == 'concat' else 0)
        self.fc1 = nn.Linear(fc1_in, mlp_channels)
        self.fc2 = nn.Linear(mlp_channels, mlp_channels)
        for layer in (self.fc1, self.fc2):
            nn.init.kaiming_uniform_(layer.weight, a=1)
            nn.init.zeros_(layer.bias)
        self.loss_cls = MODELS.build(loss_cls) if loss_cls else None

    def forward(self, person: torch.Tensor,
                aia: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Logits ``[N, num_classes]`` of pooled persons ``[N, C]``."""
        x = person
        if aia is not None:
            x = x + aia if self.fusion == 'add' else torch.cat([x, aia], 1)
        x = F.relu(self.fc2(F.relu(self.fc1(x))))
        if self.dropout_ratio > 0:
            x = self.dropout(x)
        return self.fc_cls(x)

    def loss(self, cls_score: torch.Tensor, labels: torch.Tensor
             ) -> Dict[str, torch.Tensor]:
        """BBoxHeadAVA's loss, or ``loss_cls``'s losses plus the metrics."""
        if self.loss_cls is None:
            return super().loss(cls_score, labels)
        losses = self.loss_cls(cls_score, labels)
        start = 1 if self.background_class else 0
        with torch.no_grad():
            positive = labels[:, start:].sum(-1) > 0
            if positive.any():
                losses.update(self.topk_accuracy(
                    cls_score[positive, start:].detach(),
                    labels[positive, start:]))
        return losses

    def predict_by_feat(self, rois: Sequence[torch.Tensor],
                        cls_scores: Sequence[torch.Tensor],
                        batch_img_metas: List[dict]) -> List[InstanceData]:
        if self.loss_cls is None or not hasattr(self.loss_cls, 'scores'):
            return super().predict_by_feat(rois, cls_scores, batch_img_metas)
        return [
            InstanceData(bboxes=normalise_to_original(clip_rois[:, 1:], meta),
                         scores=self.loss_cls.scores(scores))
            for clip_rois, scores, meta in zip(rois, cls_scores,
                                               batch_img_metas)
        ]
