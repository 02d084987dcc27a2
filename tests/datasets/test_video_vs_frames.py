"""Decoding AVA clips straight from the videos gives the clips of the
extracted-frames path, for every keyframe of generated datasets at 30 and
25 fps; and the generator is deterministic down to the decoded frames.

The synthetic generator writes each picture twice: into an mp4 (mp4v) and
as a JPEG (``rawframes``). Both are lossy, so pictures are compared within a
tolerance, and a clip is shown to be *the same* frames (not off by one) by
being closer to its own JPEGs than to the JPEGs one frame earlier or later.
"""
import os
import os.path as osp

import numpy as np
import pytest

from mmaction_aia.datasets import AVADataset
from mmaction_aia.datasets.synthetic import (
    SyntheticAVAConfig,
    generate_synthetic_ava,
)
from mmaction_aia.datasets.transforms import (
    DecordDecode,
    DecordInit,
    OpenCVDecode,
    OpenCVInit,
    RawFrameDecode,
    SampleAVAFrames,
    SampleLoadError,
)

#: Mean absolute difference (grey levels, 0-255) allowed between a frame
#: decoded from the mp4 and its JPEG. Measured: at most 6.5 at 64x48.
PICTURE_TOLERANCE = 10.0
CLIP = dict(clip_len=8, frame_interval=2, test_mode=True)
TINY = dict(seed=0, num_train_videos=1, num_val_videos=1, seconds=8,
            width=64, height=48)
ANNOTATION_FILES = ('train.csv', 'val.csv', 'proposals_train.pkl',
                    'proposals_val.pkl', 'objects_train.pkl',
                    'objects_val.pkl', 'excluded_timestamps_train.csv',
                    'excluded_timestamps_val.csv', 'action_list.pbtxt',
                    'evaluated_classes.txt')
BOX_KEYS = ('gt_bboxes', 'gt_labels', 'entity_ids', 'proposals', 'scores',
            'objects')


@pytest.fixture(scope='module')
def generated(tmp_path_factory):
    """``generated(fps)``: two videos x 8 s (one per split), frames and
    videos, generated once per frame rate."""
    cache = {}

    def get(fps: int):
        if fps not in cache:
            cfg = SyntheticAVAConfig(fps=fps, **TINY)
            root = str(tmp_path_factory.mktemp(f'syn{fps}') / 'data')
            generate_synthetic_ava(root, cfg)
            cache[fps] = root, cfg
        return cache[fps]

    return get


@pytest.fixture(params=[30, 25], ids=['30fps', '25fps'])
def dataset(request, generated):
    return generated(request.param)


def ava_dataset(root: str, split: str, pipeline: list, **kwargs):
    ann = osp.join(root, 'annotations')
    return AVADataset(
        ann_file=osp.join(ann, f'{split}.csv'),
        exclude_file=osp.join(ann, f'excluded_timestamps_{split}.csv'),
        label_file=osp.join(ann, 'action_list.pbtxt'),
        proposal_file=osp.join(ann, f'proposals_{split}.pkl'),
        object_file=osp.join(ann, f'objects_{split}.pkl'),
        num_classes=15, pipeline=pipeline, test_mode=True, on_error='raise',
        timestamp_end=908, **kwargs)


def frames_dataset(root: str, split: str, fps: int):
    # Extracted frames carry no frame rate: the dataset's fps says it.
    return ava_dataset(root, split, [SampleAVAFrames(**CLIP),
                                     RawFrameDecode()],
                       data_prefix=dict(img=osp.join(root, 'rawframes')),
                       fps=fps)


VIDEO_BACKENDS = dict(decord=(DecordInit, DecordDecode),
                      opencv=(OpenCVInit, OpenCVDecode))


def videos_dataset(root: str, split: str, backend: str = 'decord'):
    # No fps given (default 30): the video's own rate must be used.
    init, decode = VIDEO_BACKENDS[backend]
    return ava_dataset(root, split, [init(), SampleAVAFrames(**CLIP),
                                     decode()],
                       data_prefix=dict(video=osp.join(root, 'videos')),
                       use_frames=False)


def mean_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean())


def raw_clip(frame_dir: str, frame_inds: np.ndarray) -> list:
    results = dict(frame_dir=frame_dir, filename_tmpl='img_{:05}.jpg',
                   frame_inds=frame_inds, modality='RGB')
    return RawFrameDecode()(results)['imgs']


