"""Both demos with an AIA model: AIA's online memory (past only) on a
few-second generated video, bounded while it runs."""
import json

import pytest

from tests.apis.aia_assets import (  # noqa: F401
    VIDEO_SECONDS,
    aia_model_files,
    aia_video,
)
from tests.demo.test_demos import load_demo


def demo_with_spy(name: str):
    """The demo module, recording the predictor it builds and, at every
    memory read, the keyframe's second and the seconds the bank holds."""
    demo = load_demo(name)
    built, held = [], []
    build = demo.build_from_args

    def spy(args):
        detector, predictor = build(args)
        bank = predictor.memory
        read = bank.read

        def recording_read(clips, *rest, **kwargs):
            held.append((clips[0][1], bank.state_dict()['timestamps']))
            return read(clips, *rest, **kwargs)

        bank.read = recording_read
        built.append(predictor)
        return detector, predictor

    demo.build_from_args = spy
    return demo, built, held


def aia_args(aia_model_files, proposals):  # noqa: F811
    config, checkpoint = aia_model_files
    return ['--config', config, '--checkpoint', checkpoint,
            '--det-proposals', proposals, '--det-objects', proposals,
            '--action-score-thr', '0.0']


def check_online(predictor, held, keyframes):
    bank = predictor.memory
    assert bank is not None and bank.online and bank.after == 0
    assert predictor.model.roi_head.memory_bank is bank
    assert len(held) == len(keyframes) > 1
    for timestamp, seconds in held:
        # the keyframe's own second is the newest: nothing from the future
        assert max(seconds) == timestamp
        assert len(seconds) <= bank.max_entries
    assert bank.pop_new() == []


@pytest.mark.parametrize('name', ['demo_spatiotemporal_det', 'webcam_demo'])
def test_demos_run_aia_with_online_memory(
        name, tmp_path, aia_model_files, aia_video, capsys):  # noqa: F811
    video, proposals = aia_video
    demo, built, held = demo_with_spy(name)
    result = tmp_path / 'r.json'
    if name == 'webcam_demo':
        argv = ['--input-video', video, '--output', str(tmp_path / 'out'),
                '--source-fps', '0', '--max-seconds', '60']
    else:
        argv = [video, str(tmp_path / 'out.avi'),
                '--min-output-short-side', '60']
    code = demo.main(argv + ['--out-json', str(result),
                             '--predict-stepsize', '15'] +
                     aia_args(aia_model_files, proposals))
    out = capsys.readouterr().out
    assert code == 0, out
    assert f'read all {30 * VIDEO_SECONDS} frames' in out
    written = json.loads(result.read_text())
    keyframes = written['keyframes']
    if name == 'webcam_demo':
        assert 'AIA online memory of the past 3 s' in out
    else:
        assert written['meta']['aia_memory_seconds'] == 3
    assert all(len(k['persons']) == 2 and len(k['objects']) == 2
               for k in keyframes)
    assert len(keyframes[0]['persons'][0]['actions']) == 14
    check_online(built[0], held, keyframes)
    if name == 'demo_spatiotemporal_det':  # every keyframe, in time order
        assert [k['frame_index'] for k in keyframes] == list(
            range(7, 30 * VIDEO_SECONDS, 15))
        # 4 s of keyframes with 3 s of memory: the bound was reached
        assert max(len(s) for _, s in held) == built[0].memory.max_entries
