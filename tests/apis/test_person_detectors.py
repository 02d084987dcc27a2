"""Person detectors: HOG (against OpenCV 4 reference values), torchvision
from a local weights file, precomputed proposals, and the registry."""
import pickle

import numpy as np
import pytest
import torch

from mmaction_aia.apis import (
    Detections,
    HOGPersonDetector,
    PrecomputedPersonDetector,
    TorchvisionPersonDetector,
    build_person_detector,
)
from mmaction_aia.apis.hog import HOGFeatures, detect_multiscale

# cv2.HOGDescriptor().compute(img) of OpenCV 4.10 for
# img = RandomState(0).randint(0, 256, (128, 64, 3)).astype(uint8)
OPENCV_INDICES = [0, 1, 35, 36, 100, 1000, 1951, 2194, 3779]
OPENCV_VALUES = [0.194546, 0.089072, 0.212213, 0.137306, 0.148244, 0.192955,
                 0.090241, 0.202324, 0.133731]
OPENCV_SUM = 612.837646


def test_hog_descriptor_matches_opencv4():
    image = np.random.RandomState(0).randint(0, 256, (128, 64, 3)).astype(
        np.uint8)
    desc = HOGFeatures().window_descriptor(image)
    assert desc.shape == (3780, )
    np.testing.assert_allclose(desc[OPENCV_INDICES], OPENCV_VALUES,
                               atol=1e-4)
    assert abs(float(desc.sum()) - OPENCV_SUM) < 0.05


def test_hog_score_map_is_the_svm_on_window_descriptors():
    features = HOGFeatures()
    image = np.random.RandomState(1).randint(0, 256, (144, 80, 3)).astype(
        np.uint8)
    scores = features.score_map(image)
    assert scores.shape == (3, 3)  # windows at stride 8 in 144x80
    # window (1, 2): blocks 1..15 down, 2..8 across, in descriptor order
    # (the order checked against OpenCV above)
    blocks = features.blocks(image)[:, 1:16, 2:9]
    desc = blocks.permute(2, 1, 0).reshape(-1).numpy()
    # the SVM kernel in the same order: [x, y, 36] flattened
    svm = np.asarray(features.svm_weight[0].permute(2, 1, 0)).reshape(-1)
    expected = float(desc @ svm) + features.svm_bias
    assert abs(float(scores[1, 2]) - expected) < 1e-3
    from mmaction_aia.apis.hog_people_svm import people_svm
    np.testing.assert_array_equal(svm, people_svm()[:-1])


def test_hog_pyramid_covers_all_levels():
    image = np.zeros((160, 80, 3), np.uint8)
    boxes, margins = detect_multiscale(HOGFeatures(), image, scale=1.1,
                                       hit_threshold=-np.inf)
    # level 1: 5 x 3 windows; 1.1: 73x145 -> 3 x 2; 1.21: 66x132 -> 1
    assert len(boxes) == 15 + 6 + 1 == len(margins)
    assert boxes[:, 2:].max() <= 160 + 1e-3


def test_hog_detector_on_blank_and_small_frames():
    detector = build_person_detector()  # None -> HOG
    assert isinstance(detector, HOGPersonDetector)
    dets = detector(np.full((60, 80, 3), 128, np.uint8))
    assert isinstance(dets, Detections) and len(dets) == 0
    assert dets.bboxes.shape == (0, 4)
    frame = np.random.RandomState(2).randint(0, 256, (60, 80, 3)).astype(
        np.uint8)
    dets = HOGPersonDetector(score_thr=0.0)(frame)
    assert ((dets.scores >= 0) & (dets.scores <= 1)).all()
    assert (dets.bboxes[:, 2] <= 80).all() and (dets.bboxes[:, 3] <= 60).all()
    with pytest.raises(ValueError, match='RGB uint8'):
        detector(np.zeros((60, 80), np.uint8))


@pytest.fixture(scope='module')
def mobilenet_weights(tmp_path_factory):
    from torchvision.models.detection import (
        fasterrcnn_mobilenet_v3_large_320_fpn,
    )
    torch.manual_seed(0)
    model = fasterrcnn_mobilenet_v3_large_320_fpn(
        weights=None, weights_backbone=None, num_classes=91)
    path = tmp_path_factory.mktemp('tv') / 'frcnn.pth'
    torch.save(model.state_dict(), str(path))
    return str(path)


def test_torchvision_detector_from_local_file(mobilenet_weights):
    detector = build_person_detector(dict(
        type='TorchvisionPersonDetector', checkpoint=mobilenet_weights,
        arch='fasterrcnn_mobilenet_v3_large_320_fpn', score_thr=0.0,
        object_score_thr=0.0, max_objects=3))
    frame = np.random.RandomState(0).randint(0, 256, (120, 160, 3)).astype(
        np.uint8)
    dets = detector(frame)
    assert dets.bboxes.shape[1] == 4 and len(dets.scores) == len(dets)
    assert len(dets.object_bboxes) <= 3
    assert len(dets.object_labels) == len(dets.object_bboxes)
    assert (dets.object_labels != 1).all()


def test_torchvision_detector_errors(tmp_path, mobilenet_weights):
    with pytest.raises(FileNotFoundError, match='Nothing is downloaded'):
        TorchvisionPersonDetector(str(tmp_path / 'missing.pth'))
    with pytest.raises(ValueError, match='does not fit torchvision arch'):
        TorchvisionPersonDetector(mobilenet_weights,
                                  arch='fasterrcnn_resnet50_fpn')
    with pytest.raises(ValueError, match='unknown torchvision'):
        TorchvisionPersonDetector(mobilenet_weights, arch='no_such_arch')


def test_precomputed_detector(tmp_path):
    boxes = np.array([[0.1, 0.2, 0.5, 0.8, 0.9], [0.5, 0.5, 0.6, 0.6, 0.2]],
                     np.float32)
    (tmp_path / 'p.pkl').write_bytes(pickle.dumps({'vid,0902': boxes}))
    (tmp_path / 'o.pkl').write_bytes(pickle.dumps(
        {'vid,0902': boxes[:1, :4]}))
    detector = PrecomputedPersonDetector(
        str(tmp_path / 'p.pkl'), str(tmp_path / 'o.pkl'), score_thr=0.5,
        timestamp_start=900)
    frame = np.zeros((100, 200, 3), np.uint8)
    dets = detector(frame, video_id='vid', timestamp=2.2)
    np.testing.assert_allclose(dets.bboxes, [[20, 20, 100, 80]], atol=1e-4)
    np.testing.assert_allclose(dets.scores, [0.9])
    np.testing.assert_allclose(dets.object_bboxes, [[20, 20, 100, 80]],
                               atol=1e-4)
    assert len(detector(frame, video_id='vid', timestamp=5.0)) == 0
    assert len(detector(frame, video_id='other', timestamp=2.0)) == 0
    with pytest.raises(FileNotFoundError):
        PrecomputedPersonDetector(str(tmp_path / 'missing.pkl'))
