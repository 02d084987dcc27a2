"""Formatting transforms: lay frames out for the network (``FormatShape``)
and pack tensors plus an :class:`ActionDataSample` (``PackActionInputs``)."""
from typing import Dict, Optional, Sequence

import numpy as np
import torch
from mmengine.structures import InstanceData

from mmaction_aia.registry import TRANSFORMS
from mmaction_aia.structures import ActionDataSample

from .base import BaseTransform


def to_tensor(data) -> torch.Tensor:
    """Convert an array, sequence or number to a tensor (mmcv semantics).

    Arrays keep their dtype (negative-stride views are made contiguous);
    an int becomes a 1-element long tensor, a float a 1-element float one.

    Args:
        data (np.ndarray | torch.Tensor | Sequence | int | float): Data.
    """
    if isinstance(data, torch.Tensor):
        return data
    if isinstance(data, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(data))
    if isinstance(data, Sequence) and not isinstance(data, str):
        return torch.tensor(data)
    if isinstance(data, (bool, np.bool_)):
        return torch.tensor([bool(data)])
    if isinstance(data, (int, np.integer)):
        return torch.LongTensor([int(data)])
    if isinstance(data, (float, np.floating)):
        return torch.FloatTensor([float(data)])
    raise TypeError(f'type {type(data)} cannot be converted to a tensor')


