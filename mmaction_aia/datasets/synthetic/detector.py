"""A simulated, imperfect person and object detector (the proposal files).

Most people are found with small jitter (median IoU about 0.93 to the ground
truth, scores above 0.9); some boxes are sloppy (lower IoU, lower score),
occluded or half-visible people are sometimes missed, a few duplicates and
false positives with low-to-medium scores appear. Scores rise with IoU, as
a real detector's roughly do.
"""
from typing import List, Sequence, Tuple

import numpy as np

from .figure import Geometry
from .labels import MIN_VISIBLE
from .script import VideoScript

Box = Tuple[float, float, float, float]
MIN_DETECTABLE = 0.3     # visible fraction below which nothing is found
GOOD_JITTER = 0.02       # edge jitter (fraction of the box size), 85 %
SLOPPY_JITTER = 0.08     # edge jitter of the other 15 %
SLOPPY_PROB = 0.15
MISS_PROB = 0.01
DUPLICATE_PROB = 0.05
PERSON_FP_RATE = 0.3     # expected false positives per keyframe
OBJECT_FP_RATE = 0.15
OBJECT_MISS_PROB = 0.08


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    """IoU of two ``x1, y1, x2, y2`` boxes.

    Args:
        a (Sequence[float]): First box.
        b (Sequence[float]): Second box.
    """
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    union = ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])
             - inter)
    return inter / union


def _clip(box: Sequence[float], w: int, h: int) -> Box:
    x1, y1 = min(max(box[0], 0.0), w - 1.0), min(max(box[1], 0.0), h - 1.0)
    x2 = min(max(box[2], x1 + 1.0), float(w))
    y2 = min(max(box[3], y1 + 1.0), float(h))
    return x1, y1, x2, y2


class Detector:
    """Turns true boxes into detections ``[k, 5]`` (normalised, scored).

    Args:
        rng (np.random.Generator): The video's detector generator.
        width (int): Frame width.
        height (int): Frame height.
    """

    def __init__(self, rng: np.random.Generator, width: int,
                 height: int) -> None:
        self.rng, self.w, self.h = rng, width, height

    def _jitter(self, box: Box, sigma: float) -> Box:
        bw, bh = box[2] - box[0], box[3] - box[1]
        d = self.rng.normal(0, sigma, 4) * np.array([bw, bh, bw, bh])
        return _clip([box[k] + float(d[k]) for k in range(4)], self.w, self.h)

    def _score(self, quality: float) -> float:
        base = 0.5 + 0.5 * min(max((quality - 0.3) / 0.45, 0.0), 1.0)
        return float(np.clip(base + self.rng.normal(0, 0.03), 0.05, 0.999))

    def _false_positives(self, rate: float, size: Tuple[float, float],
                         rows: List[List[float]]) -> None:
        for _ in range(int(self.rng.poisson(rate))):
            bw = size[0] * float(self.rng.uniform(0.6, 1.4))
            bh = size[1] * float(self.rng.uniform(0.6, 1.4))
            x1 = float(self.rng.uniform(0, max(1.0, self.w - bw)))
            y1 = float(self.rng.uniform(self.h * 0.3, max(
                self.h * 0.3 + 1, self.h - bh)))
            box = _clip([x1, y1, x1 + bw, y1 + bh], self.w, self.h)
            score = 0.1 + 0.75 * float(self.rng.random()) ** 2
            rows.append([*box, score])

    def _pack(self, rows: List[List[float]]) -> np.ndarray:
        if not rows:
            return np.zeros((0, 5), np.float32)
        arr = np.asarray(rows, np.float64)
        arr = arr[np.argsort(-arr[:, 4], kind='stable')]
        arr[:, [0, 2]] /= self.w
        arr[:, [1, 3]] /= self.h
        return np.clip(arr, 0.0, 1.0).astype(np.float32)

    def detect(self, boxes: List[Box], visible: List[float],
               occlusion: List[float], fp_rate: float, fp_size,
               miss_prob: float = MISS_PROB) -> np.ndarray:
        """Detections of one keyframe.

        Args:
            boxes (list): True pixel boxes clipped to the frame.
            visible (list[float]): Fraction of each box inside the frame.
            occlusion (list[float]): Fraction of each box hidden by nearer
                people.
            fp_rate (float): Expected number of false positives.
            fp_size (tuple): Typical ``(w, h)`` of a false positive.
            miss_prob (float): Base chance to miss a fully visible box.

        Returns:
            np.ndarray: float32 ``[k, 5]``: normalised x1, y1, x2, y2,
            score, sorted by descending score.
        """
        rows: List[List[float]] = []
        for box, vis, occ in zip(boxes, visible, occlusion):
            if vis < MIN_DETECTABLE:
                continue
            miss = miss_prob + 0.15 * occ + (0.3 if vis < MIN_VISIBLE else 0)
            if self.rng.random() < miss:
                continue
            sloppy = self.rng.random() < SLOPPY_PROB
            det = self._jitter(box, SLOPPY_JITTER if sloppy else GOOD_JITTER)
            rows.append([*det, self._score(iou(det, box))])
            if self.rng.random() < DUPLICATE_PROB:
                det = self._jitter(box, 2 * SLOPPY_JITTER)
                rows.append([*det, 0.8 * self._score(iou(det, box))])
        self._false_positives(fp_rate, fp_size, rows)
        return self._pack(rows)


