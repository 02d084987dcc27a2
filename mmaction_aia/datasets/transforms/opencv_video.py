"""Video decoding with OpenCV seeking (:class:`OpenCVInit` +
:class:`OpenCVDecode`, mmaction2's names).

decord indexes every packet of a video when it opens it: about 0.2 s for a
15-minute AVA segment even at 160x120, paid for every sample in a shuffled
training epoch, several times the cost of decoding the clip. OpenCV only
reads the container header, then seeks to the key frame before the clip
and decodes forward; on constant-frame-rate videos (the segments
``tools/data/ava/prepare_ava.py cut`` writes) it returns the same frames as
decord, bit for bit.
"""
import os.path as osp

import cv2
import numpy as np

from mmaction_aia.registry import TRANSFORMS

from .base import BaseTransform, SampleLoadError
from .decoding import (
    check_sampling_fps,
    read_span,
    set_decoded_frames,
    video_indices,
)


@TRANSFORMS.register_module()
class OpenCVInit(BaseTransform):
    """Open ``results['filename']`` with ``cv2.VideoCapture``.

    Only the container header is read: the frame count and frame rate come
    from it. Put it before :class:`SampleAVAFrames`, which then maps the
    keyframe second through the video's own frame rate.

    Required keys: ``filename``. Added keys: ``video_reader``,
    ``total_frames``, ``avg_fps``.

    Args:
        io_backend (str): Only ``'disk'`` (OpenCV reads files itself).
        num_threads (int): Decoding threads per video, 0 for OpenCV's
            default (all cores). Defaults to 1, as :class:`DecordInit`:
            DataLoader workers already decode in parallel.

    Raises:
        SampleLoadError: The video is missing, cannot be opened, or has no
            frame count or frame rate.
    """

    _repr_fields = ('io_backend', 'num_threads')

    def __init__(self, io_backend: str = 'disk',
                 num_threads: int = 1) -> None:
        if io_backend != 'disk':
            raise ValueError('OpenCVInit reads local files only '
                             f"(io_backend='disk'), got {io_backend!r}; use "
                             'DecordInit for other backends')
        self.io_backend = io_backend
        self.num_threads = num_threads

    def transform(self, results: dict) -> dict:
        filename = results['filename']
        if not osp.isfile(filename):
            raise SampleLoadError(filename, 'video file not found')
        params = ([cv2.CAP_PROP_N_THREADS, self.num_threads]
                  if self.num_threads > 0 else [])
        capture = cv2.VideoCapture(filename, cv2.CAP_FFMPEG, params)
        num_frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        fps = capture.get(cv2.CAP_PROP_FPS)
        if not capture.isOpened() or num_frames <= 0 or fps <= 0:
            capture.release()
            raise SampleLoadError(
                filename, 'OpenCV cannot open the video or read its frame '
                f'count ({num_frames}) and rate ({fps:g} fps); it may be '
                'corrupt or truncated')
        results['video_reader'] = capture
        results['total_frames'] = num_frames
        results['avg_fps'] = fps
        return results


@TRANSFORMS.register_module()
class OpenCVDecode(BaseTransform):
    """Decode the sampled frames of a video opened by :class:`OpenCVInit`.

    One seek to the clip's first frame, then the frames up to its last one
    in order (only the sampled ones are converted). Indices map to 0-based
    video frames as in :class:`DecordDecode` (``frame_ind + offset -
    start_index``); frames come out RGB; normalised boxes are scaled to
    pixels. The capture is released.

    Required keys: ``video_reader``, ``total_frames``, ``avg_fps``,
    ``frame_inds``, ``filename``, ``start_index`` and ``offset`` (optional).
    Added or modified keys: ``imgs``, ``original_shape``, ``img_shape``,
    ``video_reader`` (set to None), ``frame_inds`` (flattened) and the box
    keys.

    Args:
        (none)

    Raises:
        SampleLoadError: An index is outside the video, a frame cannot be
            read (truncated or corrupt video), or the indices were sampled
            at another frame rate than the video's; the message names the
            video.
    """

    def transform(self, results: dict) -> dict:
        capture = results['video_reader']
        filename = results.get('filename', '<video>')
        try:
            check_sampling_fps(results, results['avg_fps'], filename)
            video_inds = video_indices(results, results['total_frames'],
                                       filename)

            def read(keep: bool):
                if not capture.grab():
                    raise SampleLoadError(
                        filename, 'cannot read frames '
                        f'{video_inds.tolist()}: the video ends early, it '
                        'may be truncated or corrupt')
                if not keep:
                    return None
                ok, img = capture.retrieve()
                if not ok:
                    raise SampleLoadError(filename, 'cannot decode frames '
                                          f'{video_inds.tolist()}')
                return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)

            imgs = read_span(
                video_inds.tolist(),
                lambda first: capture.set(cv2.CAP_PROP_POS_FRAMES, first),
                read)
        finally:
            capture.release()
            results['video_reader'] = None
        set_decoded_frames(results, [np.ascontiguousarray(i) for i in imgs])
        return results
