"""AVA frame-mAP, vectorised, with the official semantics by default.

``mode='official'`` reproduces ActivityNet's ``get_ava_performance.py`` on
TensorFlow's ``PascalDetectionEvaluator``:

- evaluated classes come from the label map; excluded keyframes are removed
  from ground truth and detections;
- each keyframe keeps its 50 best detections (see :mod:`.ava_order`);
  detections with ``x2 <= x1`` or ``y2 <= y1`` are then dropped;
- per keyframe and class, detections in the reader's order take the
  ground-truth box of highest IoU (the first one on exact ties) if the IoU is
  >= 0.5 and that box is still free; otherwise they are false positives (no
  fall-back to the next box). Detections on keyframes without ground truth
  are false positives;
- AP per class is VOC's all-point AP; classes without ground truth are NaN
  and left out of the mean.

``mode='mmaction2'`` reproduces mmaction2 1.x's ``ava_eval`` (the numbers in
its logs): no cap, keyframes without ground truth ignored, IoU in float32,
excluded keyframes left out of matching but their ground truth still counted,
classes without any detection left out of the mean.

Ranking ties: AP depends on the order of equal scores. Like the reference,
per-class scores are laid out in the reference's order (keyframes in order of
first appearance, rows in the reader's order) and ranked with numpy's
default ``argsort``, so results equal the reference's on the same machine
(numpy's sort for ties may differ between CPUs, for both alike).
"""
import warnings
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Set, Tuple, Union

import numpy as np

from .ava_io import (
    AVABoxRows,
    ImageKey,
    read_ava_csv,
    read_exclusions,
    read_label_map,
)
from .ava_labels import default_class_groups

MODES = ('official', 'mmaction2')
ClassGroups = Dict[str, Sequence[int]]
BoxSource = Union[np.ndarray, Callable[[np.ndarray], np.ndarray]]
OFFICIAL_CAPACITY = 50


def reader_settings(mode: str, ground_truth: bool) -> Tuple[int, str]:
    """(capacity, tie_order) with which ``mode`` reads a file.

    Args:
        mode (str): ``'official'`` or ``'mmaction2'``.
        ground_truth (bool): Whether the file is the ground truth.

    Returns:
        tuple[int, str]: Arguments for :func:`read_ava_csv`.
    """
    if mode not in MODES:
        raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
    if mode == 'mmaction2':
        return 0, 'file'
    return (0 if ground_truth else OFFICIAL_CAPACITY), 'official'


@dataclass
class AVAResult:
    """Frame-mAP and its parts.

    Args:
        mAP (float): Mean AP over evaluated classes (NaN if none).
        per_class_ap (dict[int, float]): AP per class id of the whitelist;
            NaN where the class is not evaluated (no ground truth; in
            ``'mmaction2'`` mode also no detection).
        num_gt (dict[int, int]): Ground-truth boxes per class.
        num_det (dict[int, int]): Detections taking part per class.
        class_names (dict[int, str]): Name per class id.
        group_ap (dict[str, float]): Mean AP per class group.
        class_groups (dict[str, list[int]]): Evaluated classes per group.
        mode (str): The evaluation mode.
    """

    mAP: float
    per_class_ap: Dict[int, float]
    num_gt: Dict[int, int]
    num_det: Dict[int, int]
    class_names: Dict[int, str] = field(default_factory=dict)
    group_ap: Dict[str, float] = field(default_factory=dict)
    class_groups: Dict[str, List[int]] = field(default_factory=dict)
    mode: str = 'official'

    def to_dict(self) -> dict:
        """JSON-ready dict (NaN becomes None; class ids become strings)."""

        def clean(value: float) -> Optional[float]:
            return None if np.isnan(value) else float(value)

        return {
            'mAP': clean(self.mAP),
            'mode': self.mode,
            'per_class': {str(k): clean(v)
                          for k, v in self.per_class_ap.items()},
            'num_gt': {str(k): v for k, v in self.num_gt.items()},
            'num_det': {str(k): v for k, v in self.num_det.items()},
            'class_names': {str(k): v for k, v in self.class_names.items()},
            'groups': {k: clean(v) for k, v in self.group_ap.items()},
            'class_groups': self.class_groups,
        }


