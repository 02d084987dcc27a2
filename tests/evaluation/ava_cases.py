"""Seeded random AVA-format cases for the evaluation tests.

:func:`make_case` writes a label map, ground truth, results and exclusions
with the situations that decide AVA frame-mAP: score ties (few score
levels), duplicate rows, exact IoU ties (boxes on a coarse grid), keyframes
without ground truth, more than 50 detections per keyframe, degenerate
boxes, classes absent from the label map, 7- and 8-column files and rows of
one keyframe scattered through the file.
"""
import os
from dataclasses import dataclass
from typing import Dict, List, Optional

import numpy as np

from mmaction_aia.evaluation.functional.ava_labels import (
    AVA_EVALUATED_CLASSES,
    write_label_map,
)


@dataclass
class CaseConfig:
    """Knobs of a random case (see the module docstring)."""

    num_videos: int = 2
    num_frames: int = 6
    max_persons: int = 4
    num_classes: int = 8
    score_levels: Optional[int] = 6
    extra_boxes: int = 2
    duplicate_prob: float = 0.1
    degenerate_prob: float = 0.05
    empty_frame_prob: float = 0.2
    foreign_prob: float = 0.05
    exclude_prob: float = 0.15
    grid: int = 8
    seven_column_gt: bool = False
    shuffle_prob: float = 0.1
    classes_per_box: int = 0
    unique_gt: bool = False


def _box(rng: np.random.Generator, grid: int) -> List[float]:
    a, b = np.sort(rng.integers(0, grid + 1, 2))
    c, d = np.sort(rng.integers(0, grid + 1, 2))
    if a == b:
        b = min(a + 1, grid) if a < grid else a
        a = b - 1
    if c == d:
        d = min(c + 1, grid) if c < grid else c
        c = d - 1
    return [a / grid, c / grid, b / grid, d / grid]


def _jitter(rng: np.random.Generator, box: List[float]) -> List[float]:
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    dx, dy = rng.normal(0, 0.15, 2) * (w, h)
    out = [x1 + dx, y1 + dy, x2 + dx, y2 + dy]
    return [min(max(round(v, 3), 0.0), 1.0) for v in out]


def _score(rng: np.random.Generator, levels: Optional[int]) -> str:
    if levels:
        return f'{rng.integers(1, levels + 1) / levels:.4f}'
    return f'{rng.random():.4f}'


def _write(path: str, rows: List[str], rng: np.random.Generator,
           shuffle_prob: float) -> None:
    """Write rows, moving a few of them elsewhere in the file."""
    rows = list(rows)
    for i in range(len(rows)):
        if rng.random() < shuffle_prob:
            j = int(rng.integers(0, len(rows)))
            rows[i], rows[j] = rows[j], rows[i]
    with open(path, 'w') as f:
        f.write(''.join(rows))


def make_case(rng: np.random.Generator, folder: str,
              cfg: CaseConfig) -> Dict[str, object]:
    """Write one random case; returns paths and the evaluated class ids."""
    os.makedirs(folder, exist_ok=True)
    pick = rng.choice(len(AVA_EVALUATED_CLASSES), cfg.num_classes,
                      replace=False)
    classes = [AVA_EVALUATED_CLASSES[i] for i in sorted(pick)]
    ids = [c for c, _ in classes]
    foreign = [2, 16, 81]
    gt_rows, pred_rows, excluded = [], [], []
    for v in range(cfg.num_videos):
        video = f'vid{v:02d}_{rng.integers(0, 10**6):06d}'
        for t in range(902, 902 + cfg.num_frames):
            empty = rng.random() < cfg.empty_frame_prob
            persons = [] if empty else [
                _box(rng, cfg.grid)
                for _ in range(int(rng.integers(1, cfg.max_persons + 1)))]
            for p, box in enumerate(persons):
                num_labels = int(rng.integers(1, 4))
                for label in rng.choice(ids, num_labels,
                                        replace=not cfg.unique_gt):
                    coords = ','.join(f'{c:.3f}' for c in box)
                    tail = '' if cfg.seven_column_gt else f',{p}'
                    gt_rows.append(f'{video},{t},{coords},{label}{tail}\n')
            if rng.random() < cfg.exclude_prob:
                excluded.append(f'{video},{t}\n')
            boxes = [_jitter(rng, b) if rng.random() < 0.7 else b
                     for b in persons]
            boxes += [_box(rng, cfg.grid) for _ in range(cfg.extra_boxes)]
            for box in boxes:
                if rng.random() < cfg.degenerate_prob:
                    box = [box[0], box[1], box[0], box[3]]
                coords = ','.join(f'{c:.3f}' for c in box)
                labels = ids if not cfg.classes_per_box else list(
                    rng.choice(ids, cfg.classes_per_box, replace=False))
                for label in labels:
                    if rng.random() < cfg.foreign_prob:
                        label = foreign[int(rng.integers(0, 3))]
                    row = (f'{video},{t},{coords},{label},'
                           f'{_score(rng, cfg.score_levels)}\n')
                    pred_rows.append(row)
                    if rng.random() < cfg.duplicate_prob:
                        pred_rows.append(row)
    paths = {
        'gt': os.path.join(folder, 'gt.csv'),
        'pred': os.path.join(folder, 'pred.csv'),
        'exclusions': os.path.join(folder, 'excluded.csv'),
        'label_map': write_label_map(os.path.join(folder, 'labels.pbtxt'),
                                     classes),
    }
    _write(paths['gt'], gt_rows, rng, cfg.shuffle_prob)
    _write(paths['pred'], pred_rows, rng, cfg.shuffle_prob)
    with open(paths['exclusions'], 'w') as f:
        f.write(''.join(excluded))
    return {**paths, 'classes': ids}
