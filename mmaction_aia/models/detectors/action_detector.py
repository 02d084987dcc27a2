"""The two-stage action detector (backbone + RoI head), FastRCNN-style."""
from typing import Dict, List, Optional, Union

import torch
from mmengine.model import BaseModel
from mmengine.structures import InstanceData

from mmaction_aia.models.fast_inference import build_fast_inference
from mmaction_aia.registry import MODELS


@MODELS.register_module(name=['ActionDetector', 'FastRCNN'])
class ActionDetector(BaseModel):
    """Spatio-temporal action detector on precomputed person proposals.

    Accepts mmaction2's AVA model config unchanged (``type='FastRCNN',
    _scope_='mmdet'`` resolves here): the backbone turns a clip batch into
    feature maps and the RoI head classifies each proposal of each clip.
    State-dict keys are ``backbone.*`` and ``roi_head.*`` as in mmaction2.

    Args:
        backbone (dict): Backbone config, e.g. ``ResNet3dSlowOnly``.
        roi_head (dict): RoI head config, e.g. ``AVARoIHead``.
        train_cfg (dict, optional): ``dict(rcnn=dict(assigner, sampler,
            pos_weight))``; passed to the RoI head.
        test_cfg (dict, optional): ``dict(rcnn=...)``; passed to the RoI head.
        data_preprocessor (dict, optional): e.g. ``ActionDataPreprocessor``.
        neck (dict, optional): Optional neck between backbone and head.
        rpn_head (dict, optional): Not supported: AVA detectors use
            precomputed proposals; given one, construction fails clearly.
        init_cfg (dict, optional): mmengine initialisation config.
        fast_inference (dict | bool, optional): Test-time speed-ups of the
            backbone (channels_last_3d, oneDNN conv3d, BN folding, autocast,
            cudnn.benchmark): the arguments of
            :class:`~mmaction_aia.models.fast_inference.FastInference`, or
            True for its defaults. Defaults to None (off).
    """

    def __init__(self,
                 backbone: dict,
                 roi_head: dict,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 neck: Optional[dict] = None,
                 rpn_head: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 fast_inference: Union[dict, bool, None] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='ActionDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            # our registry, so it builds without a Runner's default scope
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        if rpn_head is not None:
            raise ValueError(
                'ActionDetector takes person proposals from the dataset '
                '(proposal_file); an rpn_head is not supported.')
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None
        roi_head = dict(roi_head)
        roi_head.update(
            train_cfg=(train_cfg or {}).get('rcnn'),
            test_cfg=(test_cfg or {}).get('rcnn'))
        self.roi_head = MODELS.build(roi_head)
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        self.fast_inference = build_fast_inference(fast_inference)

    def _backbone_and_neck(self, inputs: torch.Tensor):
        x = self.backbone(inputs)
        return self.neck(x) if self.neck is not None else x

    def extract_feat(self, inputs: torch.Tensor):
        """Backbone (and neck) features; in eval mode with
        ``fast_inference`` set, computed on its fast path, returned as fp32.
        """
        if self.fast_inference is not None and not self.training:
            return self.fast_inference.run(self, self._backbone_and_neck,
                                           inputs)
        return self._backbone_and_neck(inputs)

    @staticmethod
    def _proposals(data_samples) -> List[InstanceData]:
        proposals = []
        for sample in data_samples:
            if 'proposals' not in sample:
                raise KeyError(
                    f'sample {sample.metainfo.get("img_key", "?")} has no '
                    'proposals: set proposal_file on the dataset')
            proposals.append(sample.proposals)
        return proposals

    def forward(self, inputs: torch.Tensor, data_samples=None,
                mode: str = 'tensor') -> Union[Dict[str, torch.Tensor], list,
                                               torch.Tensor]:
        """``mode``: ``'loss'`` (dict of losses), ``'predict'`` (data samples
        with ``pred_instances``) or ``'tensor'`` (raw logits)."""
        x = self.extract_feat(inputs)
        if mode == 'loss':
            return self.roi_head.loss(x, self._proposals(data_samples),
                                      data_samples)
        if mode == 'predict':
            results = self.roi_head.predict(x, self._proposals(data_samples),
                                            data_samples)
            for sample, result in zip(data_samples, results):
                sample.pred_instances = result
            return data_samples
        if mode == 'tensor':
            return self.roi_head(x, self._proposals(data_samples),
                                 data_samples)
        raise ValueError(f"mode must be 'loss', 'predict' or 'tensor', got "
                         f'{mode!r}')
