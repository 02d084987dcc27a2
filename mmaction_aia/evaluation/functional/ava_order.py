"""The official AVA reader's per-keyframe cap and row order, vectorised.

ActivityNet's ``read_csv`` pushes the rows of each keyframe, in file order,
into a heap of ``(score, action_id, y1, x1, y2, x2)`` tuples holding at most
``capacity`` entries (50 for detections, unlimited for ground truth): a row
replaces the heap's smallest tuple only if its score is strictly greater.
The survivors are then sorted by descending score with Python's stable sort,
so rows of equal score keep their order in the heap's internal array.

That order matters only between rows of one keyframe with the same class and
the same score (it decides which of them is matched first, and where each
lands in the per-class ranking) and at the cap when several rows tie with
the 50th score. Everything else is decided by the score alone. So:

1. per chunk, rows that cannot be among their keyframe's ``capacity`` best
   are dropped using float32 score keys (a superset survives), and the rest
   sorted by (keyframe, -score, file position), approximately (float32);
2. chunks are merged, and keyframes whose rows are not exactly in that order
   (rows in several chunks, float32 collisions) are re-sorted exactly;
3. keyframes with a tie at the cap, or with two kept rows of one class and
   one score but different boxes, are replayed through :mod:`heapq` exactly
   like the official reader (a few in a thousand on AVA-sized files).

``tie_order='file'`` orders ties by file position instead (mmaction2 1.x's
reader: a list and a stable sort, no heap).
"""
import heapq
from typing import Dict, List, NamedTuple, Sequence, Tuple

import numpy as np

TIE_ORDERS = ('official', 'file')
Rows = Dict[str, np.ndarray]


class RowBlock(NamedTuple):
    """Validated rows of one chunk, in file order.

    Args:
        image (np.ndarray): Global image index of each row (int32).
        label (np.ndarray): Action id of each row (int32).
        score (np.ndarray): Score of each row (float64).
        boxes (np.ndarray): ``[n, 4]`` x1, y1, x2, y2 (float64).
        candidates (np.ndarray): Local indices of the rows that may be among
            their image's ``capacity`` best, sorted by (image, -score, row)
            up to float32 precision.
        offset (int): File position (among kept rows) of the first row.
    """

    image: np.ndarray
    label: np.ndarray
    score: np.ndarray
    boxes: np.ndarray
    candidates: np.ndarray
    offset: int


def _descending(score: np.ndarray) -> np.ndarray:
    """uint32 keys sorting scores in descending float32 order."""
    bits = (score.astype(np.float32) + np.float32(0.0)).view(np.uint32)
    ascending = np.where(bits >> np.uint32(31), ~bits,
                         bits | np.uint32(0x80000000))
    return ~ascending


def block_candidates(image: np.ndarray, score: np.ndarray,
                     capacity: int) -> np.ndarray:
    """Candidate rows of a chunk, see :class:`RowBlock`.

    Args:
        image (np.ndarray): Global image index of each row.
        score (np.ndarray): Score of each row.
        capacity (int): Rows kept per image; 0 keeps all.

    Returns:
        np.ndarray: Local row indices; a superset of the kept rows (float32
        ties at the cap are all included), ordered as :class:`RowBlock` says.
    """
    n = image.size
    if n == 0:
        return np.zeros(0, np.int64)
    ids, rank = np.unique(image, return_inverse=True)
    rank = rank.ravel().astype(np.uint64)
    row_bits = max(int(n - 1).bit_length(), 1)
    if int(ids.size - 1).bit_length() + 32 + row_bits > 64:
        order = np.lexsort((-score, image))
    else:
        keys = ((rank << np.uint64(32 + row_bits))
                | (_descending(score).astype(np.uint64)
                   << np.uint64(row_bits))
                | np.arange(n, dtype=np.uint64))
        order = (np.sort(keys) & np.uint64((1 << row_bits) - 1)).astype(
            np.int32)
    if capacity < 1:
        return order
    counts = np.bincount(rank.astype(np.int64))
    starts = np.cumsum(counts) - counts
    within = np.arange(n) - np.repeat(starts, counts)
    last = np.repeat(starts + np.minimum(counts, capacity) - 1, counts)
    cut = _descending(score[order[last]])
    return order[(within < capacity) | (_descending(score[order]) == cut)]


