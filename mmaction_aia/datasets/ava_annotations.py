"""Readers for AVA's annotation files with line-precise error messages.

AVA ships four kinds of files (docs/data_preparation.md explains each):

- annotation CSV: ``video_id,timestamp,x1,y1,x2,y2,action_id[,person_id]``,
  boxes normalised to [0, 1];
- exclusion CSV: ``video_id,timestamp`` of keyframes left out;
- label map (pbtxt): ``item { name: "..." id: N }`` blocks;
- proposals pkl: ``{"video_id,%04d" % timestamp: float array [k, 4 or 5]}``.

Each reader raises :class:`AnnotationError` naming the file, the line (or
key) and what was expected.
"""
import pickle
import re
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np


class AnnotationError(ValueError):
    """A malformed annotation file; the message names the file and line.

    Args:
        message (str): What is wrong, starting with ``file:line:`` or
            ``file: key ...``.
        path (str): The annotation file. Defaults to ``''``.
        where (str): The line number or pkl key at fault. Defaults to ``''``.
    """

    def __init__(self, message: str, path: str = '', where: str = '') -> None:
        super().__init__(message)
        self.path = path
        self.where = where

    def __reduce__(self):
        return (self.__class__, (str(self), self.path, self.where))

    def as_record(self) -> Dict[str, str]:
        """``{'file', 'where', 'reason'}`` of this error, for reports."""
        return dict(file=self.path, where=self.where, reason=str(self))


@dataclass
class AVARows:
    """Parsed rows of an AVA annotation CSV, one entry per row.

    Args:
        video_ids (list[str]): Video id of each row.
        timestamps (np.ndarray): Keyframe second of each row (int64).
        boxes (np.ndarray): ``[N, 4]`` normalised x1, y1, x2, y2 (float32).
        labels (np.ndarray): Action id of each row (int64).
        entity_ids (np.ndarray): Person id of each row (int64; -1 if absent).
        line_numbers (np.ndarray): 1-based line of each row in the file.
    """

    video_ids: List[str]
    timestamps: np.ndarray
    boxes: np.ndarray
    labels: np.ndarray
    entity_ids: np.ndarray
    line_numbers: np.ndarray


def _report_problem(error: AnnotationError, on_error: str,
                    warn: Optional[Callable[[str], None]],
                    skipped: Optional[List[AnnotationError]]) -> None:
    """Raise ``error`` (``on_error='raise'``) or warn and record it."""
    if on_error == 'raise':
        raise error
    if warn is not None:
        warn(str(error))
    if skipped is not None:
        skipped.append(error)


def _row_error(path: str, lineno: int, what: str) -> AnnotationError:
    return AnnotationError(f'{path}:{lineno}: {what}', path, str(lineno))


def _check_box(path: str, lineno: int, box: Tuple[float, ...]) -> None:
    x1, y1, x2, y2 = box
    if not all(0.0 <= v <= 1.0 for v in box):
        raise _row_error(
            path, lineno, f'box ({x1}, {y1}, {x2}, {y2}) has a coordinate '
            'outside [0, 1]; AVA boxes are normalised by the frame size')
    if x2 < x1 or y2 < y1:
        raise _row_error(
            path, lineno, f'box ({x1}, {y1}, {x2}, {y2}) has x2 < x1 or '
            'y2 < y1; expected x1, y1, x2, y2 with x1 <= x2 and y1 <= y2')


