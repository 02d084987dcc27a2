"""From model outputs to the official AVA results CSV.

- :func:`scores_to_rows`: mmaction2's ``bbox2result`` + ``det2csv``
  (one row per box and class above the threshold, class-major order);
- :func:`write_ava_results`: ``video_id,timestamp,x1,y1,x2,y2,action_id,
  score`` rows, coordinates with 3 decimals and scores with 4, formatted
  with numpy (a few million rows per second). The text equals Python's
  ``f'{v:.3f}'``: values within 1e-9 of a rounding tie, or outside [0, 10),
  are formatted by Python.
"""
import os
from typing import Optional, Sequence, Tuple

import numpy as np

_ROWS_PER_BLOCK = 1 << 16


def scores_to_rows(bboxes: np.ndarray, scores: np.ndarray, thr: float,
                   custom_classes: Optional[Sequence[int]] = None
                   ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of one keyframe from per-box class scores (mmaction2 order).

    Args:
        bboxes (np.ndarray): ``[K, 4]`` normalised x1, y1, x2, y2.
        scores (np.ndarray): ``[K, C]`` scores; column 0 (background) is
            ignored.
        thr (float): Keep scores ``> thr``; a negative value keeps only each
            box's best class (single-label), as in mmaction2.
        custom_classes (Sequence[int], optional): Label id of column ``j`` is
            ``custom_classes[j - 1]`` (else ``j``).

    Returns:
        tuple[np.ndarray, np.ndarray, np.ndarray]: ``[R, 4]`` boxes, ``[R]``
        label ids, ``[R]`` scores, ordered by class, then box.
    """
    bboxes = np.asarray(bboxes).reshape(-1, 4)
    scores = np.asarray(scores)
    if scores.ndim != 2 or scores.shape[0] != bboxes.shape[0]:
        raise ValueError(f'expected scores of shape [{bboxes.shape[0]}, C], '
                         f'got {list(scores.shape)}')
    actions = scores[:, 1:]
    if thr >= 0:
        keep = actions > thr
    else:
        keep = np.zeros(actions.shape, bool)
        if actions.size:
            keep[np.arange(actions.shape[0]), actions.argmax(1)] = True
    column, box = np.nonzero(keep.T)
    ids = (np.arange(1, scores.shape[1]) if custom_classes is None else
           np.asarray(custom_classes, np.int64))
    if ids.size != actions.shape[1]:
        raise ValueError(f'{actions.shape[1]} class columns but '
                         f'{ids.size} custom classes')
    return bboxes[box], ids[column], actions[box, column]


def _decimal_chars(values: np.ndarray, decimals: int
                   ) -> Tuple[np.ndarray, np.ndarray]:
    """``f'{v:.{decimals}f}'`` as ``[n, decimals + 2]`` chars, and rows that
    Python must format instead."""
    scale = 10.0**decimals
    scaled = values * scale
    frac = scaled - np.floor(scaled)
    rounded = np.rint(scaled)
    python = ~((values >= 0) & (rounded < 10 * scale)
               & (np.abs(frac - 0.5) > 1e-9))
    number = np.where(python, 0, rounded).astype(np.int32)
    chars = np.empty((values.size, decimals + 2), np.uint8)
    for j in range(decimals + 1, 1, -1):
        chars[:, j] = 48 + number % 10
        number //= 10
    chars[:, 1] = 46
    chars[:, 0] = 48 + number
    return chars, python


def _int_chars(values: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Digits of non-negative ints, right-aligned: (chars, valid)."""
    values = np.maximum(np.asarray(values, np.int64), 0)
    width = len(str(int(values.max()))) if values.size else 1
    chars = np.empty((values.size, width), np.uint8)
    number = values.astype(np.int32 if width < 10 else np.int64)
    for j in range(width - 1, -1, -1):
        chars[:, j] = 48 + number % 10
        number //= 10
    # every value has at least one digit (also when all are below 10)
    digits = np.ones(values.shape, np.int64) + sum(
        (values >= 10**k).astype(np.int64) for k in range(1, width))
    return chars, np.arange(width) >= width - np.reshape(digits, (-1, 1))


def _format_block(videos: Sequence[str], video_index: np.ndarray,
                  timestamps: np.ndarray, boxes: np.ndarray,
                  labels: np.ndarray, scores: np.ndarray) -> bytes:
    """One block of rows as CSV text."""
    n = video_index.size
    names = [v.encode() for v in videos]
    table = np.zeros((len(names), max(len(x) for x in names)), np.uint8)
    for i, name in enumerate(names):
        table[i, :len(name)] = np.frombuffer(name, np.uint8)
    lengths = np.array([len(x) for x in names])[video_index]
    fields = [(table[video_index],
               np.arange(table.shape[1]) < lengths[:, None]),
              _int_chars(timestamps)]
    python = (np.asarray(timestamps) < 0) | (np.asarray(labels) < 0)
    columns = [(boxes[:, j], 3) for j in range(4)] + [(scores, 4)]
    for j, (column, decimals) in enumerate(columns):
        if j == 4:
            fields.append(_int_chars(labels))
        chars, inexact = _decimal_chars(column, decimals)
        fields.append((chars, np.ones(chars.shape, bool)))
        python |= inexact
    one = np.ones((n, 1), bool)
    pieces = [fields[0]]
    for field in fields[1:]:
        pieces += [(np.full((n, 1), 44, np.uint8), one), field]
    pieces.append((np.full((n, 1), 10, np.uint8), one))
    text = np.concatenate([chars for chars, _ in pieces], axis=1)
    mask = np.concatenate([valid for _, valid in pieces], axis=1)
    joined = text[mask].tobytes()
    if not python.any():
        return joined
    ends = np.cumsum(mask.sum(1))
    pieces, done = [], 0
    for i in np.flatnonzero(python).tolist():
        pieces.append(joined[done:ends[i - 1] if i else 0])
        x1, y1, x2, y2 = boxes[i].tolist()
        pieces.append(f'{videos[video_index[i]]},{int(timestamps[i])},'
                      f'{x1:.3f},{y1:.3f},{x2:.3f},{y2:.3f},'
                      f'{int(labels[i])},{float(scores[i]):.4f}\n'.encode())
        done = int(ends[i])
    pieces.append(joined[done:])
    return b''.join(pieces)


def write_ava_results(path: str, videos: Sequence[str],
                      video_index: np.ndarray, timestamps: np.ndarray,
                      boxes: np.ndarray, labels: np.ndarray,
                      scores: np.ndarray) -> None:
    """Write the official results CSV (mmaction2's ``results2csv`` rows).

    Args:
        path (str): Output file (parent folders are created).
        videos (Sequence[str]): Video ids.
        video_index (np.ndarray): Per row, index into ``videos``.
        timestamps (np.ndarray): Per row, the keyframe's second (int).
        boxes (np.ndarray): ``[N, 4]`` normalised x1, y1, x2, y2.
        labels (np.ndarray): Per row, the action id.
        scores (np.ndarray): Per row, the score.
    """
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    video_index = np.asarray(video_index, np.int64)
    # Written to a temporary file and renamed: a crash mid-write never
    # leaves a truncated CSV, nor destroys an earlier one of the same name.
    tmp_path = f'{path}.tmp{os.getpid()}'
    try:
        with open(tmp_path, 'wb') as f:
            for lo in range(0, video_index.size, _ROWS_PER_BLOCK):
                block = slice(lo, lo + _ROWS_PER_BLOCK)
                f.write(_format_block(videos, video_index[block],
                                      np.asarray(timestamps)[block],
                                      boxes[block], np.asarray(labels)[block],
                                      np.asarray(scores, np.float64)[block]))
        os.replace(tmp_path, path)
    finally:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)