def pairwise_box_iou(boxes1: np.ndarray, boxes2: np.ndarray) -> np.ndarray:
    """IoU of row i of ``boxes1`` with row i of ``boxes2`` (x1, y1, x2, y2).

    Bit-for-bit the arithmetic of the TF ``np_box_ops.iou`` (float64
    intersections, areas and their sum in the input dtype).

    Args:
        boxes1 (np.ndarray): ``[P, 4]`` boxes.
        boxes2 (np.ndarray): ``[P, 4]`` boxes, same dtype.

    Returns:
        np.ndarray: ``[P]`` float64 IoU.
    """
    zeros = np.zeros(boxes1.shape[0])
    heights = np.maximum(zeros, np.minimum(boxes1[:, 3], boxes2[:, 3]) -
                         np.maximum(boxes1[:, 1], boxes2[:, 1]))
    widths = np.maximum(zeros, np.minimum(boxes1[:, 2], boxes2[:, 2]) -
                        np.maximum(boxes1[:, 0], boxes2[:, 0]))
    intersection = heights * widths
    area1 = (boxes1[:, 3] - boxes1[:, 1]) * (boxes1[:, 2] - boxes1[:, 0])
    area2 = (boxes2[:, 3] - boxes2[:, 1]) * (boxes2[:, 2] - boxes2[:, 0])
    with np.errstate(invalid='ignore', divide='ignore'):
        return intersection / ((area1 + area2) - intersection)


def match_detections(det_key: np.ndarray, det_boxes: BoxSource,
                     gt_key: np.ndarray, gt_boxes: np.ndarray,
                     iou_threshold: float = 0.5,
                     dtype: type = np.float64) -> np.ndarray:
    """Greedy matching of every (keyframe, class) group at once.

    A detection takes the ground-truth box of its group with the highest
    IoU (the first on ties) if IoU >= ``iou_threshold`` and no earlier
    detection of the group took it. Detections must be in matching order;
    ground truth in tie-break order.

    Args:
        det_key (np.ndarray): Group id per detection (-1: no ground truth).
        det_boxes (np.ndarray | Callable): ``[D, 4]`` detection boxes, or a
            function returning the boxes of given detection indices (only
            detections that share a group with ground truth are asked for).
        gt_key (np.ndarray): Group id per ground-truth box (>= 0).
        gt_boxes (np.ndarray): ``[G, 4]`` ground-truth boxes.
        iou_threshold (float): Minimum IoU of a match.
        dtype (type): Box precision of the IoU (mmaction2 1.x: float32).

    Returns:
        np.ndarray: ``[D]`` bool, True for true positives.
    """
    tp = np.zeros(det_key.size, bool)
    if gt_key.size == 0:
        return tp
    size = max(int(gt_key.max()), int(det_key.max(initial=-1))) + 2
    present = np.zeros(size, bool)  # present[key + 1]; key -1: no group
    present[gt_key + 1] = True
    candidates = np.flatnonzero(present[det_key + 1])
    gt_order = np.argsort(gt_key, kind='stable')
    sorted_key = gt_key[gt_order]
    keys = det_key[candidates]
    lo = np.searchsorted(sorted_key, keys, 'left')
    counts = np.searchsorted(sorted_key, keys, 'right') - lo
    seg_start = np.cumsum(counts) - counts
    pair_det = np.repeat(np.arange(candidates.size), counts)
    pair_gt = gt_order[np.repeat(lo - seg_start, counts)
                       + np.arange(pair_det.size)]
    boxes = (det_boxes(candidates) if callable(det_boxes) else
             det_boxes[candidates])
    iou = pairwise_box_iou(boxes.astype(dtype)[pair_det],
                           gt_boxes[pair_gt].astype(dtype))
    best = np.maximum.reduceat(iou, seg_start) if iou.size else iou
    at_best = np.flatnonzero(iou == np.repeat(best, counts))
    dets, first = np.unique(pair_det[at_best], return_index=True)
    matched = best[dets] >= iou_threshold
    dets, best_gt = dets[matched], pair_gt[at_best[first]][matched]
    _, winner = np.unique(best_gt, return_index=True)
    tp[candidates[dets[winner]]] = True
    return tp