@pytest.mark.parametrize('backend', ['decord', 'opencv'])
@pytest.mark.parametrize('split', ['train', 'val'])
def test_every_keyframe_same_clip_from_video_and_frames(dataset, split,
                                                        backend):
    root, cfg = dataset
    from_frames = frames_dataset(root, split, cfg.fps)
    from_video = videos_dataset(root, split, backend)
    assert len(from_frames) == len(from_video) > 0
    excluded = open(osp.join(root, 'annotations',
                             f'excluded_timestamps_{split}.csv')).read()
    for idx in range(len(from_frames)):
        frames, video = from_frames[idx], from_video[idx]
        key = frames['img_key']
        assert video['img_key'] == key and key not in excluded

        # keyframe second -> 0-based frame through the fps and the 900 s
        # offset; frames count from 1 (img_00001.jpg), the video from 0
        keyframe = cfg.fps * (frames['timestamp'] - 900)
        assert frames['start_index'] == 1 and video['start_index'] == 0
        assert frames['frame_inds'][CLIP['clip_len'] // 2] == keyframe + 1
        assert video['frame_inds'][CLIP['clip_len'] // 2] == keyframe
        np.testing.assert_array_equal(video['frame_inds'] + 1,
                                      frames['frame_inds'])
        assert video['avg_fps'] == pytest.approx(cfg.fps)
        assert video['sampling_fps'] == pytest.approx(cfg.fps)

        for box_key in BOX_KEYS:
            np.testing.assert_array_equal(video[box_key], frames[box_key],
                                          err_msg=f'{key} {box_key}')
        assert video['img_shape'] == frames['img_shape'] == (cfg.height,
                                                             cfg.width)

        diffs = [mean_abs_diff(v, f)
                 for v, f in zip(video['imgs'], frames['imgs'])]
        assert max(diffs) < PICTURE_TOLERANCE, (key, diffs)
        # Not off by one: the JPEGs one frame away are further from the
        # decoded clip than its own JPEGs.
        frame_dir = osp.join(root, 'rawframes', frames['video_id'])
        for shift in (-1, 1):
            shifted = raw_clip(frame_dir, frames['frame_inds'] + shift)
            shifted_diff = np.mean([mean_abs_diff(v, f) for v, f in zip(
                video['imgs'], shifted)])
            assert np.mean(diffs) < shifted_diff, (key, shift)


def test_sampling_at_the_dataset_fps_refuses_another_video_fps(generated):
    root, cfg = generated(25)
    # SampleAVAFrames before DecordInit samples at the dataset's 30 fps,
    # which would silently read the wrong frames of this 25 fps video.
    wrong_order = ava_dataset(
        root, 'val', [SampleAVAFrames(**CLIP), DecordInit(), DecordDecode()],
        data_prefix=dict(video=osp.join(root, 'videos')), use_frames=False)
    with pytest.raises(SampleLoadError,
                       match=r'\(DecordInit, OpenCVInit\) before Sample') as e:
        wrong_order[0]
    assert e.value.path.endswith('syn_val_000.mp4')
    assert '25.000 fps' in str(e.value) and 'sampled at 30 fps' in str(
        e.value)
    # Stating the dataset fps instead also gives the right frames.
    right_fps = ava_dataset(
        root, 'val', [SampleAVAFrames(**CLIP), DecordInit(), DecordDecode()],
        data_prefix=dict(video=osp.join(root, 'videos')), use_frames=False,
        fps=cfg.fps)
    np.testing.assert_array_equal(right_fps[0]['frame_inds'],
                                  videos_dataset(root, 'val')[0]['frame_inds'])


def test_same_seed_same_files_and_decoded_frames(dataset, tmp_path):
    import decord

    root, cfg = dataset
    again = str(tmp_path / 'again')
    generate_synthetic_ava(again, cfg)
    for name in ANNOTATION_FILES:
        path = osp.join('annotations', name)
        with open(osp.join(root, path), 'rb') as a, open(
                osp.join(again, path), 'rb') as b:
            assert a.read() == b.read(), path
    for vid in ('syn_train_000', 'syn_val_000'):
        frame_dir = osp.join('rawframes', vid)
        names = sorted(os.listdir(osp.join(root, frame_dir)))
        assert names == sorted(os.listdir(osp.join(again, frame_dir)))
        for name in names:
            with open(osp.join(root, frame_dir, name), 'rb') as a, open(
                    osp.join(again, frame_dir, name), 'rb') as b:
                assert a.read() == b.read(), osp.join(frame_dir, name)
        first, second = (decord.VideoReader(
            osp.join(r, 'videos', f'{vid}.mp4')) for r in (root, again))
        assert len(first) == len(second) == cfg.seconds * cfg.fps
        all_frames = list(range(len(first)))
        np.testing.assert_array_equal(first.get_batch(all_frames).asnumpy(),
                                      second.get_batch(all_frames).asnumpy())


@pytest.mark.parametrize('frame_inds', [
    [0, 0, 0, 2, 4],                     # repeats at a shot edge
    list(range(37, 101, 2)),             # 32x2 clip across key frames
    [3, 19, 35, 51],                     # sparse 4x16 clip
    [120, 40, 80],                       # out of order
])
def test_span_decoding_equals_decord_get_batch(generated, frame_inds):
    root, _ = generated(30)
    video = osp.join(root, 'videos', 'syn_train_000.mp4')

    def decode(init, decode):
        results = dict(filename=video, start_index=0,
                       frame_inds=np.array(frame_inds))
        return decode(init(results))['imgs']

    span = decode(DecordInit(), DecordDecode())
    batch = decode(DecordInit(), DecordDecode(max_span=1))  # get_batch
    opencv = decode(OpenCVInit(), OpenCVDecode())
    assert len(span) == len(frame_inds)
    np.testing.assert_array_equal(np.stack(span), np.stack(batch))
    np.testing.assert_array_equal(np.stack(opencv), np.stack(batch))
    # repeated indices are copies, not the same array
    for imgs in (span, opencv):
        assert len({id(img) for img in imgs}) == len(imgs)


def test_opencv_decode_errors_name_the_video(generated, tmp_path):
    root, _ = generated(30)
    video = osp.join(root, 'videos', 'syn_train_000.mp4')
    with pytest.raises(SampleLoadError, match='video file not found'):
        OpenCVInit()(dict(filename=str(tmp_path / 'missing.mp4')))
    garbage = str(tmp_path / 'garbage.mp4')
    with open(garbage, 'wb') as f:
        f.write(np.random.default_rng(0).bytes(4096))
    with pytest.raises(SampleLoadError, match='cannot open') as info:
        OpenCVInit()(dict(filename=garbage))
    assert info.value.path == garbage
    results = OpenCVInit()(dict(filename=video, start_index=0,
                                frame_inds=np.array([5, 240])))
    assert results['total_frames'] == 240
    with pytest.raises(SampleLoadError, match='outside the video'):
        OpenCVDecode()(results)
    assert results['video_reader'] is None  # released
    with pytest.raises(ValueError, match="io_backend='disk'"):
        OpenCVInit(io_backend='petrel')
    truncated = str(tmp_path / 'truncated.mp4')
    with open(video, 'rb') as src, open(truncated, 'wb') as dst:
        data = src.read()
        dst.write(data[:len(data) // 2])
    with pytest.raises(SampleLoadError) as info:
        OpenCVDecode()(OpenCVInit()(dict(
            filename=truncated, start_index=0, frame_inds=np.array([200]))))
    assert info.value.path == truncated


def test_decord_init_keeps_the_last_video_open(generated, tmp_path):
    import pickle
    import shutil

    root, _ = generated(30)
    videos = [osp.join(root, 'videos', f'syn_{split}_000.mp4')
              for split in ('train', 'val')]
    init = DecordInit()  # cache_size=1

    def reader(path, transform=init):
        return transform(dict(filename=path))['video_reader']

    first = reader(videos[0])
    assert reader(videos[0]) is first
    assert reader(videos[1]) is not first
    assert reader(videos[0]) is not first  # evicted by the other video
    # a video rewritten on disk is opened again
    copy = str(tmp_path / 'copy.mp4')
    shutil.copy(videos[0], copy)
    before = reader(copy)
    with open(copy, 'ab') as f:
        f.write(b'\0')
    assert reader(copy) is not before
    # no cache: a new reader every time
    no_cache = DecordInit(cache_size=0)
    assert reader(videos[0], no_cache) is not reader(videos[0], no_cache)
    # pickled (spawned DataLoader workers) without the open readers
    clone = pickle.loads(pickle.dumps(init))
    assert len(clone.readers) == 0 and len(init.readers) == 1
    assert len(reader(videos[1], clone)) == len(reader(videos[1]))
    with pytest.raises(ValueError, match='capacity must be >= 0'):
        DecordInit(cache_size=-1)
