"""Issue 4's proof of robustness, end to end on a tiny corrupted copy of a
synthetic dataset (tools/data/synthetic/corrupt_synthetic_ava.py):
training from videos and from frames finishes and its log lists each
skipped sample with the reason; testing with on_error='raise' stops at the
first problem naming it; a crash keeps what was already written."""
import csv
import hashlib
import json
import os.path as osp
import shutil

import pytest

from mmaction_aia.datasets.transforms import SampleLoadError
from tests.scripts import load_script

from .conftest import TINY_DATA, write_tiny_config
from .test_train_test_tools import test_tool, train_tool

corrupt_tool = load_script('tools/data/synthetic/corrupt_synthetic_ava.py',
                           'corrupt_tool')

DATA = dict(TINY_DATA, num_train_videos=4, num_val_videos=2)

VIDEO_PIPELINES = '''
train_pipeline = [
    dict(type='DecordInit'),
    dict(type='SampleAVAFrames', **clip),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 48)),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')]
val_pipeline = [
    dict(type='DecordInit'),
    dict(type='SampleAVAFrames', test_mode=True, **clip),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 48)),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')]
'''


def corrupted_config(tmp_path, data_root, use_frames: bool) -> str:
    """The tiny config on the corrupted copy: 1 epoch, validation that
    skips too, never regenerating the data."""
    prefix = (f"dict(img={str(data_root)!r} + '/rawframes')" if use_frames
              else f"dict(video={str(data_root)!r} + '/videos')")
    extra = ('' if use_frames else VIDEO_PIPELINES) + f'''
synthetic_data = None
for loader, pipeline in ((train_dataloader, train_pipeline),
                         (val_dataloader, val_pipeline)):
    loader['dataset'].update(use_frames={use_frames}, pipeline=pipeline,
                             data_prefix={prefix})
val_dataloader['dataset']['on_error'] = 'skip'
test_dataloader = dict(val_dataloader, dataset=dict(
    val_dataloader['dataset'], on_error='raise'))
train_cfg['max_epochs'] = 1
'''
    return write_tiny_config(tmp_path, data_root, extra)


@pytest.fixture(scope='module')
def corrupted(tmp_path_factory):
    from mmaction_aia.datasets.synthetic import ensure_synthetic_ava
    root = tmp_path_factory.mktemp('corrupt')
    ensure_synthetic_ava(str(root / 'clean'), **DATA)
    manifest = corrupt_tool.main([
        str(root / 'clean'), str(root / 'data'), '--seed', '0',
        '--video-ratio', '0.3', '--frame-ratio', '0.3',
        '--video-kinds', 'truncate', 'garbage', 'short'])
    return root / 'data', manifest


def test_corruption_is_reproducible_and_listed(corrupted, tmp_path):
    data_root, manifest = corrupted
    again = corrupt_tool.main([
        str(data_root.parent / 'clean'), str(tmp_path / 'again'), '--seed',
        '0', '--video-ratio', '0.3', '--frame-ratio', '0.3',
        '--video-kinds', 'truncate', 'garbage', 'short'])
    strip = json.loads(json.dumps(manifest).replace(
        str(data_root), 'ROOT').replace(str(tmp_path / 'again'), 'ROOT'))
    assert strip == json.loads(json.dumps(again).replace(
        str(tmp_path / 'again'), 'ROOT'))
    for rel in ('annotations/train.csv', 'videos/syn_train_000.mp4'):
        assert hashlib.md5((data_root / rel).read_bytes()).digest() == \
            hashlib.md5((tmp_path / 'again' / rel).read_bytes()).digest()
    # one broken video and one broken frame folder per split
    assert sorted(v['split'] for v in manifest['videos']) == ['train', 'val']
    assert sorted(f['split'] for f in manifest['frames']) == ['train', 'val']
    assert [r['kind'] for r in manifest['rows']] == [
        'columns', 'non_numeric', 'outside', 'inverted', 'unknown_label']
    assert json.loads((data_root / 'corruption_manifest.json').read_text()
                      ) == manifest


def skipped_rows(work_dir):
    with open(work_dir / 'skipped_samples.csv') as f:
        return list(csv.DictReader(f))


def log_text(work_dir) -> str:
    logs = sorted(work_dir.glob('*/*.log'))
    assert logs, f'no log in {work_dir}'
    return logs[-1].read_text()


