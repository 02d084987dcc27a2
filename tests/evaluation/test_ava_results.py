"""Results rows from scores, and the results CSV text."""
import numpy as np
import pytest

from mmaction_aia.evaluation.functional import (
    read_ava_csv,
    scores_to_rows,
    write_ava_results,
)


def python_text(videos, index, times, boxes, labels, scores) -> str:
    return ''.join(
        f'{videos[v]},{t},{a:.3f},{b:.3f},{c:.3f},{d:.3f},{k},{s:.4f}\n'
        for v, t, (a, b, c, d), k, s in zip(index.tolist(), times.tolist(),
                                            boxes.tolist(), labels.tolist(),
                                            scores.tolist()))


def test_text_equals_python_formatting(tmp_path):
    rng = np.random.default_rng(0)
    n = 3000
    videos = ['a', '-5KQ66BBWC4', 'video_with_a_long_name']
    index = rng.integers(0, 3, n)
    times = rng.integers(0, 20000, n)
    labels = rng.integers(1, 81, n)
    boxes = np.sort(rng.random((n, 2, 2)), axis=1).reshape(n, 4)
    scores = rng.random(n).astype(np.float32).astype(np.float64)
    # rounding ties in binary, values at the ends, float32 artefacts
    boxes[:6] = [[0.0625, 0.0005, 1.0, 0.9995], [0, 0.0015, 0.0025, 1],
                 [0.1245, 0.5, 0.9999, 0.99949], [0.1, 0.2, 0.3, 0.7],
                 [1e-9, 0.0004999, 0.5005, 0.4445],
                 np.float32([0.1, 0.2, 0.3, 0.9])]
    scores[:6] = [0.00005, 0.5, 1.0, 0.12345, 0.99995, 0.03125]
    path = tmp_path / 'results.csv'
    write_ava_results(str(path), videos, index, times, boxes, labels, scores)
    assert path.read_text() == python_text(videos, index, times, boxes,
                                           labels, scores)
    rows = read_ava_csv(str(path), None, 0, 'file')
    assert rows.num_read == n
    written = np.array([[float(f'{v:.3f}') for v in box]
                        for box in boxes.tolist()])
    assert sorted(map(tuple, rows.boxes.tolist())) == sorted(
        map(tuple, written.tolist()))


def test_empty_results(tmp_path):
    path = tmp_path / 'sub' / 'empty.csv'
    write_ava_results(str(path), [], np.zeros(0, int), np.zeros(0, int),
                      np.zeros((0, 4)), np.zeros(0, int), np.zeros(0))
    assert path.read_text() == ''
    assert len(read_ava_csv(str(path), [1], 50)) == 0


def test_scores_to_rows_like_mmaction2():
    boxes = np.array([[0.1, 0.1, 0.2, 0.2], [0.3, 0.3, 0.4, 0.4]],
                     np.float32)
    scores = np.array([[0.9, 0.5, 0.001, 0.3], [0.9, 0.002, 0.7, 0.3]],
                      np.float32)
    rows, labels, values = scores_to_rows(boxes, scores, 0.002)
    # class-major, then box; background column ignored; strictly above thr
    assert labels.tolist() == [1, 2, 3, 3]
    assert values.tolist() == pytest.approx([0.5, 0.7, 0.3, 0.3])
    assert rows.tolist() == boxes[[0, 1, 0, 1]].tolist()
    _, labels, _ = scores_to_rows(boxes, scores, 0.002, [11, 12, 80])
    assert labels.tolist() == [11, 12, 80, 80]
    _, labels, values = scores_to_rows(boxes, scores, -1.0)  # single label
    assert labels.tolist() == [1, 2] and values.tolist() == pytest.approx(
        [0.5, 0.7])
    with pytest.raises(ValueError, match='custom classes'):
        scores_to_rows(boxes, scores, 0.002, [1, 2])
    with pytest.raises(ValueError, match='shape'):
        scores_to_rows(boxes, scores[:1], 0.002)
