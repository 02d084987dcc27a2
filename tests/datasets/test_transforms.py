"""Tests of the data pipeline transforms on tiny generated frames and video.

Every generated frame encodes its own video frame number in three gray
stripes (base-6 digits), so a test can tell which frame was decoded even
through lossy video compression. A red/blue bar at the bottom checks the
RGB channel order.
"""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

from mmaction_aia.datasets.transforms import (
    DecordDecode,
    DecordInit,
    Flip,
    FormatShape,
    PackActionInputs,
    RandomCrop,
    RandomRescale,
    RawFrameDecode,
    Resize,
    SampleAVAFrames,
    SampleLoadError,
    apply_crop,
)
from mmaction_aia.registry import TRANSFORMS
from mmaction_aia.structures import ActionDataSample

HEIGHT, WIDTH = 56, 64  # three 16-px stripes + an 8-px colour bar
NUM_FRAMES = 100
FPS = 30
NUM_CLASSES = 81


def frame_image(video_frame: int) -> np.ndarray:
    """BGR frame whose stripes encode ``video_frame`` in base 6."""
    img = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    for stripe in range(3):
        digit = (video_frame // 6**stripe) % 6
        img[16 * stripe:16 * (stripe + 1)] = 20 + 40 * digit
    img[48:, :WIDTH // 2] = (0, 0, 255)  # red in BGR
    img[48:, WIDTH // 2:] = (255, 0, 0)  # blue in BGR
    return img


def decoded_index(img: np.ndarray) -> int:
    """The video frame number encoded in a decoded (RGB) frame."""
    index = 0
    for stripe in range(3):
        level = img[16 * stripe + 4:16 * stripe + 12, 8:56].mean()
        index += int(round((level - 20) / 40)) * 6**stripe
    return index


@pytest.fixture(scope='module')
def ava_data(tmp_path_factory):
    """Frames ``img_00001.jpg``... (file k = video frame k - 1) and the same
    frames as an mp4, like AVA's extracted frames and 15-min videos."""
    root = tmp_path_factory.mktemp('ava')
    frame_dir = root / 'vid'
    frame_dir.mkdir()
    video_path = str(root / 'vid.mp4')
    writer = cv2.VideoWriter(video_path, cv2.VideoWriter_fourcc(*'mp4v'),
                             FPS, (WIDTH, HEIGHT))
    for video_frame in range(NUM_FRAMES):
        img = frame_image(video_frame)
        cv2.imwrite(str(frame_dir / f'img_{video_frame + 1:05}.jpg'), img,
                    [cv2.IMWRITE_JPEG_QUALITY, 100])
        writer.write(img)
    writer.release()
    return str(frame_dir), video_path


def ava_results(frame_dir: str = '', video_path: str = '',
                **overrides) -> dict:
    labels = np.zeros((1, NUM_CLASSES), np.float32)
    labels[0, [12, 17]] = 1
    results = dict(
        frame_dir=frame_dir,
        video_id='vid',
        timestamp=902,
        timestamp_start=900,
        img_key='vid,0902',
        shot_info=(0, 900 * FPS),
        fps=FPS,
        filename_tmpl='img_{:05}.jpg',
        modality='RGB',
        start_index=1,
        gt_bboxes=np.array([[0.3, 0.2, 0.6, 0.9]], np.float32),
        gt_labels=labels,
        entity_ids=np.array([0]),
        proposals=np.array([[0.3, 0.2, 0.6, 0.9], [0.1, 0.1, 0.4, 0.5]],
                           np.float32),
        objects=np.array([[0.5, 0.5, 0.75, 0.75]], np.float32),
        filename=video_path)
    results.update(overrides)
    return results


def sample_test(results: dict, clip_len: int = 4,
                frame_interval: int = 2) -> dict:
    return SampleAVAFrames(clip_len, frame_interval, test_mode=True)(results)


def decode_video(results: dict) -> dict:
    return DecordDecode()(DecordInit()(results))


# ----------------------------------------------------------- SampleAVAFrames
def test_keyframe_902_at_30fps_is_img_00061():
    results = sample_test(ava_results(), clip_len=1)
    assert results['frame_inds'].tolist() == [61]

    results = sample_test(ava_results(), clip_len=32, frame_interval=2)
    inds = results['frame_inds']
    assert inds.dtype == np.int32 and len(inds) == 32
    assert inds[16] == 61  # clip_len // 2 frames precede the keyframe
    assert inds.tolist() == list(range(29, 93, 2))
    assert results['clip_len'] == 32 and results['frame_interval'] == 2
    assert results['num_clips'] == 1
    np.testing.assert_array_equal(results['crop_quadruple'], [0, 0, 1, 1])


def test_start_index_zero_gives_0_based_video_frames():
    results = sample_test(ava_results(start_index=0), clip_len=1)
    assert results['frame_inds'].tolist() == [60]  # 902.0 s in the video
    # Without start_index, mmaction2's default numbering (1-based) holds.
    results = ava_results()
    del results['start_index']
    assert sample_test(results, clip_len=1)['frame_inds'].tolist() == [61]


@pytest.mark.parametrize('frame_interval, low, high', [(2, -1, 0),
                                                       (4, -2, 1),
                                                       (1, -1, 0)])
def test_train_jitter_stays_in_mmaction2_range(frame_interval, low, high):
    np.random.seed(0)
    reference = sample_test(ava_results(), 8, frame_interval)['frame_inds']
    train = SampleAVAFrames(8, frame_interval)
    jitters = np.stack([
        train(ava_results())['frame_inds'] - reference for _ in range(200)
    ])
    assert jitters.min() == low and jitters.max() == high


def test_indices_are_clipped_to_the_shot():
    start = sample_test(ava_results(timestamp=900), 4, 2)
    assert start['frame_inds'].tolist() == [1, 1, 1, 3]
    end = sample_test(ava_results(timestamp=903, shot_info=(0, 92)), 4, 2)
    # center 90 -> [86, 88, 90, 92] clipped to the last frame 91 (0-based)
    assert end['frame_inds'].tolist() == [87, 89, 91, 92]


# ------------------------------------------------------------ RawFrameDecode
@pytest.mark.parametrize('decoding_backend', ['cv2', 'pillow'])
def test_raw_frame_decode_reads_the_sampled_frames(ava_data,
                                                   decoding_backend):
    frame_dir, _ = ava_data
    decode = RawFrameDecode(decoding_backend=decoding_backend)
    results = decode(sample_test(ava_results(frame_dir)))
    imgs = results['imgs']
    assert [decoded_index(img) for img in imgs] == [56, 58, 60, 62]
    assert all(img.shape == (HEIGHT, WIDTH, 3) and img.dtype == np.uint8
               for img in imgs)
    assert results['original_shape'] == results['img_shape'] == (HEIGHT,
                                                                  WIDTH)
    # RGB order: the left half of the bar is red
    np.testing.assert_allclose(imgs[0][52, 8], [255, 0, 0], atol=8)


def test_raw_frame_decode_scales_boxes_to_pixels(ava_data):
    frame_dir, _ = ava_data
    results = ava_results(frame_dir)
    normalised = {k: results[k].copy()
                  for k in ('gt_bboxes', 'proposals', 'objects')}
    results = RawFrameDecode()(sample_test(results))
    scale = np.array([WIDTH, HEIGHT, WIDTH, HEIGHT], np.float32)
    for key, boxes in normalised.items():
        assert results[key].dtype == np.float32
        np.testing.assert_allclose(results[key], boxes * scale, rtol=1e-6)
    assert results['gt_labels'].shape == (1, NUM_CLASSES)


def test_raw_frame_decode_copies_repeated_frames(ava_data):
    frame_dir, _ = ava_data
    results = ava_results(frame_dir, frame_inds=np.array([[3, 3, 5]]))
    imgs = RawFrameDecode()(results)['imgs']
    assert results['frame_inds'].shape == (3, )
    assert [decoded_index(img) for img in imgs] == [2, 2, 4]
    assert imgs[0] is not imgs[1]
    np.testing.assert_array_equal(imgs[0], imgs[1])


def test_missing_frame_raises_sample_load_error_naming_it(ava_data):
    frame_dir, _ = ava_data
    results = ava_results(frame_dir, frame_inds=np.array([99, 100, 101]))
    expected = osp.join(frame_dir, 'img_00101.jpg')
    with pytest.raises(SampleLoadError, match='img_00101.jpg') as info:
        RawFrameDecode()(results)
    assert info.value.path == expected
    assert 'frame 101' in str(info.value)
    assert "'img_{:05}.jpg'" in str(info.value)


def test_corrupt_frame_raises_sample_load_error(tmp_path):
    (tmp_path / 'img_00001.jpg').write_bytes(b'not a jpeg at all')
    results = ava_results(str(tmp_path), frame_inds=np.array([1]))
    with pytest.raises(SampleLoadError, match='not a readable image'):
        RawFrameDecode()(results)


# --------------------------------------------------------------------- decord
def test_decord_reads_the_same_frames_as_raw_frames(ava_data):
    frame_dir, video_path = ava_data
    raw = RawFrameDecode()(sample_test(ava_results(frame_dir)))
    video = DecordInit()(sample_test(ava_results(video_path=video_path)))
    assert video['total_frames'] == NUM_FRAMES
    assert video['avg_fps'] == pytest.approx(FPS)
    video = DecordDecode()(video)
    assert video['video_reader'] is None
    assert [decoded_index(img) for img in video['imgs']] == [56, 58, 60, 62]
    for raw_img, video_img in zip(raw['imgs'], video['imgs']):
        assert video_img.shape == raw_img.shape
        diff = np.abs(raw_img.astype(int) - video_img.astype(int))
        assert diff.mean() < 8  # lossy codec, same picture
    np.testing.assert_allclose(video['imgs'][0][52, 8], [255, 0, 0], atol=40)
    for key in ('gt_bboxes', 'proposals', 'objects'):
        np.testing.assert_allclose(video[key], raw[key])


def test_decord_with_0_based_indices_and_offset(ava_data):
    _, video_path = ava_data
    results = ava_results(video_path=video_path, start_index=0,
                          frame_inds=np.array([0, 10, 99]))
    assert [decoded_index(i) for i in decode_video(results)['imgs']
            ] == [0, 10, 99]
    results = ava_results(video_path=video_path, start_index=0, offset=5,
                          frame_inds=np.array([0, 10]))
    assert [decoded_index(i) for i in decode_video(results)['imgs']
            ] == [5, 15]


def test_decord_efficient_mode_returns_one_frame_per_index(ava_data):
    _, video_path = ava_data
    results = ava_results(video_path=video_path, start_index=0,
                          frame_inds=np.array([0, 40, 41]))
    results = DecordDecode(mode='efficient')(DecordInit()(results))
    assert len(results['imgs']) == 3
    assert decoded_index(results['imgs'][0]) == 0  # the first key frame
    assert results['img_shape'] == (HEIGHT, WIDTH)


def test_decord_index_outside_video_raises(ava_data):
    _, video_path = ava_data
    results = ava_results(video_path=video_path, frame_inds=np.array([101]))
    with pytest.raises(SampleLoadError, match='outside the video') as info:
        decode_video(results)
    assert info.value.path == video_path


def test_corrupt_video_raises_sample_load_error_naming_it(tmp_path):
    bad_video = str(tmp_path / 'corrupt.mp4')
    with open(bad_video, 'wb') as f:
        f.write(np.random.default_rng(0).bytes(4096))
    with pytest.raises(SampleLoadError, match='corrupt.mp4') as info:
        DecordInit()(ava_results(video_path=bad_video))
    assert info.value.path == bad_video
    missing = str(tmp_path / 'missing.mp4')
    with pytest.raises(SampleLoadError, match='video file not found'):
        DecordInit()(ava_results(video_path=missing))


# ---------------------------------------------------------------- processing
def pixel_results(height: int = 100, width: int = 120) -> dict:
    rng = np.random.default_rng(1)
    imgs = [rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
            for _ in range(3)]
    return dict(
        imgs=imgs, img_shape=(height, width), modality='RGB',
        gt_bboxes=np.array([[50, 40, 70, 60]], np.float32),
        proposals=np.array([[10, 20, 110, 90], [0, 0, 30, 30]], np.float32),
        objects=np.array([[60, 50, 64, 58]], np.float32))


def test_resize_short_side_keeps_ratio_and_scales_boxes():
    results = pixel_results(48, 64)
    boxes = {k: results[k].copy() for k in ('gt_bboxes', 'proposals')}
    results = Resize((-1, 32))(results)
    assert results['img_shape'] == (32, 43)  # int(64 * 32 / 48 + 0.5)
    assert results['imgs'][0].shape == (32, 43, 3)
    assert results['keep_ratio'] is True
    factor = np.array([43 / 64, 32 / 48], np.float32)
    np.testing.assert_allclose(results['scale_factor'], factor)
    for key, before in boxes.items():
        np.testing.assert_allclose(results[key], before * np.tile(factor, 2),
                                   rtol=1e-6)
    results = Resize(0.5)(results)  # factors accumulate
    assert results['img_shape'] == (16, 22)
    np.testing.assert_allclose(results['scale_factor'],
                               factor * [22 / 43, 0.5], rtol=1e-6)


def test_resize_to_fixed_size_and_bad_arguments():
    results = Resize((40, 30), keep_ratio=False,
                     interpolation='nearest')(pixel_results(48, 64))
    assert results['img_shape'] == (30, 40)
    assert results['imgs'][0].shape == (30, 40, 3)
    with pytest.raises(ValueError, match='lazy'):
        Resize((-1, 32), lazy=True)
    with pytest.raises(ValueError, match='interpolation'):
        Resize((-1, 32), interpolation='cubicle')
    with pytest.raises(ValueError, match="'proposals'"):
        bad = pixel_results()
        bad['proposals'] = np.ones((2, 5), np.float32)  # score column left
        Resize(0.5)(bad)


def test_random_rescale_draws_short_edge_in_closed_range():
    np.random.seed(0)
    edges = set()
    for _ in range(40):
        results = RandomRescale((30, 32))(pixel_results(48, 64))
        edges.add(results['short_edge'])
        assert min(results['img_shape']) == results['short_edge']
        assert results['imgs'][0].shape[:2] == results['img_shape']
    assert edges == {30, 31, 32}


def test_crop_shifts_and_clips_boxes():
    results = pixel_results()
    results['gt_bboxes'] = np.array([[0, 0, 100, 100]], np.float32)
    original = [img.copy() for img in results['imgs']]
    apply_crop(results, np.array([10, 20, 50, 60]))
    # shifted by (10, 20) and clipped to [0, size - 1] like mmaction2
    np.testing.assert_array_equal(results['gt_bboxes'], [[0, 0, 39, 39]])
    np.testing.assert_array_equal(results['objects'], [[39, 30, 39, 38]])
    assert results['img_shape'] == (40, 40)
    np.testing.assert_array_equal(results['imgs'][1], original[1][20:60,
                                                                  10:50])
    np.testing.assert_allclose(results['crop_quadruple'],
                               [10 / 120, 20 / 100, 40 / 120, 40 / 100])


def test_crop_quadruple_maps_boxes_back_to_the_original_frame():
    np.random.seed(3)
    for _ in range(10):
        results = pixel_results()
        gt_norm = results['gt_bboxes'] / [120, 100, 120, 100]
        results = RandomCrop(90)(results)
        results = Resize((-1, 80))(results)
        results = RandomCrop(70)(results)
        assert results['imgs'][0].shape == (70, 70, 3)
        x, y, w, h = results['crop_quadruple']
        img_h, img_w = results['img_shape']
        boxes = results['gt_bboxes'] / [img_w, img_h, img_w, img_h]
        recovered = boxes * [w, h, w, h] + [x, y, x, y]
        np.testing.assert_allclose(recovered, gt_norm, atol=1e-5)


def test_random_crop_rejects_oversized_crop():
    with pytest.raises(ValueError, match='larger than the image'):
        RandomCrop(130)(pixel_results())
    with pytest.raises(TypeError):
        RandomCrop((64, 64))


@pytest.mark.parametrize('direction', ['horizontal', 'vertical'])
def test_flip_boxes_and_images_and_twice_is_identity(direction):
    results = pixel_results()
    before = {k: results[k].copy() for k in ('gt_bboxes', 'proposals')}
    imgs = [img.copy() for img in results['imgs']]
    flip = Flip(flip_ratio=1.0, direction=direction)
    results = flip(results)
    assert results['flip'] is True
    assert results['flip_direction'] == direction
    axis = 1 if direction == 'horizontal' else 0
    np.testing.assert_array_equal(results['imgs'][0], np.flip(imgs[0], axis))
    if direction == 'horizontal':
        np.testing.assert_array_equal(results['gt_bboxes'],
                                      [[120 - 70, 40, 120 - 50, 60]])
    else:
        np.testing.assert_array_equal(results['gt_bboxes'],
                                      [[50, 100 - 60, 70, 100 - 40]])
    results = flip(results)
    for key, boxes in before.items():
        np.testing.assert_array_equal(results[key], boxes)
    np.testing.assert_array_equal(results['imgs'][2], imgs[2])


def test_flip_with_ratio_zero_changes_nothing_but_records_it():
    results = pixel_results()
    boxes = results['gt_bboxes'].copy()
    results = Flip(flip_ratio=0.0)(results)
    assert results['flip'] is False
    assert results['flip_direction'] == 'horizontal'
    np.testing.assert_array_equal(results['gt_bboxes'], boxes)


# ---------------------------------------------------------------- formatting
def test_format_shape_layouts():
    frames = [np.full((6, 8, 3), t, np.uint8) for t in range(4)]
    frames[2][1, 5] = (7, 8, 9)
    base = dict(num_clips=1, clip_len=4)

    out = FormatShape('NCTHW', collapse=True)(dict(base, imgs=list(frames)))
    assert out['imgs'].shape == out['input_shape'] == (3, 4, 6, 8)
    assert out['imgs'].flags['C_CONTIGUOUS']
    assert out['imgs'][:, 2, 1, 5].tolist() == [7, 8, 9]
    assert out['imgs'][0, :, 0, 0].tolist() == [0, 1, 2, 3]

    out = FormatShape('NCTHW')(dict(base, imgs=list(frames)))
    assert out['imgs'].shape == (1, 3, 4, 6, 8)
    out = FormatShape('NCHW')(dict(base, imgs=list(frames)))
    assert out['imgs'].shape == (4, 3, 6, 8)
    with pytest.raises(ValueError, match='num_clips'):
        FormatShape('NCTHW', collapse=True)(
            dict(imgs=list(frames), num_clips=2, clip_len=2))
    with pytest.raises(ValueError, match='input_format'):
        FormatShape('NTHWC')


def test_ava_pipeline_packs_data_sample_and_maps_boxes_back(ava_data):
    frame_dir, _ = ava_data
    cfg = [
        dict(type='mmaction.SampleAVAFrames', clip_len=4, frame_interval=2,
             test_mode=True),
        dict(type='RawFrameDecode'),
        dict(type='Resize', scale=(-1, 32)),
        dict(type='RandomCrop', size=32),
        dict(type='Flip', flip_ratio=1.0),
        dict(type='FormatShape', input_format='NCTHW', collapse=True),
        dict(type='PackActionInputs'),
    ]
    pipeline = [TRANSFORMS.build(c) for c in cfg]
    results = ava_results(frame_dir)
    gt_norm = results['gt_bboxes'].copy()
    for transform in pipeline:
        results = transform(results)

    assert set(results) == {'inputs', 'data_samples'}
    inputs = results['inputs']
    assert inputs.dtype == torch.uint8 and inputs.shape == (3, 4, 32, 32)
    sample = results['data_samples']
    assert isinstance(sample, ActionDataSample)
    assert isinstance(sample.gt_instances, InstanceData)
    assert sample.gt_instances.bboxes.dtype == torch.float32
    assert sample.gt_instances.bboxes.shape == (1, 4)
    assert sample.gt_instances.labels.dtype == torch.float32
    assert sample.gt_instances.labels.shape == (1, NUM_CLASSES)
    assert sample.gt_instances.labels[0].nonzero().flatten().tolist() == [
        12, 17
    ]
    assert sample.proposals.bboxes.shape == (2, 4)
    assert sample.objects.bboxes.shape == (1, 4)
    meta = sample.metainfo
    assert meta['img_key'] == 'vid,0902' and meta['video_id'] == 'vid'
    assert meta['timestamp'] == 902 and meta['img_shape'] == (32, 32)
    assert meta['ori_shape'] == meta['original_shape'] == (HEIGHT, WIDTH)
    assert meta['flip'] is True and meta['flip_direction'] == 'horizontal'
    assert meta['scale_factor'].shape == (2, )

    # What the head does: undo the flip, then the crop, in normalised units.
    img_h, img_w = meta['img_shape']
    boxes = sample.gt_instances.bboxes.numpy().copy()
    boxes[:, [0, 2]] = img_w - boxes[:, [2, 0]]
    x, y, w, h = meta['crop_quadruple']
    boxes = boxes / [img_w, img_h, img_w, img_h] * [w, h, w, h] + [x, y, x, y]
    np.testing.assert_allclose(boxes, gt_norm, atol=1e-5)


def test_pack_without_gt_and_with_custom_keys():
    results = dict(
        imgs=np.zeros((3, 2, 4, 4), np.uint8),
        proposals=np.array([[0, 0, 2, 2]], np.float32),
        scores=np.array([0.9], np.float32),
        entity_ids=np.array([7]), img_shape=(4, 4), video_id='v')
    packed = PackActionInputs(algorithm_keys=('entity_ids', ))(results)
    sample = packed['data_samples']
    assert 'gt_instances' not in sample
    assert sample.proposals.scores.tolist() == pytest.approx([0.9])
    assert sample.entity_ids.tolist() == [7]
    assert sample.metainfo == {'img_shape': (4, 4), 'video_id': 'v'}

    packed = PackActionInputs(collect_keys=('imgs', 'proposals'))(results)
    assert set(packed['inputs']) == {'imgs', 'proposals'}
    with pytest.raises(ValueError, match='imgs'):
        PackActionInputs()(dict(proposals=results['proposals']))


def test_every_transform_is_registered_with_a_repr():
    names = ['SampleAVAFrames', 'RawFrameDecode', 'DecordInit',
             'DecordDecode', 'RandomRescale', 'Resize', 'RandomCrop', 'Flip',
             'FormatShape', 'PackActionInputs']
    args = dict(SampleAVAFrames=dict(clip_len=8),
                RandomRescale=dict(scale_range=(256, 320)),
                Resize=dict(scale=(-1, 256)), RandomCrop=dict(size=256),
                FormatShape=dict(input_format='NCTHW'))
    for name in names:
        transform = TRANSFORMS.build(dict(type=name, **args.get(name, {})))
        assert repr(transform).startswith(f'{name}(')
    assert repr(TRANSFORMS.build(dict(type='RandomCrop', size=256))) == (
        'RandomCrop(size=256, lazy=False)')
