"""init_detector / detect_actions / ActionPredictor on a tiny model."""
import numpy as np
import pytest

from mmaction_aia.apis import (
    ActionPredictor,
    build_inference_pipeline,
    clip_indices,
    clip_sampling,
    detect_actions,
    init_detector,
    resolve_label_names,
)


@pytest.fixture(scope='module')
def tiny_model(tiny_model_files):
    config, checkpoint = tiny_model_files
    return init_detector(config, checkpoint, device='cpu')


def test_init_detector_loads_weights_and_meta(tiny_model, tiny_model_files):
    assert not tiny_model.training
    assert tiny_model.dataset_meta['classes'][0] == 'class1'
    with pytest.raises(FileNotFoundError, match='checkpoint not found'):
        init_detector(tiny_model_files[0], '/nonexistent/ckpt.pth')


def test_pipeline_and_sampling_from_config(tiny_model):
    assert clip_sampling(tiny_model.cfg) == dict(clip_len=8,
                                                 frame_interval=4)
    names = [type(t).__name__ for t in
             build_inference_pipeline(tiny_model.cfg).transforms]
    assert names == ['Resize', 'FormatShape', 'PackActionInputs']


def test_detect_actions_maps_boxes_back(tiny_model):
    frames = [np.random.RandomState(i).randint(0, 256, (60, 80, 3)).astype(
        np.uint8) for i in range(8)]
    boxes = np.array([[8, 12, 24, 54], [40, 6, 64, 48]], np.float32)
    pred = detect_actions(tiny_model, frames, boxes, video_id='v',
                          timestamp=1.5)
    np.testing.assert_allclose(pred.bboxes.numpy(),
                               boxes / [80, 60, 80, 60], atol=1e-5)
    assert pred.scores.shape == (2, 15)
    assert ((pred.scores >= 0) & (pred.scores <= 1)).all()
    empty = detect_actions(tiny_model, frames, np.zeros((0, 4)))
    assert empty.scores.shape == (0, 15)
    with pytest.raises(ValueError, match='person_boxes'):
        detect_actions(tiny_model, frames, np.zeros((2, 3)))


def test_action_predictor_names_and_threshold(tiny_model):
    names = resolve_label_names(tiny_model)
    assert names[1] == 'class1' and len(names) == 14
    predictor = ActionPredictor(tiny_model, names, score_thr=0.0)
    assert list(predictor.clip_offsets) == [-16, -12, -8, -4, 0, 4, 8, 12]
    frames = [np.zeros((60, 80, 3), np.uint8)] * 8
    persons = predictor(frames, [[8, 12, 24, 54]])
    actions = persons[0]['actions']
    assert len(actions) == 14  # threshold 0 keeps every class
    assert [a[2] for a in actions] == sorted((a[2] for a in actions),
                                             reverse=True)
    assert actions[0][1] == names[actions[0][0]]
    strict = ActionPredictor(tiny_model, names, score_thr=1.01)
    assert strict(frames, [[8, 12, 24, 54]])[0]['actions'] == []


def test_label_map_file(tmp_path, tiny_model):
    path = tmp_path / 'labels.txt'
    path.write_text('1 wave\n2 sit\n')
    assert resolve_label_names(tiny_model, str(path)) == {1: 'wave',
                                                          2: 'sit'}
    path.write_text('wave 1\n')
    with pytest.raises(ValueError, match='labels.txt:1'):
        resolve_label_names(tiny_model, str(path))


def test_clip_indices_clamp():
    assert clip_indices(2, [-4, 0, 4], 5) == [0, 2, 5]
