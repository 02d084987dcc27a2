"""Bad input: every case raises (on_error='raise') or is skipped and
recorded (on_error='skip') with the file, line or key, and what was
expected."""
import pickle

import cv2
import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.structures import InstanceData

from mmaction_aia.datasets import AnnotationError, AVADataset, load_box_pkl
from mmaction_aia.datasets.transforms import (
    DecordDecode,
    DecordInit,
    RawFrameDecode,
    SampleLoadError,
)
from mmaction_aia.engine.hooks import skip_records_of_batch
from mmaction_aia.evaluation.metrics import AVAMetric
from mmaction_aia.structures import ActionDataSample


class FailOn:
    """A pipeline that packs the sample, or fails for some videos."""

    def __init__(self, bad_videos):
        self.bad_videos = set(bad_videos)

    def __call__(self, results):
        if results['video_id'] in self.bad_videos:
            raise SampleLoadError(f'/videos/{results["video_id"]}.mp4',
                                  'decord cannot open the video')
        sample = ActionDataSample()
        sample.set_metainfo(dict(img_key=results['img_key'],
                                 video_id=results['video_id'],
                                 timestamp=results['timestamp']))
        return dict(inputs=torch.zeros(1), data_samples=sample)


def build(ava_files, **kwargs):
    args = dict(ann_file=ava_files['ann_file'],
                exclude_file=ava_files['exclude_file'],
                label_file=ava_files['label_file'],
                proposal_file=ava_files['proposal_file'],
                pipeline=[FailOn(['vid_b'])], num_classes=5)
    args.update(kwargs)
    return AVADataset(**args)


# ------------------------------------------------------------ sample loading
def test_skip_replaces_sample_and_carries_the_record(ava_files):
    dataset = build(ava_files)  # training: on_error='skip'
    assert dataset.get_data_info(1)['img_key'] == 'vid_b,0904'
    data = dataset[1]
    meta = data['data_samples'].metainfo
    assert meta['img_key'] == 'vid_a,0902'  # the only loadable sample
    assert meta['skipped_samples'] == [dict(
        video_id='vid_b', timestamp=904, file='/videos/vid_b.mp4',
        reason='decord cannot open the video')]
    assert 'is_substitute' not in meta
    assert 'skipped_samples' not in dataset[0]['data_samples'].metainfo


def test_raise_names_the_sample_and_the_file(ava_files):
    dataset = build(ava_files, on_error='raise')
    with pytest.raises(SampleLoadError,
                       match=r'sample vid_b,0904: decord cannot open .*'
                       r'/videos/vid_b.mp4') as info:
        dataset[1]
    assert info.value.path == '/videos/vid_b.mp4'
    # test mode raises by default
    with pytest.raises(SampleLoadError, match='vid_b.mp4'):
        build(ava_files, test_mode=True)[1]


def test_test_mode_skip_uses_next_sample_marked_as_substitute(ava_files):
    dataset = build(ava_files, test_mode=True, on_error='skip')
    meta = dataset[1]['data_samples'].metainfo
    assert meta['img_key'] == 'vid_a,0902'  # (1 + 1) % 2
    assert meta['is_substitute'] is True
    assert meta['skipped_samples'][0]['video_id'] == 'vid_b'


def test_every_sample_failing_stops_with_a_clear_error(ava_files):
    dataset = build(ava_files, pipeline=[FailOn(['vid_a', 'vid_b'])],
                    test_mode=True, on_error='skip')
    with pytest.raises(RuntimeError,
                       match='2 samples could not be loaded in a row'):
        dataset[0]


class CountingFailOn(FailOn):
    def __init__(self, bad_videos):
        super().__init__(bad_videos)
        self.calls = 0

    def __call__(self, results):
        self.calls += 1
        return super().__call__(results)


