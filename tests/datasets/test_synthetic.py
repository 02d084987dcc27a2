"""Tests of the synthetic AVA-format dataset generator."""
import json
import os
import os.path as osp
import pickle
import re
from collections import defaultdict

import cv2
import numpy as np
import pytest

from mmaction_aia.datasets.synthetic import (
    CLASS_TABLE,
    STAMP_NAME,
    SYNTHETIC_CLASS_GROUPS,
    SyntheticAVAConfig,
    count_synthetic_labels,
    ensure_synthetic_ava,
    generate_synthetic_ava,
)
from mmaction_aia.datasets.synthetic import generate as gen_module
from mmaction_aia.datasets.synthetic.classes import (
    GESTURE,
    POSE_CLASS_IDS,
    STAND,
    TALK_ID,
    WAIT_ID,
    WALK,
)
from mmaction_aia.datasets.synthetic.cli import main as cli_main
from mmaction_aia.datasets.synthetic.detector import iou
from mmaction_aia.datasets.synthetic.figure import compute_geometry
from mmaction_aia.datasets.synthetic.generate import make_video
from mmaction_aia.datasets.synthetic.labels import (
    FOLLOW_ID,
    RETURN_ID,
    keyframe_labels,
)
from mmaction_aia.datasets.synthetic.script import (
    Actor,
    PersonLook,
    Slot,
    VideoScript,
    slot_bounds,
)

TINY = dict(seed=0, num_train_videos=2, num_val_videos=1, seconds=5,
            width=64, height=48)
ANNOTATION_FILES = ('train.csv', 'val.csv', 'proposals_train.pkl',
                    'proposals_val.pkl', 'objects_train.pkl',
                    'objects_val.pkl', 'excluded_timestamps_train.csv',
                    'excluded_timestamps_val.csv', 'action_list.pbtxt',
                    'evaluated_classes.txt')
ROW = re.compile(r'^syn_(train|val)_\d{3},\d{4},[01]\.\d{3},[01]\.\d{3},'
                 r'[01]\.\d{3},[01]\.\d{3},\d+,\d+$')


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    """A tiny dataset with one corrupted second per video."""
    root = str(tmp_path_factory.mktemp('syn') / 'a')
    cfg = SyntheticAVAConfig(exclusion_prob=1.0, **TINY)
    summary = generate_synthetic_ava(root, cfg)
    return root, cfg, summary


def read_rows(path):
    with open(path) as f:
        return [line.rstrip('\n').split(',') for line in f if line.strip()]


def read_bytes(root, names):
    out = {}
    for name in names:
        with open(osp.join(root, 'annotations', name), 'rb') as f:
            out[name] = f.read()
    return out


def test_layout_and_csv_format(tiny):
    root, cfg, summary = tiny
    for name in ANNOTATION_FILES:
        assert osp.isfile(osp.join(root, 'annotations', name)), name
    assert osp.isfile(osp.join(root, 'README.md'))
    assert summary['videos'] == {'train': ['syn_train_000', 'syn_train_001'],
                                 'val': ['syn_val_000']}
    label_ids = {c.id for c in CLASS_TABLE}
    for split in ('train', 'val'):
        lines = open(osp.join(root, 'annotations', f'{split}.csv')).read()
        rows = read_rows(osp.join(root, 'annotations', f'{split}.csv'))
        assert rows, split
        for line in lines.splitlines():
            assert ROW.match(line), line
        for vid, ts, *box, action, _pid in rows:
            x1, y1, x2, y2 = map(float, box)
            assert 0 <= x1 < x2 <= 1 and 0 <= y1 < y2 <= 1
            assert 902 <= int(ts) <= 900 + cfg.seconds - 2
            assert int(action) in label_ids
            assert vid.startswith(f'syn_{split}_')
        assert summary['counts'][split]['boxes'] == len(
            {(r[0], r[1], r[7]) for r in rows})


