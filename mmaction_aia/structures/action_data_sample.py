"""The data sample passed between pipeline, model and metric."""
from typing import Union

import numpy as np
import torch
from mmengine.structures import BaseDataElement, InstanceData


class ActionDataSample(BaseDataElement):
    """Annotations and predictions of one clip (mmaction2's ActionDataSample).

    For spatio-temporal detection it carries:

    - ``gt_instances`` (:class:`InstanceData`): ``bboxes`` (float tensor
      ``[N, 4]``, pixel x1, y1, x2, y2 in the network input) and ``labels``
      (float multi-hot tensor ``[N, num_classes]``, column 0 is background).
    - ``proposals`` (:class:`InstanceData`): ``bboxes`` ``[K, 4]`` pixel boxes
      of the person detector, optionally ``scores`` ``[K]``.
    - ``pred_instances`` (:class:`InstanceData`): ``bboxes`` ``[K, 4]``
      normalised to [0, 1] in the original frame and ``scores``
      ``[K, num_classes]``.
    - metainfo such as ``video_id``, ``timestamp``, ``img_shape``,
      ``ori_shape``, ``flip``, ``crop_quadruple``.

    For recognition it carries ``gt_label`` and ``pred_score`` tensors.

    Args:
        metainfo (dict, optional): Meta information of the sample.
        **kwargs: Data fields, e.g. ``gt_instances=InstanceData(...)``.
    """

    @property
    def gt_instances(self) -> InstanceData:
        return self._gt_instances

    @gt_instances.setter
    def gt_instances(self, value: InstanceData) -> None:
        self.set_field(value, '_gt_instances', dtype=InstanceData)

    @gt_instances.deleter
    def gt_instances(self) -> None:
        del self._gt_instances

    @property
    def proposals(self) -> InstanceData:
        return self._proposals

    @proposals.setter
    def proposals(self, value: InstanceData) -> None:
        self.set_field(value, '_proposals', dtype=InstanceData)

    @proposals.deleter
    def proposals(self) -> None:
        del self._proposals

    @property
    def pred_instances(self) -> InstanceData:
        return self._pred_instances

    @pred_instances.setter
    def pred_instances(self, value: InstanceData) -> None:
        self.set_field(value, '_pred_instances', dtype=InstanceData)

    @pred_instances.deleter
    def pred_instances(self) -> None:
        del self._pred_instances

    @property
    def gt_label(self) -> torch.Tensor:
        return self._gt_label

    @gt_label.setter
    def gt_label(self, value: Union[torch.Tensor, np.ndarray, int]) -> None:
        self.set_field(_to_tensor(value), '_gt_label', dtype=torch.Tensor)

    @property
    def pred_score(self) -> torch.Tensor:
        return self._pred_score

    @pred_score.setter
    def pred_score(self, value: Union[torch.Tensor, np.ndarray]) -> None:
        self.set_field(_to_tensor(value), '_pred_score', dtype=torch.Tensor)


def _to_tensor(value) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, int):
        return torch.tensor([value])
    return torch.as_tensor(np.asarray(value))
