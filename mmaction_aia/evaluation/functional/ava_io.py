"""Readers and writers of AVA's evaluation files.

- :func:`read_label_map`: the label map (pbtxt) that decides which classes
  are evaluated, parsed like ActivityNet's ``read_labelmap``;
- :func:`read_exclusions`: ``video_id,timestamp`` keyframes left out;
- :func:`read_ava_csv`: ground-truth or result CSV into :class:`AVABoxRows`
  (class whitelist, per-keyframe cap and row order of the official reader,
  every row validated).
"""
import csv
from typing import (
    Dict,
    Iterable,
    Iterator,
    List,
    Optional,
    Sequence,
    Set,
    Tuple,
)

import numpy as np

from .ava_csv import BACK_PAD, FRONT_PAD, ChunkRows, parse_chunk
from .ava_order import RowBlock, block_candidates, reader_order, take_rows

ImageKey = Tuple[str, int]
_CHUNK_BYTES = 1 << 22


class AVABoxRows:
    """Rows of an AVA CSV as the reader orders them, evaluated classes only.

    Rows are grouped by image (keyframe) in order of first appearance in the
    file; within an image they are sorted by descending score, ties in the
    reader's order (see :mod:`.ava_order`), and capped at ``capacity``.
    Boxes are gathered when first used (:attr:`boxes`, :meth:`boxes_at`).

    Args:
        path (str): The file read.
        keys (list[tuple[str, int]]): ``(video_id, timestamp)`` of each
            image, in order of first appearance.
        image (np.ndarray): Per row, index into ``keys`` (int32).
        labels (np.ndarray): Per row, the action id (int32).
        scores (np.ndarray): Per row, the 8th column (detection score; the
            person id in ground truth) or 1.0 (float64).
        boxes (np.ndarray, optional): ``[N, 4]`` x1, y1, x2, y2 in [0, 1]
            (float64); or ``blocks`` and ``rows`` to gather them from.
        capacity (int): Rows kept per image (0: all).
        tie_order (str): ``'official'`` or ``'file'``.
        num_read (int): Rows of evaluated classes before the cap.
        skipped (dict[int, int], optional): Rows dropped per class id absent
            from the whitelist.
        blocks (Sequence[RowBlock], optional): The file's rows by chunk.
        rows (np.ndarray, optional): File position of each row in blocks.
    """

    def __init__(self, path: str, keys: List[ImageKey], image: np.ndarray,
                 labels: np.ndarray, scores: np.ndarray,
                 boxes: Optional[np.ndarray] = None, capacity: int = 0,
                 tie_order: str = 'official', num_read: int = 0,
                 skipped: Optional[Dict[int, int]] = None,
                 blocks: Sequence[RowBlock] = (),
                 rows: Optional[np.ndarray] = None) -> None:
        if boxes is None and rows is None:
            raise ValueError('AVABoxRows needs boxes, or blocks and rows')
        self.path, self.keys = path, keys
        self.image, self.labels, self.scores = image, labels, scores
        self.capacity, self.tie_order = capacity, tie_order
        self.num_read, self.skipped = num_read, dict(skipped or {})
        self._boxes, self._blocks, self._rows = boxes, blocks, rows

    def __len__(self) -> int:
        return int(self.labels.size)

    @property
    def boxes(self) -> np.ndarray:
        """``[N, 4]`` x1, y1, x2, y2 of all rows (gathered once)."""
        if self._boxes is None:
            self._boxes = take_rows(self._blocks, self._rows,
                                    ['boxes'])['boxes']
        return self._boxes

    def boxes_at(self, index: np.ndarray) -> np.ndarray:
        """Boxes of the rows ``index`` only.

        Args:
            index (np.ndarray): Row indices.

        Returns:
            np.ndarray: ``[len(index), 4]`` boxes.
        """
        if self._boxes is not None:
            return self._boxes[index]
        return take_rows(self._blocks, self._rows[index], ['boxes'])['boxes']


