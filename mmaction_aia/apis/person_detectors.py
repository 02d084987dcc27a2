"""Person (and object) detectors for the demos, pluggable by registry.

Every detector is a callable ``detector(frame, video_id=..., timestamp=...)``
taking one RGB ``uint8`` frame ``[H, W, 3]`` and returning
:class:`Detections` in pixels of that frame. Three are registered in
:data:`mmaction_aia.registry.PERSON_DETECTORS`:

- ``HOGPersonDetector``: OpenCV's HOG + linear SVM people detector;
  needs no weights at all (the default when none are given);
- ``TorchvisionPersonDetector``: a torchvision Faster R-CNN (COCO classes)
  loaded from a local weights file, never downloaded; its non-person COCO
  detections become the object boxes AIA's object interaction uses;
- ``PrecomputedPersonDetector``: boxes from files in the proposals format
  (``{"video_id,%04d": array [k, 4 or 5]}``, normalised), as written by
  the dataset tools.

Others register the same way and are built with
``build_person_detector(dict(type='MyDetector', ...))``.
"""
import os.path as osp
from dataclasses import dataclass, field
from typing import Optional, Tuple

import cv2
import numpy as np
import torch
from torchvision.ops import nms

from mmaction_aia.registry import PERSON_DETECTORS

from .hog import HOGFeatures, detect_multiscale


def _empty_boxes() -> np.ndarray:
    return np.zeros((0, 4), np.float32)


def _empty_scores() -> np.ndarray:
    return np.zeros((0, ), np.float32)


@dataclass
class Detections:
    """Boxes found in one frame, in pixels of that frame.

    Args:
        bboxes (np.ndarray): ``[N, 4]`` person boxes x1, y1, x2, y2.
        scores (np.ndarray): ``[N]`` person scores in [0, 1].
        object_bboxes (np.ndarray): ``[M, 4]`` boxes of other objects (for
            AIA); empty when the detector finds persons only.
        object_scores (np.ndarray): ``[M]`` object scores.
        object_labels (np.ndarray): ``[M]`` class ids of the detector's
            label space (COCO category ids for torchvision models).
    """

    bboxes: np.ndarray = field(default_factory=_empty_boxes)
    scores: np.ndarray = field(default_factory=_empty_scores)
    object_bboxes: np.ndarray = field(default_factory=_empty_boxes)
    object_scores: np.ndarray = field(default_factory=_empty_scores)
    object_labels: np.ndarray = field(
        default_factory=lambda: np.zeros((0, ), np.int64))

    def __len__(self) -> int:
        return len(self.bboxes)


def _check_frame(frame: np.ndarray) -> None:
    if not isinstance(frame, np.ndarray) or frame.ndim != 3 or \
            frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError('person detectors take one RGB uint8 frame of shape '
                         f'[H, W, 3], got {getattr(frame, "shape", frame)!r}')


def _top_k(bboxes: np.ndarray, scores: np.ndarray, score_thr: float,
           max_num: int) -> Tuple[np.ndarray, np.ndarray]:
    """Boxes scoring ``>= score_thr``, best ``max_num`` first."""
    keep = np.nonzero(scores >= score_thr)[0]
    keep = keep[np.argsort(-scores[keep], kind='stable')][:max_num]
    return (bboxes[keep].astype(np.float32).reshape(-1, 4),
            scores[keep].astype(np.float32))