def read_ava_rows(path: str, on_error: str = 'raise',
                  warn: Optional[Callable[[str], None]] = None,
                  skipped: Optional[List[AnnotationError]] = None
                  ) -> AVARows:
    """Read an AVA annotation CSV, validating every row.

    Args:
        path (str): The CSV file (``video_id,timestamp,x1,y1,x2,y2,
            action_id[,person_id]``, no header).
        on_error (str): ``'raise'`` raises :class:`AnnotationError` at the
            first malformed row; ``'skip'`` drops it and reports it through
            ``warn``.
        warn (callable, optional): Called with the message of each skipped
            row when ``on_error='skip'``.
        skipped (list, optional): Receives the :class:`AnnotationError` of
            each skipped row when ``on_error='skip'``.

    Returns:
        AVARows: The rows in file order.
    """
    if on_error not in ('raise', 'skip'):
        raise ValueError(
            f"on_error must be 'raise' or 'skip', got {on_error!r}")
    video_ids, values, line_numbers = [], [], []
    try:
        fin = open(path)
    except OSError as e:
        raise AnnotationError(
            f'{path}: cannot open annotation file: {e}') from e
    with fin:
        for lineno, line in enumerate(fin, start=1):
            line = line.strip()
            if not line:
                continue
            try:
                video_id, row = _parse_row(path, lineno, line)
            except AnnotationError as e:
                _report_problem(e, on_error, warn, skipped)
                continue
            video_ids.append(video_id)
            values.append(row)
            line_numbers.append(lineno)
    table = np.asarray(values, dtype=np.float64).reshape(-1, 7)
    return AVARows(
        video_ids=video_ids,
        timestamps=table[:, 0].astype(np.int64),
        boxes=table[:, 1:5].astype(np.float32),
        labels=table[:, 5].astype(np.int64),
        entity_ids=table[:, 6].astype(np.int64),
        line_numbers=np.asarray(line_numbers, dtype=np.int64))


def _parse_row(path: str, lineno: int, line: str):
    fields = line.split(',')
    if len(fields) not in (7, 8):
        raise _row_error(
            path, lineno, 'expected 7 or 8 comma-separated columns '
            '(video_id,timestamp,x1,y1,x2,y2,action_id[,person_id]), got '
            f'{len(fields)}: {line!r}')
    video_id = fields[0]
    try:
        timestamp = int(float(fields[1]))
        box = tuple(float(v) for v in fields[2:6])
        label = int(fields[6])
        entity_id = int(fields[7]) if len(fields) == 8 else -1
    except ValueError:
        raise _row_error(
            path, lineno, 'non-numeric field; expected integer timestamp, '
            'four float box coordinates, integer action id and person id, '
            f'got {line!r}') from None
    if not video_id:
        raise _row_error(path, lineno, 'empty video_id')
    _check_box(path, lineno, box)
    return video_id, (timestamp, *box, label, entity_id)


def read_exclusions(path: Optional[str]) -> set:
    """Read an AVA exclusion CSV into a set of ``(video_id, timestamp)``.

    Args:
        path (str, optional): ``video_id,timestamp`` rows; ``None`` gives an
            empty set.
    """
    excluded = set()
    if path is None:
        return excluded
    with open(path) as fin:
        for lineno, line in enumerate(fin, start=1):
            line = line.strip()
            if not line:
                continue
            fields = line.split(',')
            if len(fields) != 2:
                raise AnnotationError(
                    f'{path}:{lineno}: expected 2 columns (video_id,'
                    f'timestamp), got {len(fields)}: {line!r}')
            try:
                excluded.add((fields[0], int(fields[1])))
            except ValueError:
                raise AnnotationError(
                    f'{path}:{lineno}: timestamp is not an integer: '
                    f'{line!r}') from None
    return excluded


_ITEM_RE = re.compile(r'(?:item|label)\s*\{([^}]*)\}', re.S)
_NAME_RE = re.compile(r'name:\s*"([^"]*)"')
_ID_RE = re.compile(r'\b(?:label_)?id:\s*(-?\d+)')