@pytest.fixture(scope='module')
def train_runs(corrupted, tmp_path_factory):
    """Train once per data source (cached): (config, work_dir, manifest)."""
    data_root, manifest = corrupted
    runs = {}

    def run(use_frames: bool):
        if use_frames not in runs:
            tmp = tmp_path_factory.mktemp('frames' if use_frames
                                          else 'videos')
            config = corrupted_config(tmp, data_root, use_frames)
            work_dir = tmp / 'work'
            train_tool.main([config, '--work-dir', str(work_dir),
                             '--validate', '--seed', '0'])
            runs[use_frames] = config, work_dir, manifest
        return runs[use_frames]
    return run


@pytest.fixture(params=[False, True], ids=['videos', 'frames'])
def trained_on_corrupt(request, train_runs):
    return (*train_runs(request.param), request.param)


def broken_files(manifest, use_frames, split):
    if use_frames:
        return {path for item in manifest['frames'] if item['split'] == split
                for path in item['files']}
    return {item['file'] for item in manifest['videos']
            if item['split'] == split}


def test_training_finishes_and_lists_each_skipped_sample(trained_on_corrupt):
    config, work_dir, manifest, use_frames = trained_on_corrupt
    assert (work_dir / 'epoch_1.pth').is_file()
    rows = skipped_rows(work_dir)
    log = log_text(work_dir)
    for split in ('train', 'val'):
        samples = [r for r in rows
                   if r['phase'] == split and r['kind'] == 'sample']
        assert samples, f'nothing skipped in {split}'
        # every skip names a broken file and why, and is in the log
        assert {r['file'] for r in samples} <= broken_files(
            manifest, use_frames, split)
        for r in samples:
            assert r['reason']
            line = (f"{r['video_id']},{int(r['timestamp']):04d}  x")
            assert line in log and r['reason'] in log
        assert f'SkipReport: {split} epoch 1: ' in log
    if use_frames:
        # the broken keyframe of each split is among the skipped ones
        for item in manifest['frames']:
            keys = {(r['video_id'], int(r['timestamp'])) for r in rows
                    if r['phase'] == item['split'] and r['kind'] == 'sample'}
            assert (item['video_id'], item['keyframe']) in keys
    else:
        # all keyframes of a truncated / garbage video fail, none of others
        for item in manifest['videos']:
            keys = {int(r['timestamp']) for r in rows
                    if r['video_id'] == item['video_id']}
            if item['kind'] in ('truncate', 'garbage'):
                assert len(keys) >= 2, item
    # broken CSV rows and the unknown label id are reported with the line
    where = {(r['kind'], r['where']) for r in rows if r['phase'] == 'train'}
    for item in manifest['rows']:
        kind = 'unknown_label' if item['kind'] == 'unknown_label' \
            else 'bad_row'
        if kind == 'bad_row':
            assert (kind, str(item['line'])) in where
        else:
            assert kind in {k for k, _ in where}
    assert 'SkipReport: train annotations: ' in log


def test_test_mode_raise_stops_at_first_problem_naming_it(
        trained_on_corrupt, tmp_path):
    config, work_dir, manifest, use_frames = trained_on_corrupt
    ckpt = str(work_dir / 'epoch_1.pth')
    with pytest.raises(SampleLoadError) as info:
        test_tool.main([config, ckpt, '--work-dir', str(tmp_path / 'w')])
    assert info.value.path in broken_files(manifest, use_frames, 'val')
    assert "on_error='raise'" in str(info.value)
    assert info.value.path in str(info.value)


def test_crash_mid_epoch_keeps_checkpoints_logs_and_report(train_runs,
                                                           tmp_path):
    config, trained_dir, manifest = train_runs(False)
    work_dir = tmp_path / 'work'
    shutil.copytree(trained_dir, work_dir)
    kept = {path: path.read_bytes() for path in
            [work_dir / 'epoch_1.pth', work_dir / 'skipped_samples.csv',
             *work_dir.glob('*/*.log')]}
    # epoch 2 with on_error='raise' (and the intact CSV, so that the
    # dataset builds) stops mid-epoch at the first broken video
    clean_csv = osp.join(manifest['source'], 'annotations', 'train.csv')
    with pytest.raises(SampleLoadError):
        train_tool.main([config, '--work-dir', str(work_dir), '--resume',
                         str(work_dir / 'epoch_1.pth'), '--no-validate',
                         '--cfg-options', 'train_cfg.max_epochs=2',
                         'train_dataloader.dataset.on_error=raise',
                         f'train_dataloader.dataset.ann_file={clean_csv}'])
    for path, content in kept.items():
        assert path.read_bytes() == content, path
    assert not (work_dir / 'epoch_2.pth').exists()
    # the crashed run wrote its own log next to the earlier one
    assert len(list(work_dir.glob('*/*.log'))) == 2