@TRANSFORMS.register_module()
class FormatShape(BaseTransform):
    """Stack the frames into the network's input layout.

    ``'NCTHW'`` gives ``[N_crops * num_clips, C, clip_len, H, W]`` and, with
    ``collapse=True`` (detectors, one clip), ``[C, T, H, W]``. ``'NCHW'``
    gives ``[num_frames, C, H, W]``.

    Required keys: ``imgs``, ``num_clips`` and ``clip_len`` (for NCTHW;
    default 1 clip of all frames). Added or modified keys: ``imgs`` (a
    contiguous array), ``input_shape``.

    Args:
        input_format (str): ``'NCTHW'`` or ``'NCHW'``.
        collapse (bool): Drop the leading N axis, which must be 1.
            Defaults to False.
    """

    _repr_fields = ('input_format', 'collapse')
    _formats = ('NCTHW', 'NCHW')

    def __init__(self, input_format: str, collapse: bool = False) -> None:
        if input_format not in self._formats:
            raise ValueError(f'FormatShape input_format must be one of '
                             f'{self._formats}, got {input_format!r}')
        self.input_format = input_format
        self.collapse = collapse

    def transform(self, results: dict) -> dict:
        imgs = results['imgs']
        if not isinstance(imgs, np.ndarray):
            imgs = np.stack(imgs)
        if imgs.ndim == 3:  # single-channel frames
            imgs = imgs[..., None]
        num_clips = results.get('num_clips', 1)
        if self.collapse and num_clips != 1:
            raise ValueError('FormatShape(collapse=True) needs num_clips == '
                             f'1, got {num_clips}')

        if self.input_format == 'NCTHW':
            clip_len = results.get('clip_len', len(imgs) // num_clips)
            # M x H x W x C -> crops x clips x T x H x W x C
            imgs = imgs.reshape((-1, num_clips, clip_len) + imgs.shape[1:])
            imgs = imgs.transpose(0, 1, 5, 2, 3, 4)
            imgs = imgs.reshape((-1, ) + imgs.shape[2:])
        else:
            imgs = imgs.transpose(0, 3, 1, 2)

        if self.collapse:
            if imgs.shape[0] != 1:
                raise ValueError('FormatShape(collapse=True) needs one crop '
                                 f'and clip, got shape {imgs.shape}')
            imgs = imgs[0]
        results['imgs'] = np.ascontiguousarray(imgs)
        results['input_shape'] = results['imgs'].shape
        return results


@TRANSFORMS.register_module()
class PackActionInputs(BaseTransform):
    """Pack ``inputs`` and an :class:`ActionDataSample` (mmaction2 1.x).

    ``inputs`` is the tensor of ``imgs`` (or ``keypoint`` / ``audios``), or
    a dict of the ``collect_keys``. The data sample gets:

    - ``gt_instances``: ``bboxes`` (float ``[N, 4]``) from ``gt_bboxes`` and
      ``labels`` (float multi-hot ``[N, num_classes]``) from ``gt_labels``;
    - ``proposals``: ``bboxes`` from ``proposals`` (and ``scores`` when the
      results hold them);
    - ``objects`` (ours): ``bboxes`` from ``objects``, for AIA;
    - ``gt_label`` from ``label`` (recognition);
    - a field for each present key of ``algorithm_keys``;
    - metainfo: the present ``meta_keys`` plus, whenever present,
      ``ori_shape`` / ``original_shape``, ``flip``, ``flip_direction``,
      ``crop_quadruple`` and ``scale_factor``, which are needed to map
      predicted boxes back to the original frame.

    Args:
        collect_keys (Sequence[str], optional): Pack these keys as a dict of
            inputs instead of a single tensor. Defaults to None.
        meta_keys (Sequence[str]): Keys copied to the metainfo. Defaults to
            ``('img_shape', 'img_key', 'video_id', 'timestamp')``.
        algorithm_keys (Sequence[str]): Keys copied as data fields of the
            data sample. Defaults to ``()``.
    """

    _repr_fields = ('collect_keys', 'meta_keys', 'algorithm_keys')
    #: Metainfo kept even when not listed in ``meta_keys``.
    geometry_meta_keys = ('ori_shape', 'original_shape', 'flip',
                          'flip_direction', 'crop_quadruple', 'scale_factor')
    _input_keys = ('imgs', 'keypoint', 'audios')

    def __init__(self, collect_keys: Optional[Sequence[str]] = None,
                 meta_keys: Sequence[str] = ('img_shape', 'img_key',
                                             'video_id', 'timestamp'),
                 algorithm_keys: Sequence[str] = ()) -> None:
        self.collect_keys = collect_keys
        self.meta_keys = tuple(meta_keys)
        self.algorithm_keys = tuple(algorithm_keys)

    def _pack_inputs(self, results: dict):
        if self.collect_keys is not None:
            return {key: to_tensor(results[key]) for key in self.collect_keys}
        for key in self._input_keys:
            if key in results:
                return to_tensor(results[key])
        raise ValueError(f'PackActionInputs found none of {self._input_keys}'
                         ' in the results')

    @staticmethod
    def _boxes(results: dict, key: str, **fields) -> InstanceData:
        data = {'bboxes': to_tensor(results[key]).float()}
        for name, source in fields.items():
            if results.get(source) is not None:
                data[name] = to_tensor(results[source]).float()
        return InstanceData(**data)

    def _metainfo(self, results: dict) -> Dict:
        keys = self.meta_keys + tuple(
            k for k in self.geometry_meta_keys if k not in self.meta_keys)
        metainfo = {k: results[k] for k in keys if k in results}
        if 'ori_shape' not in metainfo and 'original_shape' in results:
            metainfo['ori_shape'] = results['original_shape']
        return metainfo

    def transform(self, results: dict) -> dict:
        data_sample = ActionDataSample()
        if results.get('gt_bboxes') is not None:
            data_sample.gt_instances = self._boxes(
                results, 'gt_bboxes', labels='gt_labels')
        if results.get('proposals') is not None:
            data_sample.proposals = self._boxes(
                results, 'proposals', scores='scores')
        if results.get('objects') is not None:
            data_sample.objects = self._boxes(results, 'objects')
        if 'label' in results:
            data_sample.gt_label = results['label']
        for key in self.algorithm_keys:
            if key in results:
                data_sample.set_field(results[key], key)
        data_sample.set_metainfo(self._metainfo(results))
        return {
            'inputs': self._pack_inputs(results),
            'data_samples': data_sample
        }