def test_label_map_and_evaluated_classes(tiny):
    root = tiny[0]
    text = open(osp.join(root, 'annotations', 'action_list.pbtxt')).read()
    items = re.findall(r'item \{\n  name: "([^"]+)"\n  id: (\d+)\n\}\n', text)
    assert len(items) * 4 == len(text.strip().splitlines())  # nothing else
    assert [(int(i), n) for n, i in items] == [(c.id, c.name)
                                               for c in CLASS_TABLE]
    assert [i for _, i in items][0] == '1'  # AVA: ids start at 1
    evaluated = open(osp.join(root, 'annotations',
                              'evaluated_classes.txt')).read().split()
    assert [int(i) for i in evaluated] == [c.id for c in CLASS_TABLE]
    assert sorted(sum(SYNTHETIC_CLASS_GROUPS.values(), [])) == list(
        range(1, 15))


def test_box_pickles(tiny):
    root, cfg, _ = tiny
    for name in ('proposals_train.pkl', 'objects_train.pkl',
                 'proposals_val.pkl', 'objects_val.pkl'):
        with open(osp.join(root, 'annotations', name), 'rb') as f:
            boxes = pickle.load(f)
        assert isinstance(boxes, dict) and boxes, name
        assert list(boxes) == sorted(boxes)
        for key, arr in boxes.items():
            vid, ts = key.split(',')
            assert re.fullmatch(r'\d{4}', ts) and vid.startswith('syn_')
            assert arr.dtype == np.float32 and arr.ndim == 2
            assert arr.shape[1] == 5 and arr.shape[0] >= 1
            assert np.all((arr >= 0) & (arr <= 1))
            assert np.all(arr[:, 2] > arr[:, 0])
            assert np.all(arr[:, 3] > arr[:, 1])
            assert np.all(np.diff(arr[:, 4]) <= 0)  # sorted by score


def test_exclusions_have_no_ground_truth(tiny):
    root = tiny[0]
    for split in ('train', 'val'):
        excluded = read_rows(osp.join(
            root, 'annotations', f'excluded_timestamps_{split}.csv'))
        assert len(excluded) == len(tiny[2]['videos'][split])
        assert all(len(r) == 2 and len(r[1]) == 4 for r in excluded)
        rows = read_rows(osp.join(root, 'annotations', f'{split}.csv'))
        keys = {(r[0], r[1]) for r in rows}
        assert not keys & {tuple(r) for r in excluded}


def test_one_pose_per_person_and_one_box(tiny):
    root = tiny[0]
    poses = set(SYNTHETIC_CLASS_GROUPS['pose'])
    groups = defaultdict(list)
    for r in read_rows(osp.join(root, 'annotations', 'train.csv')):
        groups[(r[0], r[1], r[7])].append(r)
    assert groups
    for person_rows in groups.values():
        assert sum(int(r[6]) in poses for r in person_rows) == 1
        assert len({tuple(r[2:6]) for r in person_rows}) == 1
        assert len({r[6] for r in person_rows}) == len(person_rows)


def test_video_and_rawframes(tiny):
    import decord
    root, cfg, _ = tiny
    n = cfg.seconds * cfg.fps
    for vid in ('syn_train_000', 'syn_val_000'):
        reader = decord.VideoReader(osp.join(root, 'videos', f'{vid}.mp4'))
        assert len(reader) == n
        assert reader.get_avg_fps() == pytest.approx(cfg.fps)
        frame_dir = osp.join(root, 'rawframes', vid)
        names = sorted(os.listdir(frame_dir))
        assert names[0] == 'img_00001.jpg' and len(names) == n
        assert names[-1] == f'img_{n:05d}.jpg'
        # decoded frame k (0-based) is img_{k+1}: closer than its neighbours
        for k in (5, 30):  # before any corrupted second
            video = reader[k].asnumpy()[..., ::-1].astype(np.float32)
            err = [np.abs(video - cv2.imread(osp.join(
                frame_dir, f'img_{j:05d}.jpg')).astype(np.float32)).mean()
                for j in (k, k + 1, k + 2)]
            assert err[1] < min(err[0], err[2]) and err[1] < 8