def _heap_replay(rows: Rows, capacity: int) -> List[int]:
    """The official reader on one image's rows (file order): kept, ordered."""
    boxes = rows['boxes']
    tuples = list(zip(rows['score'].tolist(), rows['label'].tolist(),
                      boxes[:, 1].tolist(), boxes[:, 0].tolist(),
                      boxes[:, 3].tolist(), boxes[:, 2].tolist()))
    index_of = {id(entry): i for i, entry in enumerate(tuples)}
    heap: List[tuple] = []
    for entry in tuples:
        if capacity < 1 or len(heap) < capacity:
            heapq.heappush(heap, entry)
        elif entry[0] > heap[0][0]:
            heapq.heapreplace(heap, entry)
    heap.sort(key=lambda entry: -entry[0])
    return [index_of[id(entry)] for entry in heap]


COLUMNS = ('image', 'label', 'score', 'boxes')


def take_rows(blocks: Sequence[RowBlock], rows: np.ndarray,
              names: Sequence[str] = COLUMNS) -> Rows:
    """Columns of the rows at file positions ``rows``, in that order.

    Args:
        blocks (Sequence[RowBlock]): The file's rows, chunk by chunk.
        rows (np.ndarray): File positions (among the blocks' rows).
        names (Sequence[str]): Columns to take, among :data:`COLUMNS`.

    Returns:
        dict[str, np.ndarray]: The columns.
    """
    empty = {'image': np.zeros(0, np.int32), 'label': np.zeros(0, np.int32),
             'score': np.zeros(0), 'boxes': np.zeros((0, 4))}
    # zeros, not empty: first touches in order, not in scatter order
    out = {k: np.zeros((rows.size, ) + empty[k].shape[1:], empty[k].dtype)
           for k in names}
    if not blocks or rows.size == 0:
        return out
    offsets = np.array([b.offset for b in blocks])
    block_of = np.searchsorted(offsets, rows, 'right') - 1
    by_block = np.argsort(block_of.astype(np.uint16 if len(blocks) < 2**16
                                          else np.int64), kind='stable')
    bounds = np.searchsorted(block_of[by_block], np.arange(len(blocks) + 1))
    for block, lo, hi in zip(blocks, bounds[:-1], bounds[1:]):
        if lo == hi:
            continue
        dest = by_block[lo:hi]
        local = rows[dest] - block.offset
        for name, column in out.items():
            column[dest] = getattr(block, name)[local]
    return out


def _exact_order(image: np.ndarray, score: np.ndarray,
                 row: np.ndarray) -> np.ndarray:
    """Permutation sorting rows by (image, -score, row) exactly.

    The rows come as chunk-wise sorted runs; only images whose rows are out
    of order after merging the runs are re-sorted.
    """
    if (image[1:] >= image[:-1]).all():  # one run per image (usual)
        perm = np.arange(image.size)
    else:
        perm = np.argsort(image, kind='stable')
        image, score, row = image[perm], score[perm], row[perm]
    wrong = (image[1:] == image[:-1]) & (
        (score[1:] > score[:-1])
        | ((score[1:] == score[:-1]) & (row[1:] < row[:-1])))
    if wrong.any():
        redo = np.zeros(int(image.max()) + 1, bool)
        redo[image[1:][wrong]] = True
        index = np.flatnonzero(redo[image])
        perm[index] = perm[index][np.lexsort((row[index], -score[index],
                                             image[index]))]
    return perm


