"""One keyframe's analysis (persons, then actions) and its JSON / CSV rows.

Both demos sample the clip of keyframe ``k`` as the config's test pipeline
does (``clip_len`` frames ``frame_interval`` apart, ``clip_len // 2`` of
them before ``k``, clamped to the frames that exist), detect persons on
frame ``k`` and score them with :class:`~.inference.ActionPredictor`.
Results are written as they come (memory stays flat on long streams).
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np

from .inference import ActionPredictor


def clip_indices(keyframe: int, offsets: Sequence[int],
                 last_index: int) -> List[int]:
    """Frame indices of the clip of ``keyframe``, clamped to
    ``[0, last_index]``."""
    return [min(max(keyframe + int(o), 0), last_index) for o in offsets]


def format_timestamp(seconds: float) -> str:
    """AVA's ``%04d`` for whole seconds, else 3 decimals."""
    if abs(seconds - round(seconds)) < 1e-6:
        return f'{int(round(seconds)):04d}'
    return f'{seconds:.3f}'


class KeyframeAnalyser:
    """Detect persons on a keyframe and score their actions on its clip.

    Args:
        detector: A person detector (see :mod:`.person_detectors`).
        predictor (ActionPredictor): The action model.
        video_id (str): Video id of the results (and of AIA memory keys).
        fps (float): Frame rate, to turn frame indices into seconds.
        timestamp_start (float): Second of frame 0 (AVA segments: 900).
    """

    def __init__(self, detector, predictor: ActionPredictor, video_id: str,
                 fps: float, timestamp_start: float = 0.0) -> None:
        self.detector = detector
        self.predictor = predictor
        self.video_id = video_id
        self.fps = fps
        self.timestamp_start = timestamp_start

    def detect(self, frame_index: int, keyframe_bgr: np.ndarray):
        """Persons (and objects) on the keyframe: a ``Detections``."""
        keyframe = cv2.cvtColor(keyframe_bgr, cv2.COLOR_BGR2RGB)
        return self.detector(keyframe, video_id=self.video_id,
                             timestamp=frame_index / self.fps)

    def predict(self, frame_index: int, clip_bgr: Sequence[np.ndarray],
                dets) -> Dict:
        """Result of one keyframe: ``frame_index``, ``timestamp``,
        ``persons`` (``bbox``, ``det_score``, ``actions``) and ``objects``.
        """
        clip = [cv2.cvtColor(f, cv2.COLOR_BGR2RGB) for f in clip_bgr]
        timestamp = self.timestamp_start + frame_index / self.fps
        persons = self.predictor(clip, dets.bboxes, dets.object_bboxes,
                                 self.video_id, timestamp)
        for person, score in zip(persons, dets.scores):
            person['det_score'] = float(score)
        height, width = clip_bgr[0].shape[:2]
        scale = np.array([width, height, width, height], np.float32)
        objects = [
            dict(bbox=[round(float(v), 4) for v in box / scale],
                 label=int(label), score=round(float(score), 4))
            for box, label, score in zip(dets.object_bboxes,
                                         dets.object_labels,
                                         dets.object_scores)
        ]
        return dict(frame_index=frame_index, timestamp=timestamp,
                    persons=persons, objects=objects)

    def __call__(self, frame_index: int, clip_bgr: Sequence[np.ndarray],
                 keyframe_bgr: np.ndarray) -> Dict:
        """:meth:`detect`, then :meth:`predict`."""
        return self.predict(frame_index, clip_bgr,
                            self.detect(frame_index, keyframe_bgr))


class ResultWriter:
    """Write keyframe results to a JSON file and / or an AVA-row CSV.

    The JSON is ``{"meta": {...}, "keyframes": [...]}`` with one entry per
    keyframe (``frame_index``, ``timestamp``, ``persons`` with normalised
    ``bbox``, ``det_score`` and ``actions`` ``[{id, name, score}]``,
    ``objects``); the CSV has one ``video_id,timestamp,x1,y1,x2,y2,
    action_id,score`` row per person and action above the threshold, as
    AVA's result files. Both are written keyframe by keyframe and are
    complete files after :meth:`close`.

    Args:
        video_id (str): First column of the CSV rows.
        json_path (str, optional): JSON output.
        csv_path (str, optional): CSV output.
        meta (dict, optional): Stored under ``"meta"`` in the JSON.
    """

    def __init__(self, video_id: str, json_path: Optional[str] = None,
                 csv_path: Optional[str] = None,
                 meta: Optional[dict] = None) -> None:
        self.video_id = video_id
        self.count = 0
        self.json = self._open(json_path)
        self.csv = self._open(csv_path)
        if self.json is not None:
            self.json.write('{"meta": ' + json.dumps(meta or {}) +
                            ',\n "keyframes": [')

    @staticmethod
    def _open(path: Optional[str]):
        if path is None:
            return None
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
        return open(path, 'w')

    def add(self, result: Dict) -> None:
        persons = [
            dict(bbox=[round(v, 4) for v in p['bbox']],
                 det_score=round(p.get('det_score', 1.0), 4),
                 actions=[dict(id=int(i), name=n, score=round(s, 4))
                          for i, n, s in p['actions']])
            for p in result['persons']
        ]
        if self.json is not None:
            entry = dict(frame_index=result['frame_index'],
                         timestamp=round(result['timestamp'], 4),
                         persons=persons, objects=result.get('objects', []))
            self.json.write((',' if self.count else '') + '\n  ' +
                            json.dumps(entry))
        if self.csv is not None:
            stamp = format_timestamp(result['timestamp'])
            for person in persons:
                box = ','.join(f'{v:.3f}' for v in person['bbox'])
                for action in person['actions']:
                    self.csv.write(f'{self.video_id},{stamp},{box},'
                                   f'{action["id"]},{action["score"]:.4f}\n')
        self.count += 1

    def close(self) -> None:
        if self.json is not None:
            self.json.write('\n ]}\n')
            self.json.close()
            self.json = None
        if self.csv is not None:
            self.csv.close()
            self.csv = None
