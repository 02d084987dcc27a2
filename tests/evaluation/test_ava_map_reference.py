"""Per-class AP equals the reference evaluators on seeded random cases.

``official``: ActivityNet's rules on the TF evaluator of mmaction2 0.24.1;
``mmaction2``: mmaction2 1.2.0's ``ava_eval``. Cases have score ties,
duplicates, exact IoU ties, exclusions, keyframes without ground truth,
classes without ground truth, more than 50 detections per keyframe,
degenerate boxes, foreign class ids, 7-column ground truth and custom class
subsets.
"""
import math

import numpy as np
import pytest

from mmaction_aia.evaluation.functional import ava_order, evaluate_ava_files

CONFIGS = {
    'ties': dict(score_levels=6),
    'cap': dict(score_levels=3, extra_boxes=8, max_persons=5,
                duplicate_prob=0.2, grid=4),
    'continuous_7col': dict(score_levels=None, seven_column_gt=True),
    'iou_ties': dict(grid=3, score_levels=4, duplicate_prob=0.3),
    'empty_classes': dict(num_classes=20, classes_per_box=4, num_frames=3,
                          max_persons=2),
}
SEEDS = (0, 1, 2)


def assert_same_ap(ours: dict, reference: dict) -> None:
    assert set(ours) >= set(reference)
    for class_id, expected in reference.items():
        got = ours[class_id]
        if math.isnan(expected):
            assert math.isnan(got), class_id
        else:
            assert abs(got - expected) <= 1e-9, (class_id, got, expected)


def _nan_equal(a: float, b: float, tol: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= tol


@pytest.mark.parametrize('seed', SEEDS)
@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_official_mode_equals_activitynet_tf(reference, make_ava_case, name,
                                             seed):
    case = make_ava_case(seed, **CONFIGS[name])
    exclusions = case['exclusions'] if seed != 1 else None
    mean_ap, per_class = reference.official_evaluate(
        case['gt'], case['pred'], case['label_map'], exclusions)
    result = evaluate_ava_files(case['gt'], case['pred'], case['label_map'],
                                exclusions)
    assert_same_ap(result.per_class_ap, per_class)
    assert _nan_equal(result.mAP, mean_ap, 1e-12)


@pytest.mark.parametrize('seed', SEEDS)
@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_mmaction2_mode_equals_mmaction2_1x(reference, make_ava_case, name,
                                            seed):
    case = make_ava_case(seed, **CONFIGS[name])
    exclusions = case['exclusions'] if seed != 1 else None
    expected, per_class = reference.mmaction2_evaluate(
        case['gt'], case['pred'], case['label_map'], exclusions)
    result = evaluate_ava_files(case['gt'], case['pred'], case['label_map'],
                                exclusions, mode='mmaction2')
    assert_same_ap(result.per_class_ap, per_class)
    evaluated = {c for c, ap in result.per_class_ap.items()
                 if not math.isnan(ap)}
    assert evaluated == {c for c, ap in per_class.items()
                         if not math.isnan(ap)}
    assert _nan_equal(result.mAP, expected['overall'], 1e-9)
    for group, key in (('person_movement', 'person_movement'),
                       ('object_manipulation', 'object_manipulation'),
                       ('person_interaction', 'person_interaction')):
        assert _nan_equal(result.group_ap[group], expected[key], 1e-9)


@pytest.mark.parametrize('mode', ['official', 'mmaction2'])
def test_custom_class_subset(reference, make_ava_case, mode):
    case = make_ava_case(7, num_classes=10)
    subset = case['classes'][::3]
    if mode == 'official':
        mean_ap, per_class = reference.official_evaluate(
            case['gt'], case['pred'], case['label_map'], case['exclusions'],
            custom_classes=subset)
    else:
        expected, per_class = reference.mmaction2_evaluate(
            case['gt'], case['pred'], case['label_map'], case['exclusions'],
            custom_classes=subset)
        mean_ap = expected['overall']
    result = evaluate_ava_files(case['gt'], case['pred'], case['label_map'],
                                case['exclusions'], mode,
                                custom_classes=subset + [999])
    assert sorted(result.per_class_ap) == sorted(subset)
    assert_same_ap(result.per_class_ap, per_class)
    assert _nan_equal(result.mAP, mean_ap, 1e-9)


def test_cases_exercise_the_reader_corner_cases(make_ava_case, monkeypatch):
    """The 'cap' cases have keyframes over the cap and replayed heaps."""
    replays = []
    original = ava_order._heap_replay

    def counting(rows, capacity):
        replays.append(rows['score'].size)
        return original(rows, capacity)

    monkeypatch.setattr(ava_order, '_heap_replay', counting)
    case = make_ava_case(0, **CONFIGS['cap'])
    result = evaluate_ava_files(case['gt'], case['pred'], case['label_map'])
    assert replays and max(replays) > 50
    assert np.isfinite(result.mAP)
