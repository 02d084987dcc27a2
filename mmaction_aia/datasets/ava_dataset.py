"""AVA-format spatio-temporal action detection dataset (mmaction2 1.x API)."""
import os.path as osp
from collections import defaultdict
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from mmaction_aia.registry import DATASETS

from .ava_annotations import (
    AnnotationError,
    load_box_pkl,
    read_ava_rows,
    read_exclusions,
    read_label_map,
)
from .sample_errors import SkipOnLoadErrorMixin


@DATASETS.register_module()
class AVADataset(SkipOnLoadErrorMixin, BaseDataset):
    """AVA keyframes with person boxes, multi-label actions and proposals.

    One sample is one keyframe ``(video_id, timestamp)``: its ground-truth
    person boxes (normalised), a multi-hot label row per box, the entity ids,
    and the person-detector proposals above ``person_det_score_thr``. The
    pipeline samples and decodes the frames around the keyframe. File
    formats are described in docs/data_preparation.md.

    Args:
        ann_file (str): ``ava_{train,val}_v2.x.csv``.
        exclude_file (str, optional): ``video_id,timestamp`` keyframes to
            drop (applied in training and testing, as mmaction2 1.x does).
        pipeline (list[dict | callable]): Data transforms.
        label_file (str, optional): Label map (pbtxt). Rows whose action id
            is not in it are skipped and counted.
        filename_tmpl (str): Frame file name template. Default
            ``'img_{:05}.jpg'``.
        start_index (int, optional): Number of the first frame: 1 for
            extracted frames (``img_00001.jpg`` is the frame at
            ``timestamp_start``, as mmaction2's extraction scripts write
            them), 0 for videos. Default: chosen by ``use_frames``.
        proposal_file (str, optional): Proposals pkl
            ``{"vid,%04d": [k, 5]}``. Keyframes without an entry get the
            whole frame as the only proposal, as in mmaction2 (logged once
            with their count).
        object_file (str, optional): Object boxes pkl in the proposal format
            (for interaction heads); passed as ``objects``.
        person_det_score_thr (float): Keep proposals scoring at least this
            (at least the best proposal is always kept). Default 0.9.
        num_classes (int): Number of classes including background 0.
        custom_classes (list[int], optional): Train / evaluate only these
            label ids; they are remapped to 1..len(custom_classes) and
            ``num_classes`` must equal ``len(custom_classes) + 1``.
        data_prefix (dict): ``dict(img=frames_root)`` (or ``video=`` when
            ``use_frames=False``).
        modality (str): ``'RGB'``.
        test_mode (bool): Testing / validation dataset.
        num_max_proposals (int): Keep at most this many proposals.
        timestamp_start (int): Second of the first frame (900 in AVA).
        timestamp_end (int): Second of the end of the segment (1800 in AVA).
        use_frames (bool): Read extracted frames (``frame_dir``) or a video
            file (``filename = data_prefix/video_id + video_ext``).
        video_ext (str): Video file extension when ``use_frames=False``.
        fps (int): Frame rate of the frames / videos. Default 30.
        multilabel (bool): Multi-hot labels (default) or the list of ids.
        on_error (str, optional): ``'skip'`` drops malformed annotation rows
            and pkl entries (logged at build time, listed in
            ``annotation_issues``) and replaces a sample whose video or
            frames cannot be loaded by another one, recording the failure
            in the replacement's metainfo ``skipped_samples`` (reported per
            epoch by ``SkipReportHook``); in test mode the replacement is
            marked ``is_substitute`` and AVAMetric ignores it. ``'raise'``
            stops at the first problem. Default: ``'raise'`` in test mode,
            ``'skip'`` otherwise.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(self,
                 ann_file: str,
                 pipeline: List[Union[dict, Callable]],
                 exclude_file: Optional[str] = None,
                 label_file: Optional[str] = None,
                 filename_tmpl: str = 'img_{:05}.jpg',
                 start_index: Optional[int] = None,
                 proposal_file: Optional[str] = None,
                 object_file: Optional[str] = None,
                 person_det_score_thr: float = 0.9,
                 num_classes: int = 81,
                 custom_classes: Optional[Sequence[int]] = None,
                 data_prefix: Optional[dict] = None,
                 modality: str = 'RGB',
                 test_mode: bool = False,
                 num_max_proposals: int = 1000,
                 timestamp_start: int = 900,
                 timestamp_end: int = 1800,
                 use_frames: bool = True,
                 video_ext: str = '.mp4',
                 fps: int = 30,
                 multilabel: bool = True,
                 on_error: Optional[str] = None,
                 **kwargs) -> None:
        if not 0 <= person_det_score_thr <= 1:
            raise ValueError('person_det_score_thr must be in [0, 1], got '
                             f'{person_det_score_thr}')
        self.on_error = on_error or ('raise' if test_mode else 'skip')
        if self.on_error not in ('raise', 'skip'):
            raise ValueError(
                f"on_error must be 'raise' or 'skip', got {on_error!r}")
        self.label_file = label_file
        self.label_map = read_label_map(label_file) if label_file else None
        self.custom_classes = self._check_custom_classes(
            custom_classes, num_classes)
        self.num_classes = num_classes
        self.exclude_file = exclude_file
        self.filename_tmpl = filename_tmpl
        self.start_index = (start_index if start_index is not None else
                            int(use_frames))
        self.person_det_score_thr = person_det_score_thr
        self.num_max_proposals = num_max_proposals
        self.timestamp_start = timestamp_start
        self.timestamp_end = timestamp_end
        self.use_frames = use_frames
        self.video_ext = video_ext
        self.fps = fps
        self.modality = modality
        self.multilabel = multilabel
        self.proposal_file = proposal_file
        self.object_file = object_file
        #: Build-time problems: ``{'kind', 'file', 'where', 'reason'}``.
        self.annotation_issues: List[Dict[str, str]] = []
        self.proposals = self._load_boxes(proposal_file)
        self.objects = self._load_boxes(object_file)
        prefix_key = 'img' if use_frames else 'video'
        super().__init__(
            ann_file=ann_file,
            pipeline=pipeline,
            data_prefix=data_prefix or {prefix_key: ''},
            test_mode=test_mode,
            metainfo=self._build_metainfo(),
            **kwargs)

    # ------------------------------------------------------------------ setup
    def _check_custom_classes(self, custom_classes, num_classes):
        if custom_classes is None:
            return None
        custom_classes = [int(c) for c in custom_classes]
        if num_classes != len(custom_classes) + 1:
            raise ValueError(
                f'num_classes ({num_classes}) must equal len(custom_classes) '
                f'+ 1 ({len(custom_classes) + 1}) when custom_classes is set')
        if 0 in custom_classes:
            raise ValueError('custom_classes must not contain 0 (background)')
        if self.label_map is not None:
            missing = sorted(set(custom_classes) - set(self.label_map))
            if missing:
                raise ValueError(
                    f'custom_classes {missing} are not in the label map '
                    f'{self.label_file}')
        return [0] + custom_classes

    def _build_metainfo(self) -> dict:
        if self.label_map is None:
            return {}
        ids = self.custom_classes[1:] if self.custom_classes else sorted(
            self.label_map)
        return dict(classes=[self.label_map.get(i, str(i)) for i in ids],
                    class_ids=ids)

    def _warn(self, message: str) -> None:
        print_log(message, logger='current', level=30)

    def _note_issues(self, kind: str, errors: List[AnnotationError]) -> None:
        self.annotation_issues.extend(
            dict(kind=kind, **e.as_record()) for e in errors)

    def _load_boxes(self, path: Optional[str]) -> Optional[dict]:
        if not path:
            return None
        errors: List[AnnotationError] = []
        table = load_box_pkl(path, self.on_error, self._warn, errors)
        if errors:
            self._warn(f'{path}: dropped {len(errors)} malformed entries '
                       f'(on_error={self.on_error!r}); their keyframes have '
                       'no boxes from this file')
        self._note_issues('bad_box_entry', errors)
        return table

    # ------------------------------------------------------------ annotations
    def load_data_list(self) -> List[dict]:
        errors: List[AnnotationError] = []
        rows = read_ava_rows(self.ann_file, on_error=self.on_error,
                             warn=self._warn, skipped=errors)
        if errors:
            self._warn(f'{self.ann_file}: skipped {len(errors)} malformed '
                       f'rows (on_error={self.on_error!r})')
        self._note_issues('bad_row', errors)
        labels = self._map_labels(rows)
        frames_root = self.data_prefix.get(
            'img' if self.use_frames else 'video', '') or ''
        shot_info = (0, (self.timestamp_end - self.timestamp_start) * self.fps)

        records_by_key = defaultdict(list)
        for i, (video_id, timestamp) in enumerate(
                zip(rows.video_ids, rows.timestamps.tolist())):
            if labels[i] >= 0:
                records_by_key[(video_id, timestamp)].append(i)

        data_list = []
        for (video_id, timestamp), row_ids in records_by_key.items():
            boxes, label_rows, entity_ids = self._merge_boxes(
                rows, labels, row_ids)
            info = dict(
                video_id=video_id,
                timestamp=timestamp,
                img_key=f'{video_id},{timestamp:04d}',
                shot_info=shot_info,
                fps=self.fps,
                ann=dict(gt_bboxes=boxes, gt_labels=label_rows,
                         entity_ids=entity_ids))
            path = osp.join(frames_root, video_id)
            if self.use_frames:
                info['frame_dir'] = path
            else:
                info['filename'] = path + self.video_ext
            data_list.append(info)
        return data_list

    def _map_labels(self, rows) -> np.ndarray:
        """Label index of each row, or -1 for rows not used."""
        labels = rows.labels.copy()
        if self.label_map is not None:
            unknown = ~np.isin(labels, list(self.label_map))
            if unknown.any():
                ids = sorted(set(labels[unknown].tolist()))[:10]
                first_line = int(rows.line_numbers[unknown][0])
                message = (
                    f'{self.ann_file}: skipped {int(unknown.sum())} rows '
                    f'whose action id is not in the label map '
                    f'{self.label_file} (ids {ids}, first at line '
                    f'{first_line})')
                self._warn(message)
                self.annotation_issues.append(dict(
                    kind='unknown_label', file=self.ann_file,
                    where=str(first_line), reason=message))
                labels[unknown] = -1
        if self.custom_classes is not None:
            lookup = {c: i for i, c in enumerate(self.custom_classes) if c}
            labels = np.array([lookup.get(int(c), -1) for c in labels],
                              dtype=np.int64)
        too_large = labels >= self.num_classes
        if too_large.any():
            line = int(rows.line_numbers[too_large][0])
            bad_id = int(labels[too_large][0])
            raise AnnotationError(
                f'{self.ann_file}:{line}: action id {bad_id}'
                f' >= num_classes ({self.num_classes}); set num_classes or '
                'custom_classes')
        return labels

    def _merge_boxes(self, rows, labels, row_ids):
        """One entry per distinct box, with the union of its labels."""
        boxes = rows.boxes[row_ids]
        unique_boxes, first, inverse = np.unique(
            boxes, axis=0, return_index=True, return_inverse=True)
        order = np.argsort(first)  # keep file order of first appearance
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        inverse = rank[inverse.reshape(-1)]
        row_labels = labels[row_ids]
        if self.multilabel:
            label_rows = np.zeros((len(order), self.num_classes), np.float32)
            label_rows[inverse, row_labels] = 1.0
        else:
            label_rows = [row_labels[inverse == k] for k in range(len(order))]
        entity_ids = rows.entity_ids[row_ids][first[order]]
        return unique_boxes[order], label_rows, entity_ids

    def filter_data(self) -> List[dict]:
        excluded = read_exclusions(self.exclude_file)
        kept = [info for info in self.data_list
                if (info['video_id'], info['timestamp']) not in excluded]
        if excluded:
            print_log(f'{len(kept)} out of {len(self.data_list)} keyframes '
                      f'are valid ({self.exclude_file} excludes the rest).',
                      logger='current')
        self._report_missing_proposals(kept)
        return kept

    def _report_missing_proposals(self, data_list: List[dict]) -> None:
        """Log once how many keyframes fall back to the whole frame."""
        if self.proposals is None:
            return
        missing = [info['img_key'] for info in data_list
                   if len(self.proposals.get(info['img_key'], ())) == 0]
        if not missing:
            return
        message = (f'{self.proposal_file}: {len(missing)} of '
                   f'{len(data_list)} keyframes have no proposals (first: '
                   f'{missing[0]!r}); each uses the whole frame [0, 0, 1, 1] '
                   'as its only proposal, as in mmaction2')
        self._warn(message)
        self.annotation_issues.append(dict(
            kind='no_proposals', file=self.proposal_file, where=missing[0],
            reason=message))

    # ---------------------------------------------------------------- samples
    def _select_boxes(self, table: Optional[dict], img_key: str,
                      use_threshold: bool) -> Optional[np.ndarray]:
        if table is None:
            return None
        boxes = table.get(img_key)
        if boxes is None or len(boxes) == 0:
            return None
        if boxes.shape[1] == 5 and use_threshold:
            thr = min(self.person_det_score_thr, float(boxes[:, 4].max()))
            boxes = boxes[boxes[:, 4] >= thr]
        return boxes[:self.num_max_proposals]

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        img_key = info['img_key']
        info.update(filename_tmpl=self.filename_tmpl,
                    timestamp_start=self.timestamp_start,
                    timestamp_end=self.timestamp_end,
                    start_index=self.start_index,
                    modality=self.modality)
        if self.proposals is not None:
            proposals = self._select_boxes(self.proposals, img_key, True)
            if proposals is None:
                # mmaction2 behaviour: fall back to the whole frame
                proposals = np.array([[0, 0, 1, 1, 1]], dtype=np.float32)
            info['proposals'] = proposals[:, :4]
            if proposals.shape[1] == 5:
                info['scores'] = proposals[:, 4]
        if self.objects is not None:
            objects = self._select_boxes(self.objects, img_key, False)
            info['objects'] = (np.zeros((0, 4), np.float32) if objects is None
                               else objects[:, :4])
        ann = info.pop('ann')
        info['gt_bboxes'] = ann['gt_bboxes']
        info['gt_labels'] = ann['gt_labels']
        info['entity_ids'] = ann['entity_ids']
        return info