def _ambiguous_images(blocks: Sequence[RowBlock], image: np.ndarray,
                      score: np.ndarray, row: np.ndarray) -> np.ndarray:
    """Images with two kept rows of one class and score but other boxes.

    The kept rows come in (image, -score) order, so rows of equal score are
    adjacent.
    """
    same = (image[1:] == image[:-1]) & (score[1:] == score[:-1])
    if not same.any():
        return np.zeros(0, np.int64)
    in_run = np.zeros(image.size, bool)
    in_run[1:] |= same
    in_run[:-1] |= same
    run_id = np.cumsum(np.concatenate([[True], ~same]))[in_run]
    members = take_rows(blocks, row[in_run])
    label, boxes = members['label'], members['boxes']
    order = np.lexsort((boxes[:, 3], boxes[:, 2], boxes[:, 1], boxes[:, 0],
                        label, run_id))
    run_id, label, boxes = run_id[order], label[order], boxes[order]
    clash = ((run_id[1:] == run_id[:-1]) & (label[1:] == label[:-1])
             & (boxes[1:] != boxes[:-1]).any(1))
    return np.unique(members['image'][order][1:][clash])


def _replay(blocks: Sequence[RowBlock], images: np.ndarray,
            capacity: int) -> Tuple[np.ndarray, np.ndarray]:
    """Run the official heap on all rows of ``images``: (rows, positions)."""
    rows = np.concatenate([b.offset + np.flatnonzero(np.isin(b.image, images))
                           for b in blocks])
    columns = take_rows(blocks, rows)
    by_image = np.argsort(columns['image'], kind='stable')
    rows = rows[by_image]
    columns = {k: v[by_image] for k, v in columns.items()}
    bounds = np.flatnonzero(np.diff(columns['image'])) + 1
    chosen, positions = [], []
    for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, rows.size]):
        picked = _heap_replay({k: v[lo:hi] for k, v in columns.items()},
                              capacity)
        chosen.append(rows[lo + np.array(picked, np.int64)])
        positions.append(np.arange(len(picked)))
    return np.concatenate(chosen), np.concatenate(positions)


def reader_order(blocks: Sequence[RowBlock], num_images: int,
                 capacity: int, tie_order: str = 'official') -> Rows:
    """Apply the reader's cap and order to all rows of a file.

    Args:
        blocks (Sequence[RowBlock]): The file's rows, chunk by chunk.
        num_images (int): Number of images (global ids are first-appearance
            ranks, so sorting by id sorts by first appearance).
        capacity (int): Rows kept per image (0: all).
        tie_order (str): ``'official'`` (heap order, ActivityNet) or
            ``'file'`` (file position, mmaction2 1.x).

    Returns:
        dict[str, np.ndarray]: ``row`` (file positions), ``image``,
        ``label`` and ``score`` of the kept rows, ordered by image, then as
        the reader orders them (boxes: :func:`take_rows`).
    """
    if tie_order not in TIE_ORDERS:
        raise ValueError(f'tie_order must be one of {TIE_ORDERS}, got '
                         f'{tie_order!r}')
    if not blocks:
        return {'row': np.zeros(0, np.int64),
                **take_rows(blocks, np.zeros(0, np.int64), COLUMNS[:3])}
    image = np.concatenate([b.image[b.candidates] for b in blocks])
    score = np.concatenate([b.score[b.candidates] for b in blocks])
    row = np.concatenate([b.offset + b.candidates for b in blocks])
    order = _exact_order(image, score, row)
    image, score, row = image[order], score[order], row[order]
    first = np.flatnonzero(np.r_[True, image[1:] != image[:-1]])
    rank = np.arange(image.size) - np.repeat(first, np.diff(np.r_[
        first, image.size]))
    keep = rank < capacity if capacity > 0 else np.ones(image.size, bool)
    replay = np.zeros(num_images, bool)
    if tie_order == 'official':
        if capacity > 0:
            last = np.flatnonzero(rank[:-1] == capacity - 1)
            tie = ((image[last + 1] == image[last])
                   & (score[last + 1] == score[last]))
            replay[image[last[tie]]] = True
        replay[_ambiguous_images(blocks, image[keep], score[keep],
                                 row[keep])] = True
    if replay.any():
        keep &= ~replay[image]
        extra, position = _replay(blocks, np.flatnonzero(replay), capacity)
        row = np.concatenate([row[keep], extra])
        final = np.lexsort((np.concatenate([rank[keep], position]),
                            np.concatenate([
                                image[keep],
                                take_rows(blocks, extra, ['image'])['image']
                            ])))
        row = row[final]
    elif capacity > 0:
        row = row[keep]
    return {'row': row, **take_rows(blocks, row, COLUMNS[:3])}
