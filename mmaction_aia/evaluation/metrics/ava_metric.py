"""AVAMetric: official AVA frame-mAP for mmengine's evaluation loops."""
import os
import os.path as osp
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mmaction_aia.registry import METRICS

from ..functional import (
    MODES,
    evaluate_ava_files,
    format_ava_table,
    scores_to_rows,
    write_ava_results,
)


def _numpy(value: Any) -> np.ndarray:
    """A tensor (any device) or array-like as a numpy array."""
    if hasattr(value, 'detach'):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def _as_dict(item: Any) -> dict:
    return item.to_dict() if hasattr(item, 'to_dict') else dict(item)


@METRICS.register_module()
class AVAMetric(BaseMetric):
    """AVA frame-mAP, by default with ActivityNet's official semantics.

    Each keyframe's predictions become rows of the official results CSV (one
    per box and class with score > ``action_thr``, as mmaction2 writes
    them); at the end of evaluation the CSV is kept (never deleted), its path
    logged, and :func:`evaluate_ava_files` computes the mAP. The per-class
    table (name, AP, number of ground-truth boxes) and the group means are
    logged.

    Args:
        ann_file (str): Ground-truth CSV.
        exclude_file (str, optional): Excluded keyframes CSV.
        label_file (str): Label map (pbtxt); its ids are evaluated.
        options (tuple[str]): Only ``('mAP',)``.
        action_thr (float): Score threshold of written rows; negative keeps
            each box's best class only. Defaults to 0.002.
        num_classes (int): Score columns, background included. Defaults to
            81 (``len(custom_classes) + 1`` with custom classes).
        custom_classes (list[int], optional): Class ids of score columns
            1..; only those in the label map are evaluated.
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Prefix of the metric names.
        out_dir (str, optional): Folder of the results CSV (the tools set the
            work dir); the file is ``AVA_<time>_result.csv``.
        results_csv (str, optional): Exact path of the results CSV (wins
            over ``out_dir``; ``tools/test.py --out`` sets it).
        mode (str): ``'official'`` (default) or ``'mmaction2'`` (mmaction2
            1.x's variant, to compare with its numbers).
        class_groups (dict[str, list[int]], optional): Groups whose mean AP
            is reported; None: AVA's person_movement / object_manipulation /
            person_interaction; ``{}``: none.
    """

    default_prefix: Optional[str] = ''  # metric keys: 'mAP', groups

    def __init__(self,
                 ann_file: str,
                 exclude_file: Optional[str],
                 label_file: str,
                 options: Sequence[str] = ('mAP', ),
                 action_thr: float = 0.002,
                 num_classes: int = 81,
                 custom_classes: Optional[List[int]] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 out_dir: Optional[str] = None,
                 results_csv: Optional[str] = None,
                 mode: str = 'official',
                 class_groups: Optional[Dict[str, List[int]]] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if tuple(options) != ('mAP', ):
            raise ValueError(f"AVAMetric supports options=('mAP',), got "
                             f'{options!r}')
        if mode not in MODES:
            raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
        if custom_classes is not None and num_classes != len(
                custom_classes) + 1:
            raise ValueError(
                f'num_classes={num_classes} but {len(custom_classes)} '
                'custom_classes: num_classes must be len(custom_classes) + 1 '
                '(column 0 is background)')
        self.ann_file = ann_file
        self.exclude_file = exclude_file
        self.label_file = label_file
        self.action_thr = action_thr
        self.num_classes = num_classes
        self.custom_classes = (None if custom_classes is None else
                               [int(c) for c in custom_classes])
        self.out_dir = out_dir
        self.results_csv = results_csv
        self.mode = mode
        self.class_groups = class_groups

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Turn each keyframe's predictions into result rows.

        Args:
            data_batch (Any): Unused.
            data_samples (Sequence[dict]): Samples with ``video_id``,
                ``timestamp`` and ``pred_instances`` (``bboxes`` ``[K, 4]``
                normalised x1, y1, x2, y2; ``scores`` ``[K, num_classes]``).
        """
        for sample in data_samples:
            sample = _as_dict(sample)
            if sample.get('is_substitute'):
                # stands in for a sample skipped by the dataset
                # (on_error='skip'); its own keyframe is evaluated in turn
                continue
            pred = _as_dict(sample['pred_instances'])
            bboxes = _numpy(pred['bboxes']).astype(np.float32).reshape(-1, 4)
            scores = _numpy(pred['scores']).astype(np.float32)
            if scores.size and scores.shape[-1] != self.num_classes:
                raise ValueError(f'pred_instances.scores has '
                                 f'{scores.shape[-1]} columns, expected '
                                 f'num_classes={self.num_classes}')
            scores = scores.reshape(bboxes.shape[0], self.num_classes)
            boxes, labels, row_scores = scores_to_rows(
                bboxes, scores, self.action_thr, self.custom_classes)
            self.results.append(
                dict(video_id=str(sample['video_id']),
                     timestamp=int(sample['timestamp']), boxes=boxes,
                     labels=labels.astype(np.int32), scores=row_scores))

    def _results_path(self) -> str:
        if self.results_csv:
            return self.results_csv
        stamp = datetime.now().strftime('%Y%m%d_%H%M%S')
        return osp.join(self.out_dir or os.getcwd(),
                        f'AVA_{stamp}_result.csv')

    def write_results(self, results: List[dict]) -> str:
        """Write the official results CSV; returns its path.

        Boxes are clipped to [0, 1]; an inverted box (x2 < x1 or y2 < y1)
        is written with zero width / height, which the official evaluation
        drops like the inverted box itself.

        Args:
            results (list[dict]): What :meth:`process` collected.

        Returns:
            str: The CSV path.
        """
        path = self._results_path()
        videos = sorted({r['video_id'] for r in results})
        index = {v: i for i, v in enumerate(videos)}
        counts = np.array([r['labels'].size for r in results], np.int64)
        boxes = np.concatenate([r['boxes'] for r in results] +
                               [np.zeros((0, 4), np.float32)])
        boxes = np.clip(boxes.astype(np.float64), 0.0, 1.0)
        inverted = (boxes[:, 2] < boxes[:, 0]) | (boxes[:, 3] < boxes[:, 1])
        if inverted.any():
            print_log(f'AVAMetric: {int(inverted.sum())} rows with x2 < x1 '
                      'or y2 < y1 are written as empty boxes (the official '
                      'evaluation drops both)', logger='current')
            boxes[:, 2] = np.maximum(boxes[:, 2], boxes[:, 0])
            boxes[:, 3] = np.maximum(boxes[:, 3], boxes[:, 1])
        write_ava_results(
            path, videos,
            np.repeat([index[r['video_id']] for r in results], counts),
            np.repeat([r['timestamp'] for r in results], counts), boxes,
            np.concatenate([r['labels'] for r in results] +
                           [np.zeros(0, np.int32)]),
            np.concatenate([r['scores'].astype(np.float64) for r in results]
                           + [np.zeros(0)]))
        return path

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Write the results CSV, evaluate it and log the per-class table.

        Args:
            results (list[dict]): What :meth:`process` collected (all ranks).

        Returns:
            dict[str, float]: ``mAP`` and one entry per class group.
        """
        path = self.write_results(results)
        print_log(f'AVAMetric: results CSV written to {osp.abspath(path)}',
                  logger='current')
        result = evaluate_ava_files(self.ann_file, path, self.label_file,
                                    self.exclude_file, self.mode,
                                    self.custom_classes, self.class_groups)
        print_log('\n' + format_ava_table(result), logger='current')
        return {'mAP': result.mAP, **result.group_ap}