def _occlusion(boxes: np.ndarray, depth: np.ndarray, p: int) -> float:
    """Fraction of box ``p`` covered by boxes of nearer people."""
    b = boxes[p]
    area = max((b[2] - b[0]) * (b[3] - b[1]), 1e-6)
    cover = 0.0
    for q in range(len(boxes)):
        if depth[q] > depth[p]:
            o = boxes[q]
            iw = min(b[2], o[2]) - max(b[0], o[0])
            ih = min(b[3], o[3]) - max(b[1], o[1])
            cover += max(iw, 0) * max(ih, 0)
    return min(cover / area, 1.0)


def detect_keyframe(det: Detector, script: VideoScript, geom: Geometry,
                    second: int) -> Tuple[np.ndarray, np.ndarray]:
    """Person proposals and object detections at one keyframe.

    On the corrupted second only false positives come out.

    Args:
        det (Detector): The video's detector.
        script (VideoScript): The planned video.
        geom (Geometry): Its geometry.
        second (int): Keyframe time relative to the first frame.

    Returns:
        tuple[np.ndarray, np.ndarray]: Person and object detections.
    """
    i = second * script.fps
    w, h = script.width, script.height
    mean_h = float(np.mean([a.h for a in script.actors]))
    person_size, obj_size = (0.45 * mean_h, mean_h), (0.15 * h, 0.12 * h)
    if second == script.corrupt_second:
        return (det.detect([], [], [], 2 * PERSON_FP_RATE, person_size),
                det.detect([], [], [], OBJECT_FP_RATE, obj_size))
    depth = np.array([a.look.lane_y for a in script.actors])
    raw = geom.boxes[:, i]
    boxes, vis, occ = [], [], []
    for p in range(len(script.actors)):
        boxes.append(_clip(raw[p], w, h))
        vis.append(float(geom.visible[p, i]))
        occ.append(_occlusion(raw, depth, p))
    persons = det.detect(boxes, vis, occ, PERSON_FP_RATE, person_size)
    oboxes, ovis = [], []
    for prop in script.props:
        oboxes.append(_clip(prop.box, w, h))
        ovis.append(1.0)
    for p in range(len(script.actors)):
        if geom.obj_kind[p, i] and geom.visible[p, i] >= MIN_DETECTABLE:
            b = geom.obj_boxes[p, i]
            ob = _clip(b, w, h)
            area = max((b[2] - b[0]) * (b[3] - b[1]), 1e-6)
            ovis.append((ob[2] - ob[0]) * (ob[3] - ob[1]) / area)
            oboxes.append(ob)
    objects = det.detect(oboxes, ovis, [0.0] * len(oboxes), OBJECT_FP_RATE,
                         obj_size, OBJECT_MISS_PROB)
    return persons, objects