def read_label_map(path: str) -> Dict[int, str]:
    """Read an AVA label map (pbtxt) into ``{class_id: name}``.

    Args:
        path (str): A file of ``item { name: "stand" id: 12 }`` blocks
            (the ``*_for_activitynet_*`` files) or of AVA's full
            ``label { name: "stand" label_id: 12 label_type: ... }`` ones.
    """
    with open(path) as fin:
        text = fin.read()
    label_map = {}
    for match in _ITEM_RE.finditer(text):
        body = match.group(1)
        name, class_id = _NAME_RE.search(body), _ID_RE.search(body)
        if name is None or class_id is None:
            lineno = text.count('\n', 0, match.start()) + 1
            raise AnnotationError(
                f'{path}:{lineno}: label map item without name or id: '
                f'{match.group(0)!r}')
        label_map[int(class_id.group(1))] = name.group(1)
    if not label_map:
        raise AnnotationError(
            f'{path}: no "item {{ name: ... id: ... }}" entries found; '
            'expected an AVA label map in pbtxt format')
    return label_map


#: Slack for proposal coordinates written by detectors (rounding).
_BOX_TOLERANCE = 0.01


def _check_box_array(path: str, key, value) -> np.ndarray:
    """One pkl entry as a float32 ``[k, 4 or 5]`` array, or the error."""
    def error(what: str) -> AnnotationError:
        return AnnotationError(f'{path}: key {key!r}: {what}', path, str(key))

    if not isinstance(key, str) or ',' not in key:
        raise error('expected keys "video_id,%04d" % timestamp (e.g. '
                    '"-5KQ66BBWC4,0902")')
    try:
        array = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError):
        raise error('expected an array of shape [k, 4] or [k, 5] '
                    f'(x1, y1, x2, y2[, score]), got {type(value).__name__}'
                    ) from None
    if array.size == 0:
        array = array.reshape(0, 5)
    if array.ndim != 2 or array.shape[1] not in (4, 5):
        raise error('expected an array of shape [k, 4] or [k, 5] (x1, y1, '
                    f'x2, y2[, score]), got shape {array.shape}')
    if not np.isfinite(array).all():
        raise error('the array holds NaN or infinite values')
    coords = array[:, :4]
    if coords.size and (coords.min() < -_BOX_TOLERANCE
                        or coords.max() > 1 + _BOX_TOLERANCE):
        raise error(f'box coordinates in [{coords.min():g}, '
                    f'{coords.max():g}]; expected boxes normalised to [0, 1]'
                    ' (pixel boxes must be divided by the frame width and '
                    'height)')
    return array


def load_box_pkl(path: str, on_error: str = 'raise',
                 warn: Optional[Callable[[str], None]] = None,
                 skipped: Optional[List[AnnotationError]] = None
                 ) -> Dict[str, np.ndarray]:
    """Load a proposals / objects pkl: ``{"vid,%04d": array [k, 4 or 5]}``.

    Args:
        path (str): The pickle file.
        on_error (str): ``'raise'`` raises at the first bad entry;
            ``'skip'`` drops it (its keyframe then has no boxes) and reports
            it through ``warn`` and ``skipped``. A file that cannot be read
            or is not a dict always raises.
        warn (callable, optional): Called with the message of each dropped
            entry.
        skipped (list, optional): Receives the :class:`AnnotationError` of
            each dropped entry.

    Raises:
        AnnotationError: if the file is not a dict of 2-D arrays with 4 or
            5 finite, normalised columns, naming the offending key.
    """
    try:
        with open(path, 'rb') as fin:
            boxes = pickle.load(fin)
    except OSError as e:
        raise AnnotationError(f'{path}: cannot open box file: {e}',
                              path) from e
    except Exception as e:  # corrupt pickle: report file and cause
        raise AnnotationError(f'{path}: cannot unpickle: {e}', path) from e
    if not isinstance(boxes, dict):
        raise AnnotationError(
            f'{path}: expected a dict {{"video_id,%04d": array [k, 5]}}, got '
            f'{type(boxes).__name__}', path)
    checked = {}
    for key, value in boxes.items():
        try:
            checked[key] = _check_box_array(path, key, value)
        except AnnotationError as e:
            _report_problem(e, on_error, warn, skipped)
    return checked
