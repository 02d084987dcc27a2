"""AIA's online memory in the demos' predictor: past only, bounded, and a
keyframe's result never depends on later keyframes."""
import numpy as np
import pytest

from mmaction_aia.apis import ActionPredictor, init_detector
from mmaction_aia.apis.inference import uses_online_memory
from mmaction_aia.models.memory import FeatureBank
from tests.apis.aia_assets import aia_model_files  # noqa: F401

BOXES = np.array([[8, 12, 24, 54], [40, 6, 64, 48]], np.float32)
OBJECTS = np.array([[30, 30, 50, 58]], np.float32)


def clip(seed: int):
    rng = np.random.RandomState(seed)
    return [rng.randint(0, 256, (60, 80, 3)).astype(np.uint8)
            for _ in range(8)]


def bank_seconds(bank):
    return bank.state_dict()['timestamps']


@pytest.fixture(scope='module')
def aia_model(aia_model_files):  # noqa: F811
    return init_detector(*aia_model_files)


def run_stream(model, timestamps):
    """Scores of each keyframe of a stream, fed in time order to a fresh
    predictor, and the seconds its bank held after each keyframe."""
    predictor = ActionPredictor(model, score_thr=0.0)
    scores, held = [], []
    for index, timestamp in enumerate(timestamps):
        persons = predictor(clip(index), BOXES, OBJECTS, 'cam', timestamp)
        scores.append(np.stack([p['scores'] for p in persons]))
        held.append(bank_seconds(predictor.memory))
    return predictor, scores, held


def test_online_memory_from_the_head_config(aia_model):
    head = aia_model.roi_head
    bank = head.online_memory()
    assert bank.online and (bank.before, bank.after) == (3, 0)
    assert bank.num_slots == 4  # seconds -3 .. 0, as trained positions
    assert bank.max_entries == 3 * 1 + 1  # L * rate seconds + its own
    assert head.online_memory(max_entries=10).max_entries == 10
    assert len(bank) == 0 and bank is not head.online_memory()
    predictor = ActionPredictor(aia_model)
    assert head.memory_bank is predictor.memory and uses_online_memory(
        aia_model)


def test_past_only_and_later_keyframes_change_nothing(aia_model):
    timestamps = [0.0, 0.4, 1.0, 1.6, 2.0, 3.0, 4.2, 5.0]
    _, scores, held = run_stream(aia_model, timestamps)
    for timestamp, seconds in zip(timestamps, held):
        assert seconds and max(seconds) == round(timestamp)  # no future
    # a stream cut after keyframe k gives the same first k results
    _, prefix, _ = run_stream(aia_model, timestamps[:4])
    for full, cut in zip(scores, prefix):
        np.testing.assert_allclose(full, cut, rtol=0, atol=1e-6)
    # ... and the memory is really read: alone, keyframe 3 scores otherwise
    alone = ActionPredictor(aia_model, score_thr=0.0)(
        clip(3), BOXES, OBJECTS, 'cam', timestamps[3])
    assert np.abs(np.stack([p['scores'] for p in alone]) -
                  scores[3]).max() > 1e-4


def test_bank_stays_bounded_on_a_long_stream(aia_model):
    predictor, _, held = run_stream(aia_model,
                             [0.25 + 0.5 * i for i in range(24)])
    bound = predictor.memory.max_entries
    assert max(len(s) for s in held) == bound == 4
    # the last 4 seconds, the oldest evicted first; nothing kept for DDP
    assert held[-1] == [9, 10, 11, 12]
    assert predictor.memory.pop_new() == []


def test_plain_model_and_memory_false_keep_the_plain_path(
        aia_model, tiny_model_files):
    plain = init_detector(*tiny_model_files)
    assert ActionPredictor(plain).memory is None
    assert not uses_online_memory(plain)
    offline = aia_model.roi_head.memory_bank
    predictor = ActionPredictor(aia_model, memory=False)
    assert predictor.memory is None
    assert aia_model.roi_head.memory_bank is offline
    aia_model.roi_head.memory_bank = FeatureBank(length=(3, 3))
    try:
        with pytest.raises(RuntimeError, match='past-only memory'):
            aia_model.roi_head.predict_online(None, [], [])
    finally:
        aia_model.roi_head.memory_bank = offline