@pytest.mark.parametrize('test_mode', [True, False])
def test_each_bad_sample_recorded_once_per_pass(ava_files, test_mode):
    path = ava_files['root'] / 'run.csv'
    path.write_text(''.join(
        f'{vid},{ts},0.1,0.2,0.3,0.6,1,0\n' for vid, ts in [
            ('vid_a', 902), ('vid_b', 902), ('vid_b', 903), ('vid_b', 904),
            ('vid_a', 903)]))
    pipeline = CountingFailOn(['vid_b'])
    dataset = build(ava_files, ann_file=str(path), exclude_file=None,
                    proposal_file=None, pipeline=[pipeline],
                    test_mode=test_mode, on_error='skip')
    records = []
    for _ in range(2):  # two passes (epochs) over the same dataset object
        for idx in range(len(dataset)):
            meta = dataset[idx]['data_samples'].metainfo
            records += meta.get('skipped_samples', [])
            assert meta['video_id'] == 'vid_a'
    assert sorted((r['video_id'], r['timestamp']) for r in records) == [
        ('vid_b', 902), ('vid_b', 902), ('vid_b', 903), ('vid_b', 903),
        ('vid_b', 904), ('vid_b', 904)]
    # a broken sample is not loaded again while it is a known failure: per
    # pass at most one call per sample, one replacement per broken own turn
    # and one failed try per broken sample drawn as a replacement (not
    # quadratic in the number of broken samples)
    num_broken = 3
    assert pipeline.calls <= 2 * (len(dataset) + 2 * num_broken)


def test_records_cross_dataloader_worker_processes(ava_files):
    dataset = build(ava_files)
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=1, num_workers=2, collate_fn=pseudo_collate)
    records = [r for batch in loader for r in skip_records_of_batch(batch)]
    assert [(r['video_id'], r['timestamp']) for r in records] == [
        ('vid_b', 904)]


def test_ava_metric_ignores_substitutes(ava_files):
    metric = AVAMetric(ann_file=ava_files['ann_file'],
                       exclude_file=ava_files['exclude_file'],
                       label_file=ava_files['label_file'], num_classes=5)
    sample = ActionDataSample()
    sample.set_metainfo(dict(video_id='vid_a', timestamp=902,
                             is_substitute=True))
    sample.pred_instances = InstanceData(bboxes=torch.zeros(1, 4),
                                         scores=torch.ones(1, 5))
    metric.process({}, [sample])
    assert metric.results == []
    sample.set_metainfo(dict(is_substitute=False))
    metric.process({}, [sample])
    assert len(metric.results) == 1


# --------------------------------------------------------- videos and frames
@pytest.fixture(scope='module')
def small_video(tmp_path_factory):
    root = tmp_path_factory.mktemp('video')
    path = str(root / 'v.mp4')
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 10,
                             (32, 24))
    for i in range(20):
        writer.write(np.full((24, 32, 3), 10 * i, np.uint8))
    writer.release()
    return path