def _suppress_overlaps(bboxes: np.ndarray, iou_thr: float,
                       nested_thr: float = 0.7) -> np.ndarray:
    """Indices kept by greedy NMS over boxes sorted by score, where a box
    also goes when it covers ``nested_thr`` of a better box or the better
    box covers that much of it (HOG fires on windows around a person)."""
    boxes = torch.from_numpy(bboxes)
    keep = nms(boxes, torch.arange(len(boxes), 0, -1).float(),
               iou_thr).sort().values
    boxes = boxes[keep]
    lt = torch.maximum(boxes[:, None, :2], boxes[None, :, :2])
    rb = torch.minimum(boxes[:, None, 2:], boxes[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    area = (boxes[:, 2:] - boxes[:, :2]).prod(-1)
    nested = inter / torch.minimum(area[:, None], area[None]).clamp(min=1e-6)
    kept = []
    for index in range(len(boxes)):
        if all(nested[index, other] < nested_thr for other in kept):
            kept.append(index)
    return keep[kept].numpy()


@PERSON_DETECTORS.register_module()
class HOGPersonDetector:
    """OpenCV's HOG people detector (Dalal-Triggs SVM, no weights needed).

    Computed by :mod:`.hog` (equal to OpenCV 4's ``HOGDescriptor``, which
    OpenCV 5 no longer has), windows at stride 8. The window is 64x128
    pixels, so small frames are upscaled to ``min_input_height`` first (and
    large ones downscaled to ``max_input_height`` for speed). The SVM margin
    ``w`` becomes a score ``sigmoid(2 * w)``; overlapping windows are merged
    by NMS, and windows nested in better ones dropped; boxes are shrunk by
    ``shrink`` (fractions of width, height), since HOG windows pad the
    person. It finds upright, mostly unoccluded people with no weights to
    download, but is far less accurate than a learned detector.

    Args:
        score_thr (float): Minimum score. Defaults to 0.6.
        min_input_height (int): Upscale shorter frames to this height.
        max_input_height (int): Downscale taller frames to this height.
        scale (float): Pyramid scale step. Defaults to 1.1 (OpenCV's 1.05
            finds a few more people at twice the time).
        nms_iou (float): IoU above which boxes are merged. Defaults to 0.4.
        shrink (tuple[float, float]): Fraction of the width / height removed
            on each side. Defaults to (0.15, 0.05) as OpenCV's sample.
        max_persons (int): At most this many persons. Defaults to 25.
    """

    def __init__(self, score_thr: float = 0.6, min_input_height: int = 480,
                 max_input_height: int = 720, scale: float = 1.1,
                 nms_iou: float = 0.4,
                 shrink: Tuple[float, float] = (0.15, 0.05),
                 max_persons: int = 25) -> None:
        if min_input_height > max_input_height:
            raise ValueError('HOGPersonDetector: min_input_height '
                             f'{min_input_height} > max_input_height '
                             f'{max_input_height}')
        self.score_thr = score_thr
        self.min_input_height = min_input_height
        self.max_input_height = max_input_height
        self.scale = scale
        self.nms_iou = nms_iou
        self.shrink = shrink
        self.max_persons = max_persons
        self.features = HOGFeatures()

    def __call__(self, frame: np.ndarray, video_id: Optional[str] = None,
                 timestamp: Optional[float] = None) -> Detections:
        _check_frame(frame)
        height, width = frame.shape[:2]
        factor = min(max(1.0, self.min_input_height / height),
                     self.max_input_height / height)
        image = frame if factor == 1.0 else cv2.resize(
            frame, (round(width * factor), round(height * factor)),
            interpolation=cv2.INTER_LINEAR)
        bboxes, margins = detect_multiscale(self.features, image, self.scale)
        if len(bboxes) == 0:
            return Detections()
        bboxes /= factor
        pad = (bboxes[:, 2:] - bboxes[:, :2]) * np.asarray(self.shrink,
                                                           np.float32)
        bboxes += np.concatenate([pad, -pad], axis=1)
        scores = 1.0 / (1.0 + np.exp(-2.0 * margins))
        bboxes, scores = _top_k(bboxes, scores, self.score_thr, len(bboxes))
        keep = _suppress_overlaps(bboxes, self.nms_iou)
        bboxes, scores = bboxes[keep][:self.max_persons], scores[keep][
            :self.max_persons]
        np.clip(bboxes[:, 0::2], 0, width, out=bboxes[:, 0::2])
        np.clip(bboxes[:, 1::2], 0, height, out=bboxes[:, 1::2])
        return Detections(bboxes=bboxes, scores=scores)


def _load_state_dict(path: str) -> dict:
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'person detector weights not found: {path}. Nothing is '
            'downloaded: save a torchvision detector state_dict there (e.g. '
            'torch.save(fasterrcnn_resnet50_fpn(weights="DEFAULT")'
            '.state_dict(), PATH) on a machine with internet), or run '
            'without --det-checkpoint to use the HOG detector.')
    state = torch.load(path, map_location='cpu', weights_only=True)
    for key in ('state_dict', 'model'):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict):
        raise ValueError(f'{path}: expected a state_dict (dict of tensors), '
                         f'got {type(state).__name__}')
    return state


