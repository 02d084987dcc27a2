"""tools/data/ava/prepare_ava.py: arguments, dry runs, output naming and
resume-skip, without network (downloads use file:// URLs) and without
ffmpeg (a stand-in script writes what ffmpeg would)."""
import os
import shlex
import sys
import zipfile

import pytest

from tests.scripts import load_script

prep = load_script('tools/data/ava/prepare_ava.py', register=True)

FAKE_FFMPEG = '''#!{python}
"""Writes what ffmpeg would: the file, or three frames of a pattern."""
import os, sys
out = sys.argv[-1]
if os.environ.get('FAKE_FFMPEG_FAIL'):
    sys.stderr.write('Invalid data found when processing input\\n')
    sys.exit(1)
if '%05d' in out:
    for k in (1, 2, 3):
        open(out % k, 'wb').write(b'jpeg')
else:
    open(out, 'wb').write(b'mp4')
'''


def run(args, capsys):
    failed = prep.main(args)
    out = capsys.readouterr()
    return failed, out.out, out.err


def touch(path, data=b'x'):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)


@pytest.fixture
def fake_ffmpeg(tmp_path):
    path = tmp_path / 'bin' / 'ffmpeg'
    path.parent.mkdir()
    path.write_text(FAKE_FFMPEG.format(python=sys.executable))
    path.chmod(0o755)
    return str(path)


@pytest.mark.parametrize('version', ['2.1', '2.2'])
def test_dry_run_prints_urls_and_changes_nothing(tmp_path, capsys, version):
    root = str(tmp_path / 'ava')
    failed, out, _ = run(['--dry-run', '--data-root', root, 'annotations',
                          '--version', version], capsys)
    assert failed == 0
    assert (f'https://s3.amazonaws.com/ava-dataset/annotations/'
            f'ava_v{version}.zip -> {root}/annotations/ava_v{version}.zip'
            ) in out
    # options are accepted after the step name too
    _, out, _ = run(['proposals', '--dry-run', '--data-root', root], capsys)
    for split in ('train', 'val'):
        name = f'ava_dense_proposals_{split}.FAIR.recall_93.9.pkl'
        assert (f'https://download.openmmlab.com/mmaction/dataset/ava/{name}'
                f' -> {root}/annotations/{name}') in out
    assert 'proposals_test' not in out
    assert not os.path.exists(root)


@pytest.mark.parametrize('argv', [
    ['annotations', '--version', '3.0'],
    ['--jobs', '0', 'videos'],
    ['proposals', '--splits', 'training'],
    [],
])
def test_bad_arguments_exit_with_usage(argv, capsys):
    with pytest.raises(SystemExit) as info:
        prep.main(argv)
    assert info.value.code == 2
    assert 'usage:' in capsys.readouterr().err


def test_videos_from_the_list_skip_existing(tmp_path, capsys):
    root = str(tmp_path / 'ava')
    names = tmp_path / 'names.txt'
    names.write_text('abc.mkv\ndef.webm\n\nghi.mp4\n-5KQ66BBWC4.mkv\n')
    touch(f'{root}/videos/abc.mkv')
    _, out, _ = run(['--dry-run', '--data-root', root, 'videos',
                     '--file-list', str(names)], capsys)
    assert f'skip {root}/videos/abc.mkv (exists)' in out
    for name in ('def.webm', 'ghi.mp4'):
        assert (f'https://s3.amazonaws.com/ava-dataset/trainval/{name} -> '
                f'{root}/videos/{name}') in out
    _, out, _ = run(['--dry-run', '--data-root', root, 'videos',
                     '--file-list', str(names), '--split', 'test', '--only',
                     'ghi'], capsys)
    assert out.strip() == (f'download https://s3.amazonaws.com/ava-dataset/'
                           f'test/ghi.mp4 -> {root}/videos/ghi.mp4')
    # AVA ids may start with '-'; several ids, comma-separated or repeated
    _, out, _ = run(['--dry-run', '--data-root', root, 'videos',
                     '--file-list', str(names), '--only=-5KQ66BBWC4,abc',
                     '--only', 'ghi'], capsys)
    assert out.splitlines() == [
        f'skip {root}/videos/abc.mkv (exists)',
        f'download https://s3.amazonaws.com/ava-dataset/trainval/ghi.mp4 -> '
        f'{root}/videos/ghi.mp4',
        'download https://s3.amazonaws.com/ava-dataset/trainval/'
        f'-5KQ66BBWC4.mkv -> {root}/videos/-5KQ66BBWC4.mkv']
    # without a local list, the dry run names the official list
    _, out, _ = run(['--dry-run', '--data-root', root, 'videos'], capsys)
    assert ('annotations/ava_file_names_trainval_v2.1.txt -> '
            f'{root}/annotations/ava_file_names_trainval_v2.1.txt') in out