def read_label_map(path: str) -> Tuple[Dict[int, str], List[int]]:
    """Read an AVA label map (``item { name: "..." id: N }`` pbtxt).

    Like ActivityNet's reader, a ``name:`` line sets the current name and an
    ``id:`` (or ``label_id:``) line adds a class; indentation may vary.

    Args:
        path (str): The pbtxt file.

    Returns:
        tuple[dict[int, str], list[int]]: ``{class_id: name}`` and the class
        ids in file order (the evaluated classes).
    """
    names: Dict[int, str] = {}
    name = ''
    with open(path) as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.strip()
            if line.startswith('name:'):
                parts = line.split('"')
                if len(parts) < 3:
                    raise ValueError(f'{path}:{lineno}: expected name: '
                                     f'"..." , got {line!r}')
                name = parts[1]
            elif line.startswith(('id:', 'label_id:')):
                try:
                    class_id = int(line.split(':', 1)[1])
                except ValueError:
                    raise ValueError(f'{path}:{lineno}: expected an integer '
                                     f'class id, got {line!r}') from None
                names[class_id] = name
    if not names:
        raise ValueError(f'{path}: no "id:" entries; expected an AVA label '
                         'map in pbtxt format')
    return names, list(names)


def read_exclusions(path: Optional[str]) -> Set[ImageKey]:
    """Read excluded keyframes (``video_id,timestamp`` rows).

    Args:
        path (str, optional): The CSV; None gives an empty set.

    Returns:
        set[tuple[str, int]]: Excluded ``(video_id, timestamp)`` keys.
    """
    excluded: Set[ImageKey] = set()
    if path is None:
        return excluded
    with open(path, newline='') as f:
        reader = csv.reader(f)
        for row in reader:
            if not row:
                continue
            if len(row) != 2:
                raise ValueError(f'{path}:{reader.line_num}: expected 2 '
                                 f'columns (video_id,timestamp), got '
                                 f'{len(row)}')
            try:
                excluded.add((row[0], int(row[1])))
            except ValueError:
                raise ValueError(f'{path}:{reader.line_num}: expected an '
                                 f'integer timestamp, got {row[1]!r}'
                                 ) from None
    return excluded


def _iter_chunks(path: str) -> Iterator[Tuple[np.ndarray, int]]:
    """Yield (buffer, body end) for chunks of whole lines (see ava_csv).

    The buffer is reused: each chunk must be consumed before the next.
    """
    size = _CHUNK_BYTES
    buf = bytearray(b'0' * (FRONT_PAD + size + BACK_PAD + 8))
    carry = 0
    with open(path, 'rb') as f:
        while True:
            view = memoryview(buf)
            got = f.readinto(view[FRONT_PAD + carry:FRONT_PAD + size])
            view.release()
            end = FRONT_PAD + carry + got
            if got == 0:
                if carry:
                    buf[end] = 10
                    yield np.frombuffer(buf, np.uint8), end + 1
                return
            cut = buf.rfind(b'\n', FRONT_PAD, end) + 1
            if cut == 0:
                carry = end - FRONT_PAD
                if end == FRONT_PAD + size:  # a line longer than the buffer
                    size *= 2
                    grown = bytearray(b'0' * (FRONT_PAD + size + BACK_PAD + 8))
                    grown[:end] = buf[:end]
                    buf = grown
                continue
            yield np.frombuffer(buf, np.uint8), cut
            carry = end - cut
            buf[FRONT_PAD:FRONT_PAD + carry] = buf[cut:end]


def _check_boxes(rows: ChunkRows, path: str) -> None:
    x1, y1, x2, y2 = rows.x1, rows.y1, rows.x2, rows.y2
    outside = ((np.minimum(x1, y1) < 0) | (np.maximum(x2, y2) > 1)
               | (np.minimum(x2, y2) < 0) | (np.maximum(x1, y1) > 1))
    flipped = (x2 < x1) | (y2 < y1)
    bad = np.flatnonzero(outside | flipped)
    if bad.size:
        i = int(bad[0])
        box = f'({x1[i]}, {y1[i]}, {x2[i]}, {y2[i]})'
        what = ('has a coordinate outside [0, 1] (AVA boxes are normalised '
                'by the frame size)' if outside[i] else
                'has x2 < x1 or y2 < y1 (expected x1,y1,x2,y2)')
        raise ValueError(f'{path}:{int(rows.line[i])}: box {box} {what}')


def _whitelist_table(class_ids: Optional[Iterable[int]]
                     ) -> Optional[np.ndarray]:
    if class_ids is None:
        return None
    ids = np.array(sorted(set(int(c) for c in class_ids)), np.int64)
    if ids.size == 0:
        raise ValueError('the class whitelist is empty')
    if ids[0] < 0:
        raise ValueError(f'class ids must be >= 0, got {ids[0]}')
    table = np.zeros(int(ids[-1]) + 1, bool)
    table[ids] = True
    return table