def test_truncated_video_names_the_file(small_video, tmp_path):
    data = open(small_video, 'rb').read()
    cut = tmp_path / 'cut.mp4'
    cut.write_bytes(data[:len(data) // 2])
    with pytest.raises(SampleLoadError,
                       match=r'decord cannot open .*truncated.*cut.mp4'):
        DecordInit()(dict(filename=str(cut)))


def test_frame_past_the_end_of_a_short_video(small_video):
    results = DecordInit()(dict(filename=small_video))
    results.update(frame_inds=np.array([18, 25]), start_index=0)
    with pytest.raises(SampleLoadError,
                       match=r'\[25\].*outside the video of 20 frames'):
        DecordDecode()(results)


@pytest.mark.parametrize('damage, problem', [
    (lambda data: data[:len(data) // 2], 'truncated JPEG'),
    (lambda data: bytes(len(data)), 'not a readable image'),
    (None, 'cannot load frame 1 .*file not found'),
])
def test_unreadable_or_missing_frame_names_the_file(tmp_path, damage,
                                                    problem):
    noise = np.random.default_rng(0).integers(0, 255, (24, 32, 3), np.uint8)
    ok, jpeg = cv2.imencode('.jpg', noise)
    path = tmp_path / 'img_00001.jpg'
    if damage is not None:
        path.write_bytes(damage(jpeg.tobytes()))
    results = dict(frame_dir=str(tmp_path), filename_tmpl='img_{:05}.jpg',
                   frame_inds=np.array([1]), modality='RGB')
    with pytest.raises(SampleLoadError, match=problem) as info:
        RawFrameDecode()(results)
    assert info.value.path == str(path)


def test_complete_jpeg_is_accepted(tmp_path):
    ok, jpeg = cv2.imencode('.jpg', np.full((24, 32, 3), 99, np.uint8))
    (tmp_path / 'img_00001.jpg').write_bytes(jpeg.tobytes())
    results = RawFrameDecode()(dict(
        frame_dir=str(tmp_path), filename_tmpl='img_{:05}.jpg',
        frame_inds=np.array([1]), modality='RGB'))
    assert results['imgs'][0].shape == (24, 32, 3)


# ----------------------------------------------------------------- annotations
def test_bad_rows_skipped_and_listed_with_line(ava_files):
    path = ava_files['root'] / 'bad.csv'
    path.write_text('vid_a,0902,0.1,0.2,0.3,0.6,1,0\n'
                    'vid_a,0902,0.1,0.2\n'
                    'vid_a,0902,0.3,0.2,0.1,0.6,1,0\n'
                    'vid_b,0904,0.2,0.2,0.4,0.8,2,5\n')
    dataset = build(ava_files, ann_file=str(path))
    bad = [i for i in dataset.annotation_issues if i['kind'] == 'bad_row']
    assert [(i['file'], i['where']) for i in bad] == [(str(path), '2'),
                                                      (str(path), '3')]
    assert 'expected 7 or 8' in bad[0]['reason']
    assert 'x2 < x1' in bad[1]['reason']


def test_unknown_label_ids_counted_with_first_line(ava_files):
    dataset = build(ava_files)
    issue, = [i for i in dataset.annotation_issues
              if i['kind'] == 'unknown_label']
    assert issue['where'] == '5'
    assert 'skipped 1 rows' in issue['reason'] and '[3]' in issue['reason']


def test_keyframes_without_proposals_logged_once_with_count(ava_files,
                                                            tmp_path):
    partial = tmp_path / 'partial.pkl'
    partial.write_bytes(pickle.dumps(
        {'vid_a,0902': np.array([[0.1, 0.2, 0.3, 0.6, 0.99]], np.float32)}))
    dataset = build(ava_files, proposal_file=str(partial))
    issue, = [i for i in dataset.annotation_issues
              if i['kind'] == 'no_proposals']
    assert issue['where'] == 'vid_b,0904'
    assert '1 of 2 keyframes have no proposals' in issue['reason']
    # and the keyframe falls back to the whole frame, as in mmaction2
    np.testing.assert_allclose(dataset.get_data_info(1)['proposals'],
                               [[0, 0, 1, 1]])


@pytest.mark.parametrize('key, value, problem', [
    ('vid_a,0902', np.zeros((2, 3)), r'shape \[k, 4\] or \[k, 5\]'),
    ('vid_a,0902', 'boxes', r'got str'),
    ('vid_a,0902', np.full((1, 4), np.nan), 'NaN'),
    ('vid_a,0902', np.array([[10., 20., 110., 90.]]), 'normalised'),
    (('vid_a', 902), np.zeros((1, 4)), 'expected keys'),
])
def test_bad_pkl_entry_names_the_key(tmp_path, key, value, problem):
    path = tmp_path / 'bad.pkl'
    good = np.array([[0.1, 0.2, 0.3, 0.6, 0.9]], np.float32)
    path.write_bytes(pickle.dumps({'vid_b,0904': good, key: value}))
    with pytest.raises(AnnotationError,
                       match=f"bad.pkl: key {key!r}: .*{problem}".replace(
                           '(', r'\(').replace(')', r'\)')):
        load_box_pkl(str(path))
    skipped, messages = [], []
    boxes = load_box_pkl(str(path), 'skip', messages.append, skipped)
    assert list(boxes) == ['vid_b,0904']
    assert skipped[0].where == str(key) and skipped[0].path == str(path)
    assert messages == [str(skipped[0])]


def test_bad_pkl_entry_in_dataset_raise_or_skip(ava_files, tmp_path):
    path = tmp_path / 'bad.pkl'
    path.write_bytes(pickle.dumps({'vid_a,0902': np.zeros((2, 3))}))
    with pytest.raises(AnnotationError, match="'vid_a,0902'"):
        build(ava_files, proposal_file=str(path), on_error='raise')
    dataset = build(ava_files, proposal_file=str(path))
    kinds = [i['kind'] for i in dataset.annotation_issues]
    assert 'bad_box_entry' in kinds and 'no_proposals' in kinds


def test_pkl_that_is_not_a_dict_always_raises(tmp_path):
    path = tmp_path / 'list.pkl'
    path.write_bytes(pickle.dumps([1, 2]))
    with pytest.raises(AnnotationError, match='list.pkl: expected a dict'):
        load_box_pkl(str(path), on_error='skip')
    path.write_bytes(b'not a pickle')
    with pytest.raises(AnnotationError, match='cannot unpickle'):
        load_box_pkl(str(path), on_error='skip')
