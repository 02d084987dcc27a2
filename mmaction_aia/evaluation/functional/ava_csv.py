"""Fast, strict tokenizer for AVA-format CSV chunks (numpy only).

AVA result files reach tens of millions of rows
(``video_id,timestamp,x1,y1,x2,y2,action_id[,score]``); Python's ``csv``
module costs about 3 us per row. A chunk of whole lines is parsed by the
first of three paths that accepts it, all with the same result:

1. *fixed layout* (what writers with a fixed format produce): the widths of
   the video id, the coordinates and the score are taken from the first line
   and every line is verified against them (a comma at each expected place,
   exactly 6 or 7 commas per line in total, digits where digits belong); the
   timestamp and action id may vary in width. Only newlines are searched;
   fields are read through fixed-width windows;
2. *general*: every separator is located; any field widths;
3. *csv module*: chunks with quotes, ``'\\r'``, spaces or ``'+'``.

Numbers are exact (see :mod:`.ava_numbers`). Malformed rows are only
reported by paths 2 and 3, as ``ValueError('path:line: what')``; empty lines
are skipped and counted in line numbers. A chunk is ``FRONT_PAD`` bytes,
the lines, then at least ``BACK_PAD`` readable bytes of any value.
"""
import csv
import io
from typing import List, NamedTuple, Optional, Tuple

import numpy as np

from .ava_numbers import (
    gather,
    parse_numbers,
    python_number,
    strict_fixed,
    strict_int,
)

FRONT_PAD = 8
BACK_PAD = 64
_COMMA = np.uint8(44)


class ChunkRows(NamedTuple):
    """Rows of one chunk, in file order.

    Args:
        video_ids (list[str]): Distinct video ids of the chunk's image keys.
        key_video (np.ndarray): Per local image key, index into video_ids.
        key_time (np.ndarray): Per local image key, the timestamp (int64).
        image (np.ndarray): Per row, the local image key index (int64).
        label (np.ndarray): Per row, the action id (int64).
        score (np.ndarray): Per row, the 8th column or 1.0 (float64).
        x1, y1, x2, y2 (np.ndarray): Per row, box corners (float64).
        line (np.ndarray): Per row, its 1-based line number in the file.
        num_lines (int): Lines in the chunk, empty ones included.
    """

    video_ids: List[str]
    key_video: np.ndarray
    key_time: np.ndarray
    image: np.ndarray
    label: np.ndarray
    score: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    x2: np.ndarray
    y2: np.ndarray
    line: np.ndarray
    num_lines: int