def commands(out):
    """The ffmpeg command lines printed by a dry run, split into args."""
    return [shlex.split(line) for line in out.splitlines()
            if line.startswith('ffmpeg ')]


def test_cut_names_segments_after_the_video_id(tmp_path, capsys):
    root = str(tmp_path / 'ava')
    for name in ('abc.mkv', 'def.webm', 'notes.txt', 'xyz.mp4.part'):
        touch(f'{root}/videos/{name}')
    touch(f'{root}/videos_15min/def.mp4')
    _, out, _ = run(['--dry-run', '--data-root', root, 'cut'], capsys)
    assert f'skip {root}/videos_15min/def.mp4 (exists)' in out
    (cmd,) = commands(out)
    assert cmd[cmd.index('-i') + 1] == f'{root}/videos/abc.mkv'
    assert cmd[cmd.index('-ss') + 1] == '900'
    assert cmd[cmd.index('-t') + 1] == '901'
    assert cmd[cmd.index('-r') + 1] == '30'
    assert cmd[-1] == f'{root}/videos_15min/abc.mp4.part'
    assert f'-> {root}/videos_15min/abc.mp4' in out
    # --fps 0 keeps the source frame rate; other folders
    _, out, _ = run(['--dry-run', 'cut', '--fps', '0', '--in-dir',
                     f'{root}/videos', '--out-dir', str(tmp_path / 'seg')],
                    capsys)
    for cmd in commands(out):
        assert '-r' not in cmd and cmd[-1].startswith(str(tmp_path / 'seg'))
    assert len(commands(out)) == 2


def test_frames_layout_and_rate(tmp_path, capsys):
    root = str(tmp_path / 'ava')
    touch(f'{root}/videos_15min/abc.mp4')
    touch(f'{root}/videos_15min/def.mp4')
    os.makedirs(f'{root}/rawframes/def')
    _, out, _ = run(['--dry-run', '--data-root', root, 'frames', '--fps',
                     '25'], capsys)
    assert f'skip {root}/rawframes/def (exists)' in out
    (cmd,) = commands(out)
    assert cmd[cmd.index('-r') + 1] == '25'
    assert cmd[-1] == f'{root}/rawframes/abc.part/img_%05d.jpg'
    assert f'-> {root}/rawframes/abc' in out


