"""AVARoIHead: proposals -> RoI features -> action scores."""
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.config import ConfigDict
from mmengine.model import BaseModule
from mmengine.structures import InstanceData

from mmaction_aia.registry import MODELS, TASK_UTILS
from mmaction_aia.structures import bbox2roi


def _as_dict(cfg) -> Optional[dict]:
    return None if cfg is None else dict(cfg)


@MODELS.register_module()
class AVARoIHead(BaseModule):
    """The RoI head of mmaction2's AVA detectors.

    Training: each clip's proposals (plus its ground-truth boxes) are
    assigned labels by ``train_cfg.assigner`` (IoU >= 0.9 by default) and at
    most ``train_cfg.sampler.num`` positives are sampled; RoI features are
    classified by ``bbox_head``. Testing: every proposal is scored; any batch
    size works (mmaction2 accepts only one clip per batch).

    Args:
        bbox_roi_extractor (dict): e.g. ``SingleRoIExtractor3D``.
        bbox_head (dict): e.g. ``BBoxHeadAVA``.
        shared_head (dict, optional): A module applied to RoI features before
            the bbox head, called as ``shared_head(roi_feats, feat=...,
            rois=..., img_metas=...)``.
        train_cfg (dict, optional): ``rcnn`` part of the detector's
            train_cfg: ``assigner``, ``sampler``, ``pos_weight``.
        test_cfg (dict, optional): ``rcnn`` part of the test_cfg (unused by
            the AVA head, kept for config compatibility).
        init_cfg (dict, optional): mmengine initialisation config.
    """

    def __init__(self,
                 bbox_roi_extractor: dict,
                 bbox_head: dict,
                 shared_head: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.bbox_roi_extractor = MODELS.build(bbox_roi_extractor)
        self.bbox_head = MODELS.build(bbox_head)
        self.shared_head = (MODELS.build(shared_head)
                            if shared_head is not None else None)
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        train_cfg = ConfigDict(train_cfg or {})
        self.bbox_assigner = TASK_UTILS.build(
            _as_dict(train_cfg.get('assigner')) or dict(
                type='MaxIoUAssignerAVA'))
        self.bbox_sampler = TASK_UTILS.build(
            _as_dict(train_cfg.get('sampler')) or dict(type='RandomSampler'))

    @property
    def with_shared_head(self) -> bool:
        return self.shared_head is not None

    def _bbox_forward(self, x, rois: torch.Tensor, img_metas: List[dict]
                      ) -> Dict[str, torch.Tensor]:
        bbox_feats, global_feat = self.bbox_roi_extractor(x, rois)
        if self.with_shared_head:
            bbox_feats = self.shared_head(
                bbox_feats, feat=global_feat, rois=rois, img_metas=img_metas)
        return dict(cls_score=self.bbox_head(bbox_feats),
                    bbox_feats=bbox_feats)

    def loss(self, x, rpn_results_list: Sequence[InstanceData],
             data_samples: Sequence) -> Dict[str, torch.Tensor]:
        """Assign, sample and compute the bbox head's losses."""
        sampling_results = []
        for proposals, sample in zip(rpn_results_list, data_samples):
            gt = sample.gt_instances
            gt_bboxes, gt_labels = gt.bboxes, gt.labels
            # a crop can leave a person box with no area: nothing to learn
            valid = (gt_bboxes[:, 2] > gt_bboxes[:, 0]) & (
                gt_bboxes[:, 3] > gt_bboxes[:, 1])
            sampling_results.append(self.bbox_sampler.sample(
                self.bbox_assigner, proposals.bboxes.to(gt_bboxes),
                gt_bboxes[valid], gt_labels[valid]))
        rois = bbox2roi([res.pos_priors for res in sampling_results])
        img_metas = [sample.metainfo for sample in data_samples]
        cls_score = self._bbox_forward(x, rois, img_metas)['cls_score']
        labels = torch.cat([res.pos_gt_labels for res in sampling_results])
        return self.bbox_head.loss(cls_score, labels.to(cls_score))

    def predict(self, x, rpn_results_list: Sequence[InstanceData],
                data_samples: Sequence, **kwargs) -> List[InstanceData]:
        """Score every proposal of every clip in the batch."""
        proposals = [res.bboxes[:, :4] for res in rpn_results_list]
        rois = bbox2roi(proposals)
        img_metas = [sample.metainfo for sample in data_samples]
        cls_scores = self._bbox_forward(x, rois, img_metas)['cls_score']
        counts = [len(p) for p in proposals]
        return self.bbox_head.predict_by_feat(
            rois.split(counts), cls_scores.split(counts), img_metas)

    def forward(self, x, rpn_results_list: Sequence[InstanceData],
                data_samples: Sequence = None) -> torch.Tensor:
        """Raw logits of all proposals (``mode='tensor'``)."""
        rois = bbox2roi([res.bboxes[:, :4] for res in rpn_results_list])
        metas = [s.metainfo for s in data_samples] if data_samples else []
        return self._bbox_forward(x, rois, metas)['cls_score']
