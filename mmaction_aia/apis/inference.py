"""Build an action detector from a config and run it on frames in memory.

``init_detector`` loads a config (mmaction2 configs too) and checkpoint;
``detect_actions`` scores given person boxes on one clip of RGB frames;
:class:`ActionPredictor` wraps both with label names, a score threshold,
clip sampling around keyframes and an optional AIA memory, for the demos.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.structures import InstanceData

from mmaction_aia.registry import MODELS, TRANSFORMS

#: Pipeline steps that sample or decode frames: the demos hand decoded
#: frames to the rest of the test pipeline instead.
LOADING_TRANSFORMS = ('SampleAVAFrames', 'RawFrameDecode', 'DecordInit',
                      'DecordDecode', 'OpenCVInit', 'OpenCVDecode',
                      'PyAVInit', 'PyAVDecode', 'SampleFrames',
                      'UntrimmedSampleFrames')


def _type_name(transform: dict) -> str:
    return str(transform.get('type', '')).split('.')[-1]


def _test_pipeline_cfg(cfg: Config) -> List[dict]:
    for key in ('test_pipeline', 'val_pipeline'):
        if cfg.get(key):
            return list(cfg[key])
    for key in ('test_dataloader', 'val_dataloader'):
        pipeline = cfg.get(key, {}).get('dataset', {}).get('pipeline')
        if pipeline:
            return list(pipeline)
    raise KeyError('the config has no test_pipeline, val_pipeline or '
                   'test_dataloader.dataset.pipeline to prepare clips with')


def clip_sampling(cfg: Config) -> Dict[str, int]:
    """``clip_len`` and ``frame_interval`` of the config's test sampler."""
    for transform in _test_pipeline_cfg(cfg):
        if _type_name(transform) in ('SampleAVAFrames', 'SampleFrames'):
            return dict(clip_len=int(transform['clip_len']),
                        frame_interval=int(transform.get('frame_interval',
                                                         2)))
    raise KeyError('the test pipeline has no SampleAVAFrames step giving '
                   'clip_len and frame_interval')


def build_inference_pipeline(cfg: Config) -> Compose:
    """The test pipeline after frame loading (resize, format, pack)."""
    steps = [
        TRANSFORMS.build(dict(t)) for t in _test_pipeline_cfg(cfg)
        if _type_name(t) not in LOADING_TRANSFORMS
    ]
    return Compose(steps)