def average_precision(scores: np.ndarray, tp: np.ndarray,
                      num_gt: int) -> float:
    """VOC all-point AP, the TF evaluator's arithmetic and ranking.

    Args:
        scores (np.ndarray): Detection scores in the reference's layout.
        tp (np.ndarray): True-positive flags, same layout.
        num_gt (int): Ground-truth boxes of the class (> 0).

    Returns:
        float: The AP (0.0 without detections).
    """
    if scores.size == 0:
        return 0.0
    hits = tp.astype(int)[np.argsort(scores)[::-1]]
    cum_tp = np.cumsum(hits)
    cum_fp = np.cumsum(1 - hits)
    precision = np.concatenate(
        [[0], cum_tp.astype(float) / (cum_tp + cum_fp), [0]])
    recall = np.concatenate([[0], cum_tp.astype(float) / num_gt, [1]])
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    steps = np.flatnonzero(recall[1:] != recall[:-1]) + 1
    return float(np.sum((recall[steps] - recall[steps - 1]) *
                        precision[steps]))


def _check_rows(rows: AVABoxRows, mode: str, ground_truth: bool,
                classes: np.ndarray) -> None:
    capacity, tie_order = reader_settings(mode, ground_truth)
    if (rows.capacity, rows.tie_order) != (capacity, tie_order):
        raise ValueError(
            f'{rows.path} was read with capacity={rows.capacity}, '
            f'tie_order={rows.tie_order!r}; mode {mode!r} needs '
            f'read_ava_csv(..., capacity={capacity}, '
            f'tie_order={tie_order!r})')
    table = np.zeros(int(max(classes.max(), rows.labels.max(initial=0))) + 1,
                     bool)
    table[classes] = True
    if rows.labels.size and (rows.labels.min() < 0
                             or not table[rows.labels].all()):
        raise ValueError(f'{rows.path} has rows of classes outside the '
                         'whitelist; read it with the same class_whitelist')


def _excluded(keys: Sequence[ImageKey], exclusions: Set[ImageKey]
              ) -> np.ndarray:
    return np.array([key in exclusions for key in keys], bool)


def ava_frame_map(gt: AVABoxRows, pred: AVABoxRows,
                  class_whitelist: Sequence[int],
                  exclusions: Optional[Set[ImageKey]] = None,
                  mode: str = 'official',
                  class_names: Optional[Dict[int, str]] = None,
                  class_groups: Optional[ClassGroups] = None,
                  iou_threshold: float = 0.5) -> AVAResult:
    """AVA frame-mAP of ``pred`` against ``gt``.

    Args:
        gt (AVABoxRows): Ground truth, read with
            ``read_ava_csv(path, class_whitelist, *reader_settings(mode,
            True))``.
        pred (AVABoxRows): Detections, read with
            ``reader_settings(mode, False)``.
        class_whitelist (Sequence[int]): Evaluated class ids (label map).
        exclusions (set[tuple[str, int]], optional): Excluded keyframes.
        mode (str): ``'official'`` (default) or ``'mmaction2'`` (see the
            module docstring).
        class_names (dict[int, str], optional): Names for the report.
        class_groups (dict[str, Sequence[int]], optional): Groups whose mean
            AP is reported; None uses AVA's groups for AVA label maps
            (:func:`default_class_groups`), ``{}`` none.
        iou_threshold (float): IoU of a match. Defaults to 0.5.

    Returns:
        AVAResult: mAP, per-class AP, counts and group means.
    """
    classes = np.array(list(dict.fromkeys(int(c) for c in class_whitelist)),
                       np.int64)
    if classes.size == 0 or classes.min() < 1:
        raise ValueError('class ids must be >= 1 and the whitelist not '
                         f'empty, got {classes.tolist()}')
    _check_rows(gt, mode, True, classes)
    _check_rows(pred, mode, False, classes)
    exclusions = exclusions or set()
    gt_out = _excluded(gt.keys, exclusions)
    gt_keep = np.flatnonzero(~gt_out[gt.image])
    gt_index = {key: i for i, key in enumerate(gt.keys) if not gt_out[i]}
    pred_to_gt = np.array([gt_index.get(key, -1) for key in pred.keys],
                          np.int64).reshape(-1)
    keep = ~_excluded(pred.keys, exclusions)[pred.image]
    if mode == 'official':
        boxes = pred.boxes
        keep &= (boxes[:, 0] < boxes[:, 2]) & (boxes[:, 1] < boxes[:, 3])
    else:
        keep &= pred_to_gt[pred.image] >= 0
    det = np.flatnonzero(keep)
    det_gt_image = pred_to_gt[pred.image[det]]  # int64
    if mode == 'mmaction2' and not (det_gt_image[1:] >= det_gt_image[:-1]
                                    ).all():  # classes laid out in GT order
        order = np.argsort(det_gt_image, kind='stable')
        det, det_gt_image = det[order], det_gt_image[order]
    table = np.full(int(classes.max()) + 1, -1, np.int64)
    table[classes] = np.arange(classes.size)
    det_class = table[pred.labels[det]]
    dtype = np.float64 if mode == 'official' else np.float32
    tp = match_detections(
        np.where(det_gt_image >= 0, det_gt_image * classes.size + det_class,
                 -1), lambda index: pred.boxes_at(det[index]),
        gt.image[gt_keep].astype(np.int64) * classes.size
        + table[gt.labels[gt_keep]],
        gt.boxes[gt_keep], iou_threshold, dtype)
    counted = gt.labels if mode == 'mmaction2' else gt.labels[gt_keep]
    num_gt = np.bincount(table[counted], minlength=classes.size)
    by_class = np.argsort(det_class.astype(np.int16 if classes.size < 2**15
                                           else np.int64), kind='stable')
    bounds = np.searchsorted(det_class[by_class], np.arange(classes.size + 1))
    scores = pred.scores.astype(dtype, copy=False)
    ap = np.full(classes.size, np.nan)
    for c in range(classes.size):
        index = by_class[bounds[c]:bounds[c + 1]]
        if num_gt[c] == 0 or (mode == 'mmaction2' and index.size == 0):
            continue
        ap[c] = average_precision(scores[det[index]], tp[index],
                                  int(num_gt[c]))
    return _result(classes, ap, num_gt, np.diff(bounds), mode, class_names,
                   class_groups)


