"""Writers of the AVA file formats, videos, frames and the dataset README.

Everything is written deterministically: rows and dict keys are sorted,
pickles use a fixed protocol, floats have fixed formats.
"""
import json
import os
import os.path as osp
import pickle
from typing import Any, Dict, Iterable, List, Sequence, Tuple

import cv2
import numpy as np

from .classes import ActionClass, label_map_text

PICKLE_PROTOCOL = 4
AnnRow = Tuple[str, int, Tuple[float, float, float, float], int, int]


def _write_text(path: str, text: str) -> None:
    with open(path, 'w', newline='\n') as f:
        f.write(text)


def write_annotation_csv(path: str, rows: Iterable[AnnRow], width: int,
                         height: int) -> int:
    """Write AVA rows ``video_id,timestamp,x1,y1,x2,y2,action_id,person_id``.

    Args:
        path (str): Output CSV (no header).
        rows (Iterable): ``(video_id, timestamp, pixel box, action_id,
            person_id)`` tuples; written sorted by video, timestamp,
            person and action.
        width (int): Frame width, to normalise x.
        height (int): Frame height, to normalise y.

    Returns:
        int: The number of rows written.
    """
    lines = []
    for vid, ts, box, action, pid in sorted(
            rows, key=lambda r: (r[0], r[1], r[4], r[3])):
        x1, x2 = (min(max(v / width, 0.0), 1.0) for v in (box[0], box[2]))
        y1, y2 = (min(max(v / height, 0.0), 1.0) for v in (box[1], box[3]))
        lines.append(f'{vid},{ts:04d},{x1:.3f},{y1:.3f},{x2:.3f},{y2:.3f},'
                     f'{action},{pid}\n')
    _write_text(path, ''.join(lines))
    return len(lines)


def write_exclusions(path: str, keys: Iterable[Tuple[str, int]]) -> None:
    """Write ``video_id,timestamp`` rows (sorted, may be empty).

    Args:
        path (str): Output CSV.
        keys (Iterable): ``(video_id, timestamp)`` pairs.
    """
    _write_text(path, ''.join(f'{v},{t:04d}\n' for v, t in sorted(keys)))


def write_box_pkl(path: str, boxes: Dict[str, np.ndarray]) -> None:
    """Pickle ``{"video_id,%04d": float32 [k, 5]}`` with sorted keys.

    Args:
        path (str): Output file.
        boxes (dict): Detections per keyframe key.
    """
    data = {k: np.ascontiguousarray(boxes[k], dtype=np.float32)
            for k in sorted(boxes)}
    with open(path, 'wb') as f:
        pickle.dump(data, f, protocol=PICKLE_PROTOCOL)


def write_label_map(path: str, classes: Sequence[ActionClass]) -> None:
    """Write the AVA label map (pbtxt) of ``classes``.

    Args:
        path (str): Output file.
        classes (Sequence[ActionClass]): Classes in id order.
    """
    _write_text(path, label_map_text(classes))


def write_class_ids(path: str, ids: Sequence[int]) -> None:
    """Write one class id per line.

    Args:
        path (str): Output file.
        ids (Sequence[int]): Class ids.
    """
    _write_text(path, ''.join(f'{i}\n' for i in ids))


def write_json(path: str, data: Dict[str, Any]) -> None:
    """Write sorted, indented JSON.

    Args:
        path (str): Output file.
        data (dict): JSON-serialisable data.
    """
    _write_text(path, json.dumps(data, indent=2, sort_keys=True) + '\n')


class FrameSink:
    """Writes the frames of one video as mp4 and/or numbered JPEGs.

    ``rawframes/{video_id}/img_00001.jpg`` is the first frame (1-based).

    Args:
        root (str): Dataset folder.
        video_id (str): Video id.
        fps (int): Frames per second of the mp4.
        size (tuple): ``(width, height)``.
        write_video (bool): Write ``videos/{video_id}.mp4`` ('mp4v').
        write_frames (bool): Write the JPEG frames.
        jpeg_quality (int): JPEG quality.
    """

    def __init__(self, root: str, video_id: str, fps: int,
                 size: Tuple[int, int], write_video: bool,
                 write_frames: bool, jpeg_quality: int) -> None:
        self.count = 0
        self.writer = None
        self.frame_dir = None
        self.params = [int(cv2.IMWRITE_JPEG_QUALITY), int(jpeg_quality)]
        if write_video:
            path = osp.join(root, 'videos', f'{video_id}.mp4')
            self.writer = cv2.VideoWriter(
                path, cv2.VideoWriter_fourcc(*'mp4v'), float(fps), size)
            if not self.writer.isOpened():
                raise RuntimeError(f'OpenCV cannot write {path} with the '
                                   "'mp4v' codec; install opencv-python(-"
                                   'headless) with its bundled FFmpeg')
        if write_frames:
            self.frame_dir = osp.join(root, 'rawframes', video_id)
            os.makedirs(self.frame_dir, exist_ok=True)

    def add(self, frame: np.ndarray) -> None:
        """Append one BGR frame.

        Args:
            frame (np.ndarray): ``[H, W, 3]`` uint8.
        """
        self.count += 1
        if self.writer is not None:
            self.writer.write(frame)
        if self.frame_dir is not None:
            ok, buf = cv2.imencode('.jpg', frame, self.params)
            if not ok:
                raise RuntimeError('JPEG encoding failed')
            name = osp.join(self.frame_dir, f'img_{self.count:05d}.jpg')
            with open(name, 'wb') as f:
                f.write(buf.tobytes())

    def close(self) -> None:
        """Finish the mp4 file."""
        if self.writer is not None:
            self.writer.release()
            self.writer = None


def readme_text(command: str, params: Dict[str, Any], version: str,
                classes: Sequence[ActionClass], counts: Dict[str, Dict],
                layout: List[Tuple[str, str]]) -> str:
    """The README written into the dataset folder.

    Args:
        command (str): The command that recreates the folder.
        params (dict): Generator parameters.
        version (str): Generator version.
        classes (Sequence[ActionClass]): Annotated classes.
        counts (dict): ``{split: {class_id: boxes}}``.
        layout (list): ``(path, description)`` of every output.
    """
    lines = [
        '# Synthetic AVA-format dataset', '',
        'Generated by `mmaction_aia.datasets.synthetic` (generator version '
        f'{version}). The same command rewrites every annotation file and '
        'JPEG frame byte for byte (the mp4 files decode to the same '
        'frames):', '', '```', command, '```', '',
        f'Seed {params["seed"]}; parameters are in `generator.json`. Frame 1 '
        f'of every video is at second {params["timestamp_start"]}, '
        f'{params["fps"]} fps, {params["width"]}x{params["height"]}; '
        'keyframes at integer seconds '
        f'{params["timestamp_start"] + 2} .. '
        f'{params["timestamp_start"] + params["seconds"] - 2} '
        f'(timestamp_end = {params["timestamp_start"] + params["seconds"]}).',
        '', '## Files', '']
    lines += [f'- `{p}`: {d}' for p, d in layout]
    lines += ['', '## Classes', '',
              '| id | name | group | label rule | train boxes | val boxes |',
              '|---|---|---|---|---|---|']
    for c in classes:
        lines.append(f'| {c.id} | {c.name} | {c.group} | {c.rule} | '
                     f'{counts["train"].get(c.id, 0)} | '
                     f'{counts["val"].get(c.id, 0)} |')
    lines.append('')
    return '\n'.join(lines)