class _BlockCollector:
    """Validates chunks and turns them into :class:`RowBlock` s.

    Args:
        path (str): File name for error messages.
        whitelist (np.ndarray, optional): Lookup table of evaluated ids.
        capacity (int): Rows kept per image (for the pre-selection).
    """

    def __init__(self, path: str, whitelist: Optional[np.ndarray],
                 capacity: int) -> None:
        self.path = path
        self.whitelist = whitelist
        self.capacity = capacity
        self.key_ids: Dict[ImageKey, int] = {}
        self.blocks: List[RowBlock] = []
        self.skipped: Dict[int, int] = {}
        self.num_rows = 0

    def _keep(self, labels: np.ndarray) -> np.ndarray:
        if self.whitelist is None:
            return np.arange(labels.size)
        inside = (labels >= 0) & (labels < self.whitelist.size)
        inside[inside] = self.whitelist[labels[inside]]
        if inside.all():
            return np.arange(labels.size)
        ids, counts = np.unique(labels[~inside], return_counts=True)
        for class_id, count in zip(ids.tolist(), counts.tolist()):
            self.skipped[class_id] = self.skipped.get(class_id, 0) + count
        return np.flatnonzero(inside)

    def add(self, rows: ChunkRows) -> None:
        """Validate, drop other classes, map image keys, pre-select."""
        _check_boxes(rows, self.path)
        keep = self._keep(rows.label)
        wide = (rows.label[keep] < 0) | (rows.label[keep] >= 2**31)
        if wide.any():  # only without a whitelist
            i = int(keep[np.flatnonzero(wide)[0]])
            raise ValueError(f'{self.path}:{int(rows.line[i])}: action id '
                             f'{rows.label[i]} is outside [0, 2**31)')
        image = rows.image[keep]
        local, first = np.unique(image, return_index=True)
        to_global = np.zeros(rows.key_time.size, np.int32)
        for k in local[np.argsort(first)].tolist():
            key = (rows.video_ids[rows.key_video[k]], int(rows.key_time[k]))
            to_global[k] = self.key_ids.setdefault(key, len(self.key_ids))
        image = to_global[image]
        score = rows.score[keep]
        boxes = np.stack([rows.x1[keep], rows.y1[keep], rows.x2[keep],
                          rows.y2[keep]], axis=1)
        self.blocks.append(RowBlock(
            image, rows.label[keep].astype(np.int32), score, boxes,
            block_candidates(image, score, self.capacity), self.num_rows))
        self.num_rows += keep.size


def read_ava_csv(path: str,
                 class_whitelist: Optional[Iterable[int]] = None,
                 capacity: int = 0,
                 tie_order: str = 'official') -> AVABoxRows:
    """Read an AVA ground-truth or result CSV, fast and strictly.

    Rows are ``video_id,timestamp,x1,y1,x2,y2,action_id[,score]`` with
    normalised coordinates; a missing 8th column reads as 1.0, as in the
    official reader. Rows of classes outside ``class_whitelist`` are dropped
    and counted in ``skipped``. Then, like ActivityNet's ``read_csv``, each
    keyframe keeps its ``capacity`` highest-scoring rows (0 keeps all; the
    official evaluation uses 50 for detections, 0 for ground truth), sorted
    by descending score with the reader's tie order (see
    :mod:`.ava_order`). The file is parsed in chunks of a few MB.

    Args:
        path (str): The CSV file.
        class_whitelist (Iterable[int], optional): Evaluated class ids
            (None keeps all).
        capacity (int): Rows kept per keyframe, 0 for all. Defaults to 0.
        tie_order (str): ``'official'`` (ActivityNet's heap order) or
            ``'file'`` (mmaction2 1.x: file order). Defaults to
            ``'official'``.

    Returns:
        AVABoxRows: The rows in the reader's order.

    Raises:
        ValueError: ``path:line: ...`` for a wrong column count, a
            non-numeric field, a box outside [0, 1] or with x2 < x1 / y2 < y1.
    """
    collector = _BlockCollector(path, _whitelist_table(class_whitelist),
                                capacity)
    lines = 0
    for buf, body_end in _iter_chunks(path):
        rows = parse_chunk(buf, body_end, lines, path)
        lines += rows.num_lines
        collector.add(rows)
    ordered = reader_order(collector.blocks, len(collector.key_ids),
                           capacity, tie_order)
    return AVABoxRows(path, list(collector.key_ids), ordered['image'],
                      ordered['label'], ordered['score'], None, capacity,
                      tie_order, collector.num_rows,
                      dict(sorted(collector.skipped.items())),
                      collector.blocks, ordered['row'])