def _nanmean(values: np.ndarray) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        return float(np.nanmean(values)) if values.size else float('nan')


def _result(classes: np.ndarray, ap: np.ndarray, num_gt: np.ndarray,
            num_det: np.ndarray, mode: str,
            class_names: Optional[Dict[int, str]],
            class_groups: Optional[ClassGroups]) -> AVAResult:
    """Means laid out like the reference (AP at index ``id - 1``)."""
    by_id = np.full(max(int(classes.max()), 1), np.nan)
    by_id[classes - 1] = ap
    per_class = dict(zip(classes.tolist(), ap.tolist()))
    groups = (default_class_groups(class_names) if class_groups is None
              else class_groups)
    members = {name: [int(c) for c in ids if int(c) in per_class]
               for name, ids in groups.items()}
    group_ap = {name: _nanmean(np.array([per_class[c] for c in ids], float))
                for name, ids in members.items()}
    names = class_names or {}
    return AVAResult(
        mAP=_nanmean(by_id if mode == 'official' else ap),
        per_class_ap=per_class,
        num_gt=dict(zip(classes.tolist(), num_gt.tolist())),
        num_det=dict(zip(classes.tolist(), num_det.tolist())),
        class_names={c: names.get(c, str(c)) for c in classes.tolist()},
        group_ap=group_ap,
        class_groups=members,
        mode=mode)


def evaluate_ava_files(gt_csv: str, pred_csv: str, label_map: str,
                       exclusions: Optional[str] = None,
                       mode: str = 'official',
                       custom_classes: Optional[Sequence[int]] = None,
                       class_groups: Optional[ClassGroups] = None
                       ) -> AVAResult:
    """Evaluate AVA files (what ``tools/analysis/eval_ava.py`` runs).

    Args:
        gt_csv (str): Ground-truth CSV.
        pred_csv (str): Results CSV (8 columns, the 8th the score).
        label_map (str): Label map pbtxt; its ids are the evaluated classes.
        exclusions (str, optional): CSV of excluded keyframes.
        mode (str): ``'official'`` (default) or ``'mmaction2'``.
        custom_classes (Sequence[int], optional): Evaluate only these class
            ids (those absent from the label map are ignored, as in
            mmaction2).
        class_groups (dict, optional): See :func:`ava_frame_map`.

    Returns:
        AVAResult: The evaluation.
    """
    names, classes = read_label_map(label_map)
    if custom_classes is not None:
        wanted = set(int(c) for c in custom_classes)
        classes = [c for c in classes if c in wanted]
        if not classes:
            raise ValueError(f'none of custom_classes {sorted(wanted)} is in '
                             f'the label map {label_map}')
    gt = read_ava_csv(gt_csv, classes, *reader_settings(mode, True))
    pred = read_ava_csv(pred_csv, classes, *reader_settings(mode, False))
    return ava_frame_map(gt, pred, classes, read_exclusions(exclusions),
                         mode, names, class_groups)