def test_same_seed_same_bytes_other_seed_differs(tiny, tmp_path):
    root, cfg, _ = tiny
    again = str(tmp_path / 'b')
    generate_synthetic_ava(again, cfg)
    assert read_bytes(root, ANNOTATION_FILES) == read_bytes(
        again, ANNOTATION_FILES)
    for k in (1, 40, 150):
        name = osp.join('rawframes', 'syn_val_000', f'img_{k:05d}.jpg')
        assert open(osp.join(root, name), 'rb').read() == open(
            osp.join(again, name), 'rb').read()
    other = str(tmp_path / 'c')
    generate_synthetic_ava(other, SyntheticAVAConfig(
        **{**TINY, 'seed': 1}, write_videos=False))
    assert not osp.exists(osp.join(other, 'videos'))
    changed = [name for name, data in read_bytes(
        other, ANNOTATION_FILES[:6]).items()
        if data != read_bytes(root, [name])[name]]
    assert len(changed) == 6


def test_ensure_reuses_matching_and_regenerates_otherwise(tmp_path,
                                                          monkeypatch):
    root = str(tmp_path / 'd')
    params = dict(TINY, num_train_videos=1, write_videos=False)
    calls = []
    real = gen_module.generate_synthetic_ava

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(gen_module, 'generate_synthetic_ava', counting)
    assert ensure_synthetic_ava(root, **params) == root
    assert len(calls) == 1
    stamp = json.load(open(osp.join(root, STAMP_NAME)))
    assert stamp['params']['num_train_videos'] == 1
    ensure_synthetic_ava(root, **params)
    assert len(calls) == 1  # same parameters: reused
    ensure_synthetic_ava(root, **dict(params, seconds=6))
    assert len(calls) == 2  # other parameters: regenerated
    assert json.load(open(osp.join(root, STAMP_NAME)))['params'][
        'seconds'] == 6
    assert len(os.listdir(osp.join(root, 'rawframes', 'syn_val_000'))) == 180
    os.remove(osp.join(root, 'rawframes', 'syn_train_000', 'img_00007.jpg'))
    ensure_synthetic_ava(root, **dict(params, seconds=6))
    assert len(calls) == 3  # incomplete: regenerated
    os.remove(osp.join(root, STAMP_NAME))  # as if interrupted
    ensure_synthetic_ava(root, **dict(params, seconds=6))
    assert len(calls) == 4


def test_stale_videos_are_removed(tmp_path):
    root = str(tmp_path / 'e')
    generate_synthetic_ava(root, SyntheticAVAConfig(**TINY))
    generate_synthetic_ava(root, SyntheticAVAConfig(
        **dict(TINY, num_train_videos=1)))
    assert sorted(os.listdir(osp.join(root, 'videos'))) == [
        'syn_train_000.mp4', 'syn_val_000.mp4']
    assert sorted(os.listdir(osp.join(root, 'rawframes'))) == [
        'syn_train_000', 'syn_val_000']


def test_group_subset_and_cli(tmp_path, capsys):
    root = str(tmp_path / 'f')
    args = ['--out', root, '--seconds', '5', '--width', '64', '--height',
            '48', '--num-train-videos', '1', '--num-val-videos', '1',
            '--groups', 'memory', 'pose', '--no-write-videos']
    cli_main(args)
    assert 'keyframes' in capsys.readouterr().out
    text = open(osp.join(root, 'annotations', 'action_list.pbtxt')).read()
    ids = [int(i) for i in re.findall(r'id: (\d+)', text)]
    assert ids == SYNTHETIC_CLASS_GROUPS['pose'] + SYNTHETIC_CLASS_GROUPS[
        'memory']
    actions = {int(r[6]) for r in read_rows(
        osp.join(root, 'annotations', 'train.csv'))}
    assert actions <= set(ids) and actions & set(POSE_CLASS_IDS)
    readme = open(osp.join(root, 'README.md')).read()
    assert '--groups pose memory' in readme and '--no-write-videos' in readme
    stamp = osp.join(root, STAMP_NAME)
    mtime = os.stat(stamp).st_mtime_ns
    cli_main(args + ['--if-missing', '--quiet'])
    assert os.stat(stamp).st_mtime_ns == mtime


def test_config_validation():
    with pytest.raises(ValueError):
        SyntheticAVAConfig(groups=('pose', 'dance'))
    with pytest.raises(ValueError):
        SyntheticAVAConfig(seconds=4)
    assert SyntheticAVAConfig(groups=('memory', 'pose')).groups == (
        'pose', 'memory')