def test_cut_and_frames_run_ffmpeg_and_resume(tmp_path, capsys,
                                              fake_ffmpeg, monkeypatch):
    root = str(tmp_path / 'ava')
    touch(f'{root}/videos/abc.mkv')
    touch(f'{root}/videos/def.webm')
    ffmpeg = ['--ffmpeg', fake_ffmpeg]
    failed, _, _ = run(['--data-root', root, '--jobs', '2', 'cut', *ffmpeg],
                       capsys)
    assert failed == 0
    assert sorted(os.listdir(f'{root}/videos_15min')) == ['abc.mp4',
                                                          'def.mp4']
    os.makedirs(f'{root}/rawframes/abc.part')  # an interrupted extraction
    touch(f'{root}/rawframes/abc.part/img_00009.jpg')
    failed, _, _ = run(['--data-root', root, 'frames', *ffmpeg], capsys)
    assert failed == 0
    assert sorted(os.listdir(f'{root}/rawframes')) == ['abc', 'def']
    assert sorted(os.listdir(f'{root}/rawframes/abc')) == [
        'img_00001.jpg', 'img_00002.jpg', 'img_00003.jpg']
    # everything exists: a second run only skips
    _, out, _ = run(['--data-root', root, 'frames', *ffmpeg], capsys)
    assert out.count('skip ') == 2 and '[1/' not in out
    # a failing ffmpeg leaves no output and names it
    touch(f'{root}/videos/ghi.mkv')
    monkeypatch.setenv('FAKE_FFMPEG_FAIL', '1')
    failed, _, err = run(['--data-root', root, 'cut', *ffmpeg], capsys)
    assert failed == 1
    assert f'{root}/videos_15min/ghi.mp4: ffmpeg failed (1)' in err
    assert 'Invalid data found' in err
    assert not os.path.exists(f'{root}/videos_15min/ghi.mp4')


def test_frames_need_a_frame_rate(tmp_path):
    with pytest.raises(SystemExit, match='--fps must be > 0'):
        prep.main(['--dry-run', '--data-root', str(tmp_path), 'all',
                   '--frames', '--fps', '0'])


def test_missing_ffmpeg_is_named(tmp_path):
    with pytest.raises(SystemExit, match='no-such-ffmpeg.*not found'):
        prep.main(['--data-root', str(tmp_path), 'cut', '--ffmpeg',
                   'no-such-ffmpeg'])


def test_downloads_resume_and_skip(tmp_path, capsys, monkeypatch):
    source = tmp_path / 'server'
    source.mkdir()
    for split in ('train', 'val'):
        (source / f'prop_{split}.pkl').write_bytes(split.encode() * 100)
    with zipfile.ZipFile(source / 'ava_v2.2.zip', 'w') as archive:
        archive.writestr('ava_v2.2/ava_train_v2.2.csv', 'a,0902\n')
        archive.writestr('ava_v2.2/ava_action_list_v2.2.pbtxt', 'item {}\n')
    monkeypatch.setattr(prep, 'PROPOSAL_URL',
                        f'file://{source}/prop_{{split}}.pkl')
    monkeypatch.setattr(prep, 'ANNOTATION_URL',
                        f'file://{source}/ava_v{{version}}.zip')
    root = tmp_path / 'ava'
    touch(str(root / 'annotations' / 'prop_val.pkl.part'), b'stale')
    failed, _, _ = run(['--data-root', str(root), 'proposals'], capsys)
    assert failed == 0
    ann = root / 'annotations'
    assert (ann / 'prop_val.pkl').read_bytes() == b'val' * 100
    assert sorted(os.listdir(ann)) == ['prop_train.pkl', 'prop_val.pkl']
    _, out, _ = run(['--data-root', str(root), 'proposals'], capsys)
    assert out.count('skip ') == 2

    failed, _, _ = run(['--data-root', str(root), 'annotations'], capsys)
    assert failed == 0
    assert (ann / 'ava_train_v2.2.csv').read_text() == 'a,0902\n'
    assert (ann / 'ava_action_list_v2.2.pbtxt').exists()
    assert not (ann / 'ava_v2.2.zip').exists()
    _, out, _ = run(['--data-root', str(root), 'annotations'], capsys)
    assert out.startswith('skip ')

    # an unreachable file is reported, not fatal for the other steps
    (source / 'prop_val.pkl').unlink()
    (ann / 'prop_val.pkl').unlink()
    failed, _, err = run(['--data-root', str(root), 'proposals', '--splits',
                          'train', 'val'], capsys)
    assert failed == 1 and 'prop_val.pkl' in err and 'run the same' in err
