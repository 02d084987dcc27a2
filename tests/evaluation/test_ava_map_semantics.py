"""Hand-computed frame-mAP cases: the rules, one at a time, in both modes."""
import math

import numpy as np
import pytest

from mmaction_aia.evaluation.functional import (
    AVABoxRows,
    ava_frame_map,
    evaluate_ava_files,
    read_ava_csv,
    reader_settings,
    write_label_map,
)
from mmaction_aia.evaluation.functional.ava_map import (
    average_precision,
    match_detections,
    pairwise_box_iou,
)

BOX_A = '0.100,0.100,0.400,0.900'
BOX_B = '0.500,0.100,0.900,0.900'
BOX_FAR = '0.000,0.000,0.050,0.050'


@pytest.fixture
def files(tmp_path):
    """``files(gt_rows, pred_rows, excluded=())`` writes a tiny case."""

    def write(gt, pred, excluded=()):
        paths = {name: str(tmp_path / f'{name}.csv')
                 for name in ('gt', 'pred', 'exclusions')}
        for name, rows in (('gt', gt), ('pred', pred),
                           ('exclusions', excluded)):
            with open(paths[name], 'w') as f:
                f.writelines(row + '\n' for row in rows)
        paths['label_map'] = write_label_map(
            str(tmp_path / 'labels.pbtxt'),
            [(1, 'bend'), (12, 'stand'), (80, 'watch (a person)')])
        return paths

    return write


def evaluate(paths, mode='official'):
    return evaluate_ava_files(paths['gt'], paths['pred'], paths['label_map'],
                              paths['exclusions'], mode)


@pytest.mark.parametrize('mode', ['official', 'mmaction2'])
def test_perfect_detector_scores_one(files, mode):
    paths = files(
        [f'v,902,{BOX_A},12,0', f'v,902,{BOX_B},80,1', f'w,903,{BOX_A},1,0'],
        [f'v,902,{BOX_A},12,0.9', f'v,902,{BOX_B},80,0.8',
         f'w,903,{BOX_A},1,0.7'])
    result = evaluate(paths, mode)
    assert result.mAP == 1.0
    assert result.num_gt == {1: 1, 12: 1, 80: 1}
    assert result.group_ap == {'person_movement': 1.0,
                               'object_manipulation': pytest.approx(
                                   float('nan'), nan_ok=True),
                               'person_interaction': 1.0}


def test_no_fallback_to_the_second_best_box(files):
    # the second detection overlaps A best (IoU 0.94), but A is taken; it is
    # a false positive although its IoU with B is 0.82, as in the TF code
    gt = ['v,902,0.100,0.100,0.400,0.900,12,0',
          'v,902,0.140,0.100,0.440,0.900,12,1']
    pred = ['v,902,0.100,0.100,0.400,0.900,12,0.9',
            'v,902,0.110,0.100,0.410,0.900,12,0.8']
    for mode in ('official', 'mmaction2'):
        assert evaluate(files(gt, pred), mode).per_class_ap[12] == 0.5


def test_keyframes_without_ground_truth(files):
    gt = [f'v,902,{BOX_A},12,0']
    pred = [f'v,902,{BOX_A},12,0.5', f'v,903,{BOX_A},12,0.9']
    # official: the detection on v,903 is a false positive ranked first
    assert evaluate(files(gt, pred)).per_class_ap[12] == 0.5
    # mmaction2 1.x ignores keyframes without ground truth
    assert evaluate(files(gt, pred), 'mmaction2').per_class_ap[12] == 1.0


def test_excluded_keyframes(files):
    gt = [f'v,902,{BOX_A},12,0', f'v,903,{BOX_A},12,0']
    pred = [f'v,902,{BOX_A},12,0.9', f'v,903,{BOX_A},12,0.8']
    paths = files(gt, pred, excluded=['v,0903'])
    official = evaluate(paths)
    assert official.per_class_ap[12] == 1.0 and official.num_gt[12] == 1
    # mmaction2 1.x still counts the excluded ground truth as positives
    mmaction2 = evaluate(paths, 'mmaction2')
    assert mmaction2.per_class_ap[12] == 0.5 and mmaction2.num_gt[12] == 2


def test_at_most_50_detections_per_keyframe(files):
    gt = [f'v,902,{BOX_A},12,0']
    pred = [f'v,902,{BOX_FAR},80,{0.9 - i / 1000:.4f}' for i in range(55)]
    pred.append(f'v,902,{BOX_A},12,0.5')  # 56th best: cut by the cap
    assert evaluate(files(gt, pred)).per_class_ap[12] == 0.0
    assert evaluate(files(gt, pred), 'mmaction2').per_class_ap[12] == 1.0


def test_classes_without_ground_truth_or_detections(files):
    paths = files([f'v,902,{BOX_A},12,0', f'v,902,{BOX_A},80,0'],
                  [f'v,902,{BOX_A},12,0.9', f'v,902,{BOX_A},1,0.9'])
    official = evaluate(paths)
    assert math.isnan(official.per_class_ap[1])  # no ground truth
    assert official.per_class_ap[80] == 0.0  # ground truth, no detection
    assert official.mAP == 0.5
    mmaction2 = evaluate(paths, 'mmaction2')
    assert math.isnan(mmaction2.per_class_ap[80])  # left out of the mean
    assert mmaction2.mAP == 1.0


def test_degenerate_detections_are_dropped_after_the_cap(files):
    gt = [f'v,902,{BOX_A},12,0']
    pred = ['v,902,0.100,0.100,0.100,0.900,12,0.9', f'v,902,{BOX_A},12,0.5']
    assert evaluate(files(gt, pred)).per_class_ap[12] == 1.0
    assert evaluate(files(gt, pred), 'mmaction2').per_class_ap[12] == 0.5


def test_rows_must_be_read_for_the_mode(files):
    paths = files([f'v,902,{BOX_A},12,0'], [f'v,902,{BOX_A},12,0.9'])
    gt = read_ava_csv(paths['gt'], [12], *reader_settings('official', True))
    pred = read_ava_csv(paths['pred'], [12], capacity=0)
    with pytest.raises(ValueError, match='capacity=50'):
        ava_frame_map(gt, pred, [12])
    wide = read_ava_csv(paths['pred'], None,
                        *reader_settings('official', False))
    assert isinstance(wide, AVABoxRows)
    with pytest.raises(ValueError, match='class ids must be >= 1'):
        ava_frame_map(gt, wide, [0])


def test_matching_primitives():
    boxes = np.array([[0.1, 0.1, 0.4, 0.9], [0.15, 0.1, 0.45, 0.9]])
    iou = pairwise_box_iou(boxes[:1], boxes[1:])
    assert iou[0] == pytest.approx(0.25 * 0.8 / (2 * 0.3 * 0.8 - 0.25 * 0.8))
    # group 0 has two ground-truth boxes; detections in matching order
    tp = match_detections(np.array([0, 0, 0, -1]), np.repeat(boxes[:1], 4, 0),
                          np.array([0, 0]), boxes)
    assert tp.tolist() == [True, False, False, False]
    assert average_precision(np.array([0.9, 0.8]), np.array([True, False]),
                             2) == 0.5
    assert average_precision(np.zeros(0), np.zeros(0, bool), 3) == 0.0
