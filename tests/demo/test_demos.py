"""The two demo scripts end to end on a tiny generated video and model."""
import json

import cv2
import pytest

from tests.apis.conftest import write_video
from tests.scripts import load_script


def load_demo(name: str):
    return load_script(f'demo/{name}.py')


def count_frames(path: str) -> int:
    capture = cv2.VideoCapture(path)
    count = 0
    while capture.read()[0]:
        count += 1
    return count


def model_args(tiny_model_files, proposals):
    config, checkpoint = tiny_model_files
    return ['--config', config, '--checkpoint', checkpoint,
            '--det-proposals', proposals, '--action-score-thr', '0.0']


def test_video_demo_writes_video_json_csv(tmp_path, tiny_model_files,
                                          tiny_video, capsys):
    video, proposals = tiny_video
    out = str(tmp_path / 'out.mp4')
    code = load_demo('demo_spatiotemporal_det').main(
        [video, out, '--out-json', str(tmp_path / 'r.json'), '--out-csv',
         str(tmp_path / 'r.csv'), '--predict-stepsize', '15',
         '--min-output-short-side', '120'] +
        model_args(tiny_model_files, proposals))
    assert code == 0
    assert 'read all 48 frames' in capsys.readouterr().out
    capture = cv2.VideoCapture(out)
    assert (capture.get(cv2.CAP_PROP_FRAME_WIDTH),
            capture.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (160, 120)
    assert count_frames(out) == 48
    result = json.loads((tmp_path / 'r.json').read_text())
    assert result['meta']['clip_len'] == 8
    keyframes = result['keyframes']
    assert [k['frame_index'] for k in keyframes] == [7, 22, 37]
    person = keyframes[0]['persons'][0]
    assert person['bbox'] == pytest.approx([0.1, 0.2, 0.3, 0.9], abs=1e-3)
    assert person['det_score'] == pytest.approx(0.95)
    assert len(person['actions']) == 14  # threshold 0
    rows = (tmp_path / 'r.csv').read_text().splitlines()
    assert len(rows) == 3 * 2 * 14
    fields = rows[0].split(',')
    assert fields[0] == 'tiny' and fields[1] == '0.233'
    assert len(fields) == 8 and 1 <= int(fields[6]) <= 14


def test_video_demo_truncated_input_keeps_what_was_read(
        tmp_path, tiny_model_files, tiny_video, capsys):
    full = write_video(str(tmp_path / 'full.avi'), num_frames=60)
    data = open(full, 'rb').read()
    truncated = tmp_path / 'tiny.avi'  # same id as the proposals
    truncated.write_bytes(data[:len(data) // 2])
    out = str(tmp_path / 'out.avi')
    code = load_demo('demo_spatiotemporal_det').main(
        [str(truncated), out, '--out-json', str(tmp_path / 'r.json'),
         '--predict-stepsize', '15', '--min-output-short-side', '60'] +
        model_args(tiny_model_files, tiny_video[1]))
    assert code == 1
    message = capsys.readouterr().out
    assert 'reading stopped after' in message and 'truncated' in message
    read = int(message.split('reading stopped after ')[1].split()[0])
    assert 0 < read < 60
    assert count_frames(out) == read
    keyframes = json.loads((tmp_path / 'r.json').read_text())['keyframes']
    assert keyframes and keyframes[-1]['frame_index'] < read


def test_video_demo_clear_errors(tmp_path, tiny_model_files, tiny_video,
                                 capsys):
    demo = load_demo('demo_spatiotemporal_det')
    garbage = tmp_path / 'garbage.mp4'
    garbage.write_bytes(b'not a video at all' * 100)
    args = model_args(tiny_model_files, tiny_video[1])
    assert demo.main([str(garbage), str(tmp_path / 'o.mp4')] + args) == 2
    assert 'cannot open' in capsys.readouterr().err
    assert demo.main([tiny_video[0], str(tmp_path / 'o.mp4'),
                      '--checkpoint', str(tmp_path / 'none.pth')]) == 2
    assert 'checkpoint not found' in capsys.readouterr().err


def test_webcam_demo_headless_to_image_folder(tmp_path, tiny_model_files,
                                              tiny_video, capsys):
    video, proposals = tiny_video
    out_dir = tmp_path / 'frames'
    code = load_demo('webcam_demo').main(
        ['--input-video', video, '--output', str(out_dir),
         '--source-fps', '0', '--max-seconds', '60', '--out-json',
         str(tmp_path / 'r.json')] + model_args(tiny_model_files,
                                                 proposals))
    out = capsys.readouterr().out
    assert code == 0, out
    assert 'read all 48 frames' in out
    assert 'RSS at start' in out and 'at end' in out
    written = sorted(p.name for p in out_dir.iterdir())
    assert 0 < len(written) <= 48 and written[0] == 'frame_000000.jpg'
    keyframes = json.loads((tmp_path / 'r.json').read_text())['keyframes']
    assert keyframes and all(k['persons'] for k in keyframes)