def test_every_class_in_default_train_split():
    counts = count_synthetic_labels(SyntheticAVAConfig(), 'train')
    assert counts['videos'] == 24 and counts['keyframes'] > 500
    for c in CLASS_TABLE:
        assert counts['class_counts'][c.id] >= 40, c.name


def test_proposals_find_most_people():
    cfg = SyntheticAVAConfig(num_train_videos=4)
    best, high = [], []
    for k in range(4):
        res = make_video(cfg, 'train', k)
        gt = {(r[1], r[4]): r[2] for r in res.rows}
        for (ts, _pid), box in gt.items():
            det = res.proposals.get(f'{res.video_id},{ts:04d}')
            scale = np.array([cfg.width, cfg.height] * 2)
            ious = [iou(d[:4] * scale, box) for d in det] if det is not None \
                else [0.0]
            j = int(np.argmax(ious))
            best.append(ious[j])
            high.append(det is not None and det[j, 4] >= 0.9)
    best = np.array(best)
    assert len(best) > 100
    assert np.mean(best >= 0.5) > 0.9
    assert np.mean(best >= 0.8) > 0.8
    assert np.mean(best >= 0.9) > 0.6
    assert np.mean(high) > 0.7


def _two_person_script(slots_a, slots_b, xa, xb, seconds=6, fps=10):
    """Two people of one lane acting out the given slots (one per slot)."""
    n = seconds * fps
    bounds = slot_bounds(seconds + 1, fps, n)
    look = PersonLook(90.0, 40.0, (0, 0, 255), (0, 0, 0), (128, 160, 200),
                      (0, 0, 0), 0.0)
    actors = [Actor(0, look, n, xa, 1), Actor(1, look, n, xb, -1)]
    for actor, slots in zip(actors, (slots_a, slots_b)):
        actor.run(slots, bounds, fps, (12.0, 148.0))
    return VideoScript('syn_test_000', 160, 120, fps, seconds, actors)


def _labels_at(script, person, second):
    rows = keyframe_labels(script, compute_geometry(script),
                           ('pose', 'object', 'person', 'memory'))
    return [r.labels for r in rows if r.person == person
            and r.second == second]


def test_talk_needs_a_partner_facing_back():
    talk = Slot(STAND, GESTURE, facing=1, partner=1)
    script = _two_person_script([talk] * 7, [Slot(STAND, facing=-1)] * 7,
                                60.0, 100.0)
    assert TALK_ID in _labels_at(script, 0, 3)[0]
    assert TALK_ID not in _labels_at(script, 1, 3)[0]  # listener
    away = _two_person_script([talk] * 7, [Slot(STAND, facing=1)] * 7,
                              60.0, 100.0)
    assert TALK_ID not in _labels_at(away, 0, 3)[0]
    far = _two_person_script([talk] * 7, [Slot(STAND, facing=-1)] * 7,
                             20.0, 140.0)
    assert TALK_ID not in _labels_at(far, 0, 3)[0]
    # standing for the 3.5 s before second 4 makes "wait"
    assert WAIT_ID in _labels_at(script, 0, 4)[0]
    assert WAIT_ID not in _labels_at(script, 0, 3)[0]


def test_follow_and_return_rules():
    walk = Slot(WALK, speed=20.0, direction=1, facing=1)
    script = _two_person_script([walk] * 7, [walk] * 7, 30.0, 80.0)
    assert FOLLOW_ID in _labels_at(script, 0, 2)[0]  # behind: follows
    assert FOLLOW_ID not in _labels_at(script, 1, 2)[0]  # in front
    # person 1 leaves to the right, is away >1 s and walks back in
    back = Slot(WALK, speed=20.0, direction=-1, facing=-1)
    out = _two_person_script(
        [Slot(STAND)] * 7,
        [walk, walk, Slot(STAND), Slot(STAND),
         Slot(WALK, speed=20.0, direction=-1, facing=-1, place=165.0),
         back, back], 20.0, 140.0)
    labels = {sec: _labels_at(out, 1, sec) for sec in range(2, 5)}
    assert labels[2] == [] and labels[3] == []  # outside the frame
    assert RETURN_ID in labels[4][0]
