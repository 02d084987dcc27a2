"""Hypothesis: matching and AP equal the TF evaluator on arbitrary inputs."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mmaction_aia.evaluation.functional.ava_map import (
    average_precision,
    match_detections,
)

# a coarse grid makes equal IoUs and duplicate boxes frequent
coord = st.integers(0, 6).map(lambda v: v / 6)


@st.composite
def boxes(draw, max_size):
    n = draw(st.integers(0, max_size))
    out = []
    for _ in range(n):
        x = sorted(draw(st.lists(coord, min_size=2, max_size=2)))
        y = sorted(draw(st.lists(coord, min_size=2, max_size=2)))
        out.append([x[0], y[0], x[1], y[1]])
    return np.array(out, float).reshape(-1, 4)


@settings(max_examples=150, deadline=None)
@given(det=boxes(7), gt=boxes(4), data=st.data())
def test_matching_equals_tf_per_image_evaluation(reference, det, gt, data):
    keep = (det[:, 0] < det[:, 2]) & (det[:, 1] < det[:, 3])
    det = det[keep]  # the TF code drops these before matching
    scores = np.array(data.draw(st.lists(
        st.sampled_from([0.2, 0.5, 0.9]), min_size=len(det),
        max_size=len(det))), float)
    order = np.argsort(-scores, kind='stable')
    det, scores = det[order], scores[order]
    evaluation = reference.tf_evaluation().per_image_evaluation
    tf = evaluation.PerImageEvaluation(1, 0.5)
    _, expected = tf._compute_tp_fp_for_single_class(
        det[:, [1, 0, 3, 2]], scores, gt[:, [1, 0, 3, 2]])
    got = match_detections(np.zeros(len(det), np.int64), det,
                           np.zeros(len(gt), np.int64), gt)
    assert got.tolist() == np.asarray(expected, bool).tolist()


@settings(max_examples=150, deadline=None)
@given(labels=st.lists(st.tuples(st.sampled_from([0.1, 0.3, 0.3001, 0.7]),
                                 st.booleans()), max_size=30),
       extra_gt=st.integers(0, 5))
def test_average_precision_equals_tf_metrics(reference, labels, extra_gt):
    scores = np.array([s for s, _ in labels], float)
    tp = np.array([t for _, t in labels], bool)
    num_gt = int(tp.sum()) + extra_gt
    if num_gt == 0:
        return
    metrics = reference.tf_evaluation().metrics
    precision, recall = metrics.compute_precision_recall(scores, tp, num_gt)
    expected = metrics.compute_average_precision(precision, recall)
    assert average_precision(scores, tp, num_gt) == expected