def init_detector(config: Union[str, Config], checkpoint: Optional[str] = None,
                  device: str = 'cpu',
                  cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """Build an action detector in eval mode, with weights if given.

    The model gets ``cfg`` (the loaded config) and ``dataset_meta`` (from
    the checkpoint's meta, else ``{}``) attributes.

    Args:
        config (str | Config): Config file or loaded config.
        checkpoint (str, optional): Weights file; random weights if None.
        device (str): ``'cpu'``, ``'cuda'`` or ``'cuda:N'``.
        cfg_options (dict, optional): Overrides merged into the config.
    """
    from mmaction_aia.engine.runner_setup import load_config
    if isinstance(config, str):
        cfg = load_config(config, cfg_options)
    else:
        cfg = config.copy()
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
    model = MODELS.build(cfg.model)
    dataset_meta = {}
    if checkpoint is not None:
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
        from mmengine.runner import load_checkpoint
        ckpt = load_checkpoint(model, checkpoint, map_location='cpu',
                               logger='silent')
        dataset_meta = (ckpt.get('meta') or {}).get('dataset_meta') or {}
    model.cfg = cfg
    model.dataset_meta = dataset_meta
    return model.to(device).eval()


def _pixel_boxes(boxes, name: str) -> np.ndarray:
    boxes = np.asarray(boxes, np.float32)
    if boxes.size == 0:
        return boxes.reshape(0, 4)
    if boxes.ndim != 2 or boxes.shape[1] < 4:
        raise ValueError(f'{name} must be [N, 4] x1, y1, x2, y2 pixel '
                         f'boxes, got shape {boxes.shape}')
    return boxes[:, :4].copy()


@torch.no_grad()
def detect_actions(model: torch.nn.Module, frames: Sequence[np.ndarray],
                   person_boxes, object_boxes=None,
                   pipeline: Optional[Compose] = None,
                   video_id: str = 'video', timestamp: float = 0.0
                   ) -> InstanceData:
    """Action scores of the persons of one clip.

    Args:
        model: From :func:`init_detector`.
        frames (Sequence[np.ndarray]): The clip, ``clip_len`` RGB uint8
            frames ``[H, W, 3]`` sampled around the keyframe.
        person_boxes: ``[N, 4]`` pixel boxes on the keyframe.
        object_boxes: ``[M, 4]`` pixel boxes of objects (AIA), optional.
        pipeline (Compose, optional): From
            :func:`build_inference_pipeline` (built from ``model.cfg`` if
            None; pass it to avoid rebuilding it per clip).
        video_id (str): Video id in the metainfo (AIA memory key).
        timestamp (float): Keyframe second (AIA memory key).

    Returns:
        InstanceData: ``bboxes`` ``[N, 4]`` normalised to the frame and
        ``scores`` ``[N, num_classes]`` (column 0 is background).
    """
    person_boxes = _pixel_boxes(person_boxes, 'person_boxes')
    num_classes = model.roi_head.bbox_head.num_classes
    if len(person_boxes) == 0:
        return InstanceData(bboxes=torch.zeros(0, 4),
                            scores=torch.zeros(0, num_classes))
    if pipeline is None:
        pipeline = build_inference_pipeline(model.cfg)
    height, width = frames[0].shape[:2]
    results = dict(
        imgs=list(frames), original_shape=(height, width),
        img_shape=(height, width), clip_len=len(frames), num_clips=1,
        modality='RGB', video_id=video_id, timestamp=timestamp,
        img_key=f'{video_id},{timestamp:.3f}',
        crop_quadruple=np.array([0, 0, 1, 1], np.float32),
        proposals=person_boxes,
        scores=np.ones(len(person_boxes), np.float32))
    if object_boxes is not None:
        results['objects'] = _pixel_boxes(object_boxes, 'object_boxes')
    data = pseudo_collate([pipeline(results)])
    if uses_online_memory(model):
        return _predict_online(model, data)[0]
    return model.test_step(data)[0].pred_instances


def uses_online_memory(model: torch.nn.Module) -> bool:
    """Whether the RoI head holds a past-only (online) AIA memory bank."""
    head = model.roi_head
    bank = getattr(head, 'memory_bank', None)
    return (callable(getattr(head, 'predict_online', None))
            and bank is not None and getattr(bank, 'online', False))


def _predict_online(model: torch.nn.Module, data: dict
                    ) -> List[InstanceData]:
    """AIA's online step: backbone, RoI pooling, write the persons into the
    past-only bank, then aggregate with the memory of earlier keyframes."""
    data = model.data_preprocessor(data, False)
    samples = data['data_samples']
    feats = model.extract_feat(data['inputs'])
    return model.roi_head.predict_online(
        feats, [s.proposals for s in samples], samples)


def read_label_names(path: str) -> Dict[int, str]:
    """``{class_id: name}`` of a pbtxt label map or ``id name`` text file."""
    from mmaction_aia.datasets.ava_annotations import read_label_map
    if path.endswith('.pbtxt'):
        return read_label_map(path)
    names = {}
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            parts = line.strip().split(maxsplit=1)
            if len(parts) != 2 or not parts[0].isdigit():
                raise ValueError(f'{path}:{lineno}: expected "<id> <name>", '
                                 f'got {line.strip()!r}')
            names[int(parts[0])] = parts[1]
    return names


def resolve_label_names(model: torch.nn.Module,
                        label_map: Optional[str] = None) -> Dict[int, str]:
    """Names of the model's classes: ``label_map`` > the config's
    ``label_file`` (when it exists) > the checkpoint's ``dataset_meta`` >
    ``'action <id>'``."""
    if label_map is not None:
        if not osp.isfile(label_map):
            raise FileNotFoundError(f'label map not found: {label_map}')
        return read_label_names(label_map)
    label_file = model.cfg.get('label_file')
    if label_file and osp.isfile(label_file):
        return read_label_names(label_file)
    meta = getattr(model, 'dataset_meta', {}) or {}
    if meta.get('classes'):
        ids = meta.get('class_ids') or range(1, len(meta['classes']) + 1)
        return dict(zip(ids, meta['classes']))
    return {}


class ActionPredictor:
    """The action model of the demos: keyframe clip + boxes -> actions.

    Args:
        model: From :func:`init_detector`.
        label_names (dict, optional): ``{class_id: name}``; see
            :func:`resolve_label_names`.
        score_thr (float): Actions scoring below are dropped.
        memory (optional): An AIA memory for models whose RoI head reads
            one (``roi_head.memory_bank``). None (the default) gives such a
            head a fresh past-only bank (``roi_head.online_memory()``);
            ``False`` leaves the head's own bank alone. With a past-only
            bank every call runs AIA's online step (pool, write the persons
            under ``(video_id, timestamp)``, aggregate with the memory of
            earlier keyframes): call it in time order with the stream's
            ``video_id`` and increasing ``timestamp``. Ignored for heads
            without memory.
    """

    def __init__(self, model: torch.nn.Module,
                 label_names: Optional[Dict[int, str]] = None,
                 score_thr: float = 0.5, memory=None) -> None:
        self.model = model
        self.pipeline = build_inference_pipeline(model.cfg)
        sampling = clip_sampling(model.cfg)
        self.clip_len = sampling['clip_len']
        self.frame_interval = sampling['frame_interval']
        num_classes = model.roi_head.bbox_head.num_classes
        custom = model.cfg.get('custom_classes')
        self.class_ids = (list(custom) if custom else list(
            range(1, num_classes)))
        self.label_names = dict(label_names or {})
        self.score_thr = score_thr
        head = model.roi_head
        if memory is None and callable(getattr(head, 'online_memory',
                                               None)):
            memory = head.online_memory()
        # not ``memory or None``: an empty bank is falsy (``__len__``)
        self.memory = None if memory is False else memory
        if self.memory is not None and hasattr(head, 'memory_bank'):
            head.memory_bank = self.memory

    @property
    def clip_offsets(self) -> np.ndarray:
        """Frame offsets of the clip from its keyframe (SampleAVAFrames)."""
        steps = np.arange(-(self.clip_len // 2), (self.clip_len + 1) // 2)
        return steps * self.frame_interval

    def name(self, class_id: int) -> str:
        return self.label_names.get(class_id, f'action {class_id}')

    def __call__(self, frames: Sequence[np.ndarray], person_boxes,
                 object_boxes=None, video_id: str = 'video',
                 timestamp: float = 0.0) -> List[dict]:
        """One dict per person: ``bbox`` (normalised), ``actions`` (list of
        ``(class_id, name, score)``, best first, above ``score_thr``) and
        ``scores`` (all classes, background column dropped)."""
        pred = detect_actions(self.model, frames, person_boxes, object_boxes,
                              self.pipeline, video_id, timestamp)
        scores = pred.scores[:, 1:].float().cpu().numpy()
        persons = []
        for box, row in zip(pred.bboxes.cpu().numpy(), scores):
            order = np.argsort(-row, kind='stable')
            actions = [(self.class_ids[j], self.name(self.class_ids[j]),
                        float(row[j])) for j in order
                       if row[j] >= self.score_thr]
            persons.append(dict(bbox=[float(v) for v in box],
                                actions=actions, scores=row))
        return persons