def _image_keys(buf: np.ndarray, starts: np.ndarray, lengths: np.ndarray,
                times: np.ndarray) -> Optional[tuple]:
    """Distinct (video id, timestamp) keys and each row's key index.

    Returns None if a video id holds a quote (the ``csv`` path decides).
    """
    n = starts.size
    if n == 0:
        empty = np.zeros(0, np.int64)
        return [], empty, empty, empty
    width = max(int(lengths.max()), 1)
    vids = gather(buf, starts, width)
    if int(lengths.min()) != width:
        vids = np.where(np.arange(width) < lengths[:, None], vids, 0)
    if (vids == 34).any():
        return None
    # compare rows as uint64 words: numpy is slow on short rows
    words = np.zeros((n, -(-width // 8) * 8), np.uint8)
    words[:, :width] = vids
    words = words.view(np.uint64)
    change = np.ones(n, bool)
    change[1:] = (times[1:] != times[:-1]) | (lengths[1:] != lengths[:-1])
    for j in range(words.shape[1]):
        change[1:] |= words[1:, j] != words[:-1, j]
    heads = np.flatnonzero(change)
    head_bytes = np.concatenate(
        [vids[heads], times[heads, None].view(np.uint8),
         lengths[heads, None].astype(np.int64).view(np.uint8)], axis=1)
    records = np.ascontiguousarray(head_bytes).view(
        f'S{head_bytes.shape[1]}').ravel()
    _, first, inverse = np.unique(records, return_index=True,
                                  return_inverse=True)
    key_heads = heads[first]
    video_ids, key_video = np.unique(
        np.ascontiguousarray(vids[key_heads]).view(f'S{width}').ravel(),
        return_inverse=True)
    names = [v.decode('utf-8', 'surrogateescape') for v in video_ids]
    image = inverse.ravel()[np.cumsum(change) - 1]
    return names, key_video.ravel(), times[key_heads], image


def _first_line_layout(buf: np.ndarray, start: int, end: int
                       ) -> Optional[Tuple[int, List[int], int, int]]:
    """(video id width, coordinate widths, score width, columns)."""
    fields = bytes(buf[start:end]).split(b',')
    if len(fields) not in (7, 8):
        return None
    coords = [len(f) for f in fields[2:6]]
    score = len(fields[7]) if len(fields) == 8 else 0
    if (min(coords) < 1 or (len(fields) == 8 and not 0 < score < 17)
            or not 0 < len(fields[0]) <= BACK_PAD or max(coords) > 16):
        return None
    return len(fields[0]), coords, score, len(fields)


def _parse_fixed_layout(buf: np.ndarray, body_end: int,
                        line0: int) -> Optional[ChunkRows]:
    """Path 1 (see the module docstring), or None."""
    body = buf[:body_end]
    ends = np.flatnonzero(body == 10)
    n = ends.size
    if n == 0:
        return None
    starts = np.empty(n, np.int64)
    starts[0] = FRONT_PAD
    starts[1:] = ends[:-1] + 1
    layout = _first_line_layout(buf, FRONT_PAD, int(ends[0]))
    if layout is None:
        return None
    vid_width, coord_widths, score_width, columns = layout
    if np.count_nonzero(body == _COMMA) != (columns - 1) * n:
        return None
    action_end = ends - score_width - 1 if score_width else ends
    if score_width and not (buf[action_end] == _COMMA).all():
        return None
    action_width = np.zeros(n, np.int64)
    for width in (3, 2, 1):
        action_width[buf[action_end - width - 1] == _COMMA] = width
    region_width = sum(coord_widths) + 3
    x1_start = action_end - action_width - 1 - region_width
    if (not action_width.all() or not (buf[x1_start - 1] == _COMMA).all()
            or not (buf[starts + vid_width] == _COMMA).all()):
        return None
    region = gather(buf, x1_start, region_width)
    offsets = np.cumsum([0] + [w + 1 for w in coord_widths])
    if not all((region[:, o - 1] == _COMMA).all() for o in offsets[1:4]):
        return None
    coords = [strict_fixed(region[:, o:o + w])
              for o, w in zip(offsets, coord_widths)]
    times = strict_int(buf, x1_start - 1, x1_start - 2 - starts - vid_width)
    labels = strict_int(buf, action_end, action_width)
    scores = (strict_fixed(gather(buf, action_end + 1, score_width))
              if score_width else np.ones(n))
    if any(v is None for v in (*coords, times, labels, scores)):
        return None
    keys = _image_keys(buf, starts, np.full(n, vid_width), times)
    if keys is None:
        return None
    return ChunkRows(*keys, labels, scores, *coords,
                     line0 + 1 + np.arange(n), n)


def _parse_general(buf: np.ndarray, body_end: int, line0: int,
                   path: str) -> Optional[ChunkRows]:
    """Path 2 (see the module docstring), or None for the csv path."""
    seps = np.flatnonzero(buf[:body_end] < 45)
    kinds = buf[seps]
    newline = kinds == 10
    if not (newline | (kinds == _COMMA)).all():
        return None
    ends_at = np.flatnonzero(newline)
    counts = np.diff(ends_at, prepend=-1)
    line_start = np.full(ends_at.size, FRONT_PAD, np.int64)
    line_start[1:] = seps[ends_at[:-1]] + 1
    lines = line0 + 1 + np.arange(ends_at.size)
    blank = (counts == 1) & (seps[ends_at] == line_start)
    wrong = ~((counts == 7) | (counts == 8)) & ~blank
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        raise ValueError(f'{path}:{int(lines[i])}: expected 7 or 8 columns, '
                         f'got {int(counts[i])}')
    keep = ~blank
    first_sep = (ends_at - counts + 1)[keep]
    counts, line_start, lines = counts[keep], line_start[keep], lines[keep]
    ends = [seps[first_sep + j] for j in range(7)]
    if lines.size and int((ends[0] - line_start).max()) > BACK_PAD:
        return None
    starts = [line_start] + [end + 1 for end in ends[:6]]
    names = ('timestamp', 'x1', 'y1', 'x2', 'y2', 'action_id')
    numbers = [
        parse_numbers(buf, starts[j], ends[j], j in (1, 6), path, lines,
                      names[j - 1]) for j in range(1, 7)
    ]
    scores = np.ones(lines.size)
    with_score = counts == 8
    if with_score.any():
        scores[with_score] = parse_numbers(
            buf, ends[6][with_score] + 1,
            seps[first_sep[with_score] + 7], False, path, lines[with_score],
            'score')
    keys = _image_keys(buf, line_start, ends[0] - line_start, numbers[0])
    if keys is None:
        return None
    return ChunkRows(*keys, numbers[5], scores, *numbers[1:5], lines,
                     int(ends_at.size))


def _parse_with_csv(text: str, line0: int, path: str) -> ChunkRows:
    """Path 3 (see the module docstring)."""
    reader = csv.reader(io.StringIO(text, newline=''))
    keys, videos, rows = {}, {}, []
    for row in reader:
        line = line0 + reader.line_num
        if not row:
            continue
        if len(row) not in (7, 8):
            raise ValueError(f'{path}:{line}: expected 7 or 8 columns, got '
                             f'{len(row)}')
        timestamp = int(python_number(row[1], True, path, line, 'timestamp'))
        key = (videos.setdefault(row[0], len(videos)), timestamp)
        image = keys.setdefault(key, len(keys))
        values = [
            python_number(row[j], j == 6, path, line, name)
            for j, name in ((2, 'x1'), (3, 'y1'), (4, 'x2'), (5, 'y2'),
                            (6, 'action_id'))
        ]
        score = (python_number(row[7], False, path, line, 'score')
                 if len(row) == 8 else 1.0)
        rows.append((image, values[4], score, *values[:4], line))
    table = np.array(rows, np.float64).reshape(-1, 8)
    key_table = np.array(list(keys), np.int64).reshape(-1, 2)
    return ChunkRows(list(videos), key_table[:, 0], key_table[:, 1],
                     table[:, 0].astype(np.int64),
                     table[:, 1].astype(np.int64), table[:, 2], table[:, 3],
                     table[:, 4], table[:, 5], table[:, 6],
                     table[:, 7].astype(np.int64), text.count('\n'))


def parse_chunk(buf: np.ndarray, body_end: int, line0: int,
                path: str) -> ChunkRows:
    """Parse ``buf[FRONT_PAD:body_end]``: whole lines ending with ``\\n``.

    Args:
        buf (np.ndarray): uint8 buffer: ``FRONT_PAD`` bytes, the lines, then
            at least ``BACK_PAD`` readable bytes.
        body_end (int): Offset just after the last newline.
        line0 (int): Lines of the file before this chunk.
        path (str): File name for error messages.

    Returns:
        ChunkRows: The rows in file order (box ranges and the class
        whitelist are checked by the caller).
    """
    rows = _parse_fixed_layout(buf, body_end, line0)
    if rows is None:
        rows = _parse_general(buf, body_end, line0, path)
    if rows is None:
        text = bytes(buf[FRONT_PAD:body_end]).decode('utf-8',
                                                     'surrogateescape')
        rows = _parse_with_csv(text, line0, path)
    return rows
