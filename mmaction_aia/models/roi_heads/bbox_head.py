"""BBoxHeadAVA: multi-label action classification of person RoIs."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmengine.structures import InstanceData

from mmaction_aia.registry import MODELS

from ..losses import focal_classification_loss


def adapt_topk(topk: Union[int, Sequence[int], None],
               num_classes: int, background_class: bool = True
               ) -> Tuple[int, ...]:
    """Clamp the top-k values to the number of real classes.

    mmaction2 asserts ``k < num_classes``, which breaks custom_classes
    training with few classes (mmaction2 #2417). Here values above the number
    of real classes are replaced by that number, duplicates dropped, and a
    note logged.
    """
    if topk is None:
        return ()
    topk = (topk, ) if isinstance(topk, int) else tuple(topk)
    if not all(isinstance(k, int) and k > 0 for k in topk):
        raise TypeError(f'topk must be positive ints, got {topk!r}')
    num_real = num_classes - 1 if background_class else num_classes
    adapted = tuple(sorted({min(k, num_real) for k in topk}))
    if adapted != tuple(sorted(set(topk))):
        print_log(f'BBoxHeadAVA: topk {topk} adapted to {adapted} for '
                  f'{num_real} classes', logger='current')
    return adapted


@MODELS.register_module()
class BBoxHeadAVA(BaseModule):
    """Classify RoI features into (multi-label) actions, mmaction2 1.x API.

    Pools the RoI feature over time and space, applies dropout and a linear
    (or 2-layer MLP) classifier ``fc_cls``. Training uses binary
    cross-entropy with an optional focal term on positive RoIs and logs
    recall / precision at threshold 0.5 and at each top-k.

    Args:
        background_class (bool): Column 0 is background and is ignored in
            the loss and the metrics.
        temporal_pool_type (str): ``'avg'`` or ``'max'``.
        spatial_pool_type (str): ``'avg'`` or ``'max'``.
        in_channels (int): Channels of the RoI feature.
        focal_gamma (float): Focal loss gamma (0 disables).
        focal_alpha (float): Focal loss alpha (loss weight).
        num_classes (int): Classes including background.
        dropout_ratio (float): Dropout probability (0 disables).
        dropout_before_pool (bool): Dropout before (True) or after pooling.
        topk (int | tuple[int]): Top-k for the logged recall / precision;
            values are clamped to the number of classes.
        multilabel (bool): Sigmoid multi-label (AVA) or softmax.
        mlp_head (bool): Two-layer MLP classifier.
        init_cfg (dict, optional): mmengine initialisation config.
    """

    def __init__(self,
                 background_class: bool = True,
                 temporal_pool_type: str = 'avg',
                 spatial_pool_type: str = 'max',
                 in_channels: int = 2048,
                 focal_gamma: float = 0.,
                 focal_alpha: float = 1.,
                 num_classes: int = 81,
                 dropout_ratio: float = 0,
                 dropout_before_pool: bool = True,
                 topk: Union[int, Sequence[int], None] = (3, 5),
                 multilabel: bool = True,
                 mlp_head: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        for name, value in (('temporal_pool_type', temporal_pool_type),
                            ('spatial_pool_type', spatial_pool_type)):
            if value not in ('avg', 'max'):
                raise ValueError(f"{name} must be 'avg' or 'max', got "
                                 f'{value!r}')
        self.background_class = background_class
        self.temporal_pool_type = temporal_pool_type
        self.spatial_pool_type = spatial_pool_type
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.dropout_ratio = dropout_ratio
        self.dropout_before_pool = dropout_before_pool
        self.multilabel = multilabel
        self.focal_gamma = focal_gamma
        self.focal_alpha = focal_alpha
        self.topk = adapt_topk(topk, num_classes, background_class)

        pool3d = {'avg': nn.AdaptiveAvgPool3d, 'max': nn.AdaptiveMaxPool3d}
        self.temporal_pool = pool3d[temporal_pool_type]((1, None, None))
        self.spatial_pool = pool3d[spatial_pool_type]((None, 1, 1))
        if dropout_ratio > 0:
            self.dropout = nn.Dropout(dropout_ratio)
        if mlp_head:
            self.fc_cls = nn.Sequential(
                nn.Linear(in_channels, in_channels), nn.ReLU(),
                nn.Linear(in_channels, num_classes))
        else:
            self.fc_cls = nn.Linear(in_channels, num_classes)

    def init_weights(self) -> None:
        super().init_weights()
        if self.init_cfg is None:
            for m in self.fc_cls.modules():
                if isinstance(m, nn.Linear):
                    nn.init.xavier_normal_(m.weight)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``[N, num_classes]`` of RoI features ``[N, C, T, h, w]``."""
        if self.dropout_before_pool and self.dropout_ratio > 0:
            x = self.dropout(x)
        x = self.spatial_pool(self.temporal_pool(x))
        if not self.dropout_before_pool and self.dropout_ratio > 0:
            x = self.dropout(x)
        return self.fc_cls(x.flatten(1))

    # ----------------------------------------------------------------- losses
    @staticmethod
    def _recall_prec(pred: torch.Tensor, target: torch.Tensor):
        correct = (pred & target).sum(1).float()
        recall = correct / target.sum(1).float().clamp(min=1)
        prec = correct / (pred.sum(1).float() + 1e-6)
        return recall.mean(), prec.mean()

    def topk_accuracy(self, scores: torch.Tensor, target: torch.Tensor,
                      thr: float = 0.5) -> Dict[str, torch.Tensor]:
        """Recall / precision at ``thr`` (single-label: of the top-1 class)
        and at each top-k, as mmaction2 logs them."""
        target = target > 0.5
        probs = scores.sigmoid() if self.multilabel else scores.softmax(-1)

        def topk_matrix(k: int) -> torch.Tensor:
            return torch.zeros_like(target).scatter_(
                1, probs.topk(k, dim=1).indices, True)

        metrics = {}
        recall, prec = self._recall_prec(
            probs > thr if self.multilabel else topk_matrix(1), target)
        metrics[f'recall@thr={thr}'], metrics[f'prec@thr={thr}'] = recall, prec
        for k in self.topk:
            recall, prec = self._recall_prec(topk_matrix(k), target)
            metrics[f'recall@top{k}'], metrics[f'prec@top{k}'] = recall, prec
        return metrics

    def loss(self, cls_score: torch.Tensor, labels: torch.Tensor
             ) -> Dict[str, torch.Tensor]:
        """Loss on RoIs with at least one positive label, plus metrics.

        Args:
            cls_score (Tensor): ``[N, num_classes]`` logits.
            labels (Tensor): ``[N, num_classes]`` multi-hot targets.
        """
        if self.background_class:
            cls_score, labels = cls_score[:, 1:], labels[:, 1:]
        positive = labels.sum(dim=-1) > 0
        cls_score, labels = cls_score[positive], labels[positive]
        if cls_score.numel() == 0:
            # no positive RoI in the batch: zero loss that keeps the graph
            return dict(loss_action_cls=cls_score.sum() * 0)
        with torch.no_grad():
            losses = self.topk_accuracy(cls_score.detach(), labels)
        if not self.multilabel:
            labels = labels / labels.sum(dim=1, keepdim=True)
        losses['loss_action_cls'] = focal_classification_loss(
            cls_score, labels, self.multilabel, self.focal_alpha,
            self.focal_gamma)
        return losses

    # ------------------------------------------------------------- prediction
    def predict_by_feat(self, rois: Sequence[torch.Tensor],
                        cls_scores: Sequence[torch.Tensor],
                        batch_img_metas: List[dict]) -> List[InstanceData]:
        """Per-clip ``InstanceData(bboxes, scores)``.

        ``bboxes`` are mapped back to the original frame and normalised to
        [0, 1] (undoing flip, resize and crop); ``scores`` are per-class
        probabilities ``[K, num_classes]``.
        """
        results = []
        for clip_rois, scores, meta in zip(rois, cls_scores, batch_img_metas):
            scores = scores.sigmoid() if self.multilabel else scores.softmax(
                -1)
            results.append(InstanceData(
                bboxes=normalise_to_original(clip_rois[:, 1:], meta),
                scores=scores))
        return results


def normalise_to_original(bboxes: torch.Tensor, meta: dict) -> torch.Tensor:
    """Map pixel boxes of the network input to normalised original boxes.

    Undoes, in order, a horizontal flip, the resize (by normalising with
    ``img_shape``) and the crop (``crop_quadruple`` = x, y, w, h of the crop
    in normalised original coordinates).
    """
    img_h, img_w = meta['img_shape'][:2]
    bboxes = bboxes.clone().float()
    if meta.get('flip', False):
        x1 = img_w - bboxes[:, 2]
        bboxes[:, 2] = img_w - bboxes[:, 0]
        bboxes[:, 0] = x1
    bboxes[:, 0::2] /= img_w
    bboxes[:, 1::2] /= img_h
    crop = meta.get('crop_quadruple')
    if crop is not None:
        x, y, w, h = (float(v) for v in crop)
        bboxes[:, 0::2] = bboxes[:, 0::2] * w + x
        bboxes[:, 1::2] = bboxes[:, 1::2] * h + y
    return bboxes.clamp_(0, 1)