@PERSON_DETECTORS.register_module()
class TorchvisionPersonDetector:
    """A torchvision detection model with COCO classes, from a local file.

    Person boxes are COCO category ``person_label`` (1); with
    ``with_objects`` the other categories give the object boxes (best
    ``max_objects`` of them). The weights file is a state_dict of
    ``torchvision.models.detection.<arch>``; it is never downloaded.

    Args:
        checkpoint (str): Local weights file.
        arch (str): A builder in ``torchvision.models.detection``, e.g.
            ``fasterrcnn_resnet50_fpn`` (default),
            ``fasterrcnn_resnet50_fpn_v2`` or
            ``fasterrcnn_mobilenet_v3_large_320_fpn``.
        score_thr (float): Minimum person score. Defaults to 0.5.
        object_score_thr (float): Minimum object score. Defaults to 0.5.
        device (str): ``'cpu'`` or ``'cuda'``.
        num_classes (int): Classes of the checkpoint (91 for COCO).
        person_label (int): Category id of persons. Defaults to 1.
        with_objects (bool): Also return non-person boxes. Defaults to True.
        max_persons (int): At most this many persons. Defaults to 25.
        max_objects (int): At most this many objects. Defaults to 5.
    """

    def __init__(self, checkpoint: str, arch: str = 'fasterrcnn_resnet50_fpn',
                 score_thr: float = 0.5, object_score_thr: float = 0.5,
                 device: str = 'cpu', num_classes: int = 91,
                 person_label: int = 1, with_objects: bool = True,
                 max_persons: int = 25, max_objects: int = 5) -> None:
        from torchvision.models import detection
        builder = getattr(detection, arch, None)
        if builder is None or not callable(builder):
            raise ValueError(f'unknown torchvision detector arch {arch!r}; '
                             'expected a builder of torchvision.models.'
                             'detection such as fasterrcnn_resnet50_fpn')
        state = _load_state_dict(checkpoint)
        model = builder(weights=None, weights_backbone=None,
                        num_classes=num_classes)
        try:
            result = model.load_state_dict(state, strict=False)
            problem = (f'missing keys {result.missing_keys[:3]}, unexpected '
                       f'keys {result.unexpected_keys[:3]}'
                       if result.missing_keys or result.unexpected_keys else
                       None)
        except RuntimeError as exc:  # shape mismatches
            problem = str(exc).strip().splitlines()[-1].strip()
        if problem is not None:
            raise ValueError(
                f'{checkpoint} does not fit torchvision arch {arch!r} '
                f'({problem}); name the right arch, e.g. --det-config '
                'fasterrcnn_resnet50_fpn_v2')
        self.model = model.eval().to(device)
        self.device = device
        self.score_thr = score_thr
        self.object_score_thr = object_score_thr
        self.person_label = person_label
        self.with_objects = with_objects
        self.max_persons = max_persons
        self.max_objects = max_objects

    @torch.no_grad()
    def __call__(self, frame: np.ndarray, video_id: Optional[str] = None,
                 timestamp: Optional[float] = None) -> Detections:
        _check_frame(frame)
        image = torch.from_numpy(frame).to(self.device).permute(2, 0, 1)
        output = self.model([image.float() / 255])[0]
        bboxes = output['boxes'].cpu().numpy()
        scores = output['scores'].cpu().numpy()
        labels = output['labels'].cpu().numpy()
        is_person = labels == self.person_label
        dets = Detections(*_top_k(bboxes[is_person], scores[is_person],
                                  self.score_thr, self.max_persons))
        if self.with_objects:
            objects = np.nonzero(~is_person & (
                scores >= self.object_score_thr))[0][:self.max_objects]
            dets.object_bboxes = bboxes[objects].astype(np.float32)
            dets.object_scores = scores[objects].astype(np.float32)
            dets.object_labels = labels[objects].astype(np.int64)
        return dets


