"""AVAMetric: rows from model outputs, a kept results CSV, logged tables."""
import os

import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

from mmaction_aia.evaluation.functional import evaluate_ava_files, read_ava_csv
from mmaction_aia.evaluation.metrics import ava_metric
from mmaction_aia.registry import METRICS
from mmaction_aia.structures import ActionDataSample


@pytest.fixture
def logged(monkeypatch):
    messages = []
    monkeypatch.setattr(ava_metric, 'print_log',
                        lambda message, **kwargs: messages.append(message))
    return messages


def perfect_samples(gt_csv: str, num_classes: int = 81, as_objects=False):
    """One sample per keyframe: its ground-truth boxes, score 1 per label."""
    gt = read_ava_csv(gt_csv)
    samples = []
    for image, (video, time) in enumerate(gt.keys):
        rows = gt.image == image
        boxes, index = np.unique(gt.boxes[rows], axis=0, return_inverse=True)
        scores = np.zeros((len(boxes), num_classes), np.float32)
        scores[index.ravel(), gt.labels[rows]] = 1.0
        pred = dict(bboxes=torch.from_numpy(boxes).float(),
                    scores=torch.from_numpy(scores))
        if as_objects:
            sample = ActionDataSample(metainfo=dict(
                video_id=video, timestamp=time, img_shape=(240, 320)))
            sample.pred_instances = InstanceData(**pred)
        else:
            sample = dict(video_id=video, timestamp=time,
                          img_shape=(240, 320), pred_instances=pred)
        samples.append(sample)
    return samples


def build(case, **kwargs):
    return METRICS.build(dict(type='AVAMetric', ann_file=case['gt'],
                              exclude_file=case['exclusions'],
                              label_file=case['label_map'], **kwargs))


@pytest.mark.parametrize('as_objects', [False, True])
def test_perfect_predictions_and_kept_csv(make_ava_case, tmp_path, logged,
                                          as_objects):
    case = make_ava_case(3, unique_gt=True, grid=1000)
    metric = build(case, out_dir=str(tmp_path / 'work_dir'))
    metric.process(None, perfect_samples(case['gt'], as_objects=as_objects))
    metrics = metric.evaluate(size=len(metric.results))
    assert metrics['mAP'] == 1.0
    assert set(metrics) == {'mAP', 'person_movement', 'object_manipulation',
                            'person_interaction'}
    written = os.listdir(tmp_path / 'work_dir')
    assert len(written) == 1 and written[0].startswith('AVA_')
    path = str(tmp_path / 'work_dir' / written[0])
    assert any(path in message for message in logged)
    table = [m for m in logged if 'AVA frame-mAP' in m][0]
    assert 'mAP 1.0000' in table and '#GT' in table


def test_metric_equals_the_offline_tool(make_ava_case, tmp_path, logged):
    case = make_ava_case(4)
    csv = str(tmp_path / 'results.csv')
    metric = build(case, results_csv=csv, prefix='val', mode='mmaction2',
                   class_groups={'small': [1, 3, 4, 5], 'large': [60, 80]})
    samples = perfect_samples(case['gt'])
    rng = np.random.default_rng(0)
    for sample in samples:  # make it imperfect
        scores = sample['pred_instances']['scores']
        scores += torch.from_numpy(rng.random(scores.shape).astype(
            np.float32)) * 0.5
        sample['pred_instances']['bboxes'] += 0.03
    metric.process(None, samples)
    metrics = metric.evaluate(size=len(samples))
    expected = evaluate_ava_files(case['gt'], csv, case['label_map'],
                                  case['exclusions'], 'mmaction2',
                                  class_groups={'small': [1, 3, 4, 5],
                                                'large': [60, 80]})
    assert metrics['val/mAP'] == expected.mAP
    assert set(metrics) == {'val/mAP', 'val/small', 'val/large'}
    assert os.path.exists(csv)
    # boxes pushed past 1.0 were clipped, so the file reads back
    assert read_ava_csv(csv).boxes.max() <= 1.0


def test_custom_classes_and_thresholds(make_ava_case, tmp_path, logged):
    case = make_ava_case(5, unique_gt=True, grid=1000)
    custom = case['classes'][:3] + [2]  # 2 is not in the label map
    metric = build(case, results_csv=str(tmp_path / 'r.csv'),
                   custom_classes=custom, num_classes=len(custom) + 1,
                   action_thr=0.5)
    samples = perfect_samples(case['gt'])
    for sample in samples:
        scores = sample['pred_instances']['scores']
        sample['pred_instances']['scores'] = scores[:, [0] + custom]
    metric.process(None, samples)
    metrics = metric.evaluate(size=len(samples))
    written = read_ava_csv(str(tmp_path / 'r.csv'))
    assert set(np.unique(written.labels)) <= set(custom)
    assert metrics['mAP'] == 1.0
    table = [m for m in logged if 'AVA frame-mAP' in m][0]
    assert table.count('\n') == 2 + 3 + 4 + 1  # header, 3 classes, groups


def test_inverted_boxes_and_bad_arguments(make_ava_case, tmp_path, logged):
    case = make_ava_case(6)
    metric = build(case, results_csv=str(tmp_path / 'r.csv'))
    metric.process(None, [dict(
        video_id='v', timestamp=902, img_shape=(1, 1),
        pred_instances=dict(bboxes=torch.tensor([[0.5, 0.5, 0.2, 1.3]]),
                            scores=torch.full((1, 81), 0.9)))])
    metric.evaluate(size=1)
    assert any('written as empty boxes' in m for m in logged)
    box = read_ava_csv(str(tmp_path / 'r.csv')).boxes[0].tolist()
    assert box == [0.5, 0.5, 0.5, 1.0]
    with pytest.raises(ValueError, match='num_classes'):
        build(case, custom_classes=[1, 2], num_classes=81)
    with pytest.raises(ValueError, match='mode'):
        build(case, mode='strict')
    with pytest.raises(ValueError, match='options'):
        build(case, options=('recall', ))
    bad = build(case, num_classes=5)
    with pytest.raises(ValueError, match='num_classes=5'):
        bad.process(None, [dict(
            video_id='v', timestamp=902, img_shape=(1, 1),
            pred_instances=dict(bboxes=torch.zeros(1, 4),
                                scores=torch.zeros(1, 81)))])