@PERSON_DETECTORS.register_module()
class PrecomputedPersonDetector:
    """Boxes read from proposals-format files instead of detected.

    The files map ``"video_id,%04d"`` (AVA second) to ``[k, 4 or 5]``
    normalised boxes with an optional score column. A keyframe at
    ``timestamp`` seconds from the start of the video reads the key of
    second ``round(timestamp_start + timestamp)``; keyframes further than
    ``max_time_diff`` from an integer second, or absent from the file, have
    no boxes.

    Args:
        proposal_file (str): Person boxes (e.g. ``proposals_val.pkl``).
        object_file (str, optional): Object boxes in the same format.
        score_thr (float): Minimum person score. Defaults to 0.0.
        video_id (str, optional): Video id of the keys; defaults to the one
            each call passes (the demo passes the video file's stem).
        timestamp_start (float): Second of the video's first frame (900 for
            AVA and the synthetic dataset). Defaults to 0.
        max_time_diff (float): Seconds a keyframe may be from a key.
    """

    def __init__(self, proposal_file: str, object_file: Optional[str] = None,
                 score_thr: float = 0.0, video_id: Optional[str] = None,
                 timestamp_start: float = 0.0,
                 max_time_diff: float = 0.5) -> None:
        from mmaction_aia.datasets.ava_annotations import load_box_pkl
        for path in (proposal_file, object_file):
            if path is not None and not osp.isfile(path):
                raise FileNotFoundError(f'precomputed boxes not found: {path}')
        self.proposals = load_box_pkl(proposal_file)
        self.objects = load_box_pkl(object_file) if object_file else {}
        self.score_thr = score_thr
        self.video_id = video_id
        self.timestamp_start = timestamp_start
        self.max_time_diff = max_time_diff

    def _lookup(self, table: dict, key: Optional[str], frame: np.ndarray
                ) -> Tuple[np.ndarray, np.ndarray]:
        boxes = table.get(key) if key is not None else None
        if boxes is None or len(boxes) == 0:
            return _empty_boxes(), _empty_scores()
        height, width = frame.shape[:2]
        scale = np.array([width, height, width, height], np.float32)
        scores = (boxes[:, 4] if boxes.shape[1] == 5 else np.ones(
            len(boxes), np.float32))
        return boxes[:, :4] * scale, scores.astype(np.float32)

    def __call__(self, frame: np.ndarray, video_id: Optional[str] = None,
                 timestamp: Optional[float] = None) -> Detections:
        _check_frame(frame)
        video_id = self.video_id or video_id
        key = None
        if video_id is not None and timestamp is not None:
            second = self.timestamp_start + timestamp
            if abs(second - round(second)) <= self.max_time_diff:
                key = f'{video_id},{int(round(second)):04d}'
        bboxes, scores = self._lookup(self.proposals, key, frame)
        keep = scores >= self.score_thr
        object_bboxes, object_scores = self._lookup(self.objects, key, frame)
        return Detections(bboxes[keep], scores[keep], object_bboxes,
                          object_scores,
                          np.zeros(len(object_bboxes), np.int64))


def build_person_detector(cfg: Optional[dict] = None):
    """Build a person detector from ``dict(type=..., ...)``.

    ``None`` gives the weight-free :class:`HOGPersonDetector`.
    """
    if cfg is None:
        cfg = dict(type='HOGPersonDetector')
    return PERSON_DETECTORS.build(dict(cfg))
