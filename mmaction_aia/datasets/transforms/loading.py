"""Loading transforms: frame sampling around AVA keyframes and decoding of
extracted frames (:class:`RawFrameDecode`) or of videos with decord
(:class:`DecordInit` + :class:`DecordDecode`).

Frame numbering, shared by all of them: ``frame_inds`` count frames of the
annotated segment from ``start_index`` (1 for extracted AVA frames, whose
``img_00001.jpg`` is at ``timestamp_start``; 0 for videos). Raw frames are
read from ``filename_tmpl.format(frame_ind + offset)``; videos decode the
0-based frame ``frame_ind + offset - start_index``. The same sampled indices
therefore give the same pictures from both sources.
"""
import io
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

from mmaction_aia.registry import TRANSFORMS

from .base import BaseTransform, SampleLoadError, read_bytes
from .decoding import (
    check_sampling_fps,
    first_line,
    flat_frame_inds,
    read_span,
    set_decoded_frames,
    video_indices,
)
from .reader_cache import VideoReaderCache


def _sampling_fps_and_shot(results: dict) -> Tuple[float, Tuple[int, int]]:
    """Frame rate mapping seconds to frames, and the shot in those frames.

    A video opened before sampling (``DecordInit`` first) gives its own
    frame rate ``avg_fps`` (e.g. 25 or 29.97); the shot, counted in frames
    at the dataset's ``fps``, is rescaled to it. Otherwise (extracted frames)
    the dataset's ``fps`` is the rate the frames were extracted at.
    """
    fps = results['fps']
    shot_start, shot_end = results['shot_info']
    video_fps = results.get('avg_fps')
    if video_fps:
        scale = video_fps / fps
        shot_start = int(round(shot_start * scale))
        shot_end = int(round(shot_end * scale))
        fps = video_fps
    return float(fps), (shot_start, shot_end)


@TRANSFORMS.register_module()
class SampleAVAFrames(BaseTransform):
    """Sample a clip of frames centred on an AVA keyframe (mmaction2 1.x).

    The keyframe at ``timestamp`` is the 0-based frame
    ``round(fps * (timestamp - timestamp_start))`` of the segment, e.g.
    second 902 of AVA at 30 fps is frame 60, i.e. ``img_00061.jpg`` with
    ``start_index=1``. ``fps`` is the video's own frame rate (``avg_fps``)
    when :class:`DecordInit` opened it before this transform (put it first
    in video pipelines: AVA's films run at 24, 25, 29.97 or 30 fps), and the
    dataset's ``fps`` otherwise (the rate frames were extracted at). The
    clip takes ``clip_len`` frames ``frame_interval`` apart around it
    (``clip_len // 2`` before the keyframe); in training each index is
    jittered by ``randint(-frame_interval // 2,
    (frame_interval + 1) // 2)``; indices are clipped to the shot
    ``[shot_info[0], shot_info[1] - 1]`` and ``start_index`` is added.

    mmaction2 adds a hard-coded ``+ 1`` and then ``results['start_index']``
    (0 in its AVADataset); here the ``+ 1`` is the ``start_index`` itself
    (default 1 when absent, so the frames read are the same), and clipping
    happens before it, so no index points before the first frame file.

    Required keys: ``fps``, ``timestamp``, ``timestamp_start``,
    ``shot_info``, ``start_index`` (optional), ``avg_fps`` (optional).
    Added keys: ``frame_inds``, ``clip_len``, ``frame_interval``,
    ``num_clips``, ``crop_quadruple``, ``sampling_fps`` (the rate used).

    Args:
        clip_len (int): Frames in the clip.
        frame_interval (int): Temporal stride between sampled frames.
            Defaults to 2.
        test_mode (bool): Disable the random jitter. Defaults to False.
    """

    _repr_fields = ('clip_len', 'frame_interval', 'test_mode')

    def __init__(self, clip_len: int, frame_interval: int = 2,
                 test_mode: bool = False) -> None:
        if clip_len < 1 or frame_interval < 1:
            raise ValueError('clip_len and frame_interval must be >= 1, got '
                             f'{clip_len} and {frame_interval}')
        self.clip_len = clip_len
        self.frame_interval = frame_interval
        self.test_mode = test_mode

    def transform(self, results: dict) -> dict:
        fps, (shot_start, shot_end) = _sampling_fps_and_shot(results)
        seconds = results['timestamp'] - results['timestamp_start']
        center = int(round(fps * seconds))
        steps = np.arange(-(self.clip_len // 2), (self.clip_len + 1) // 2)
        frame_inds = center + steps * self.frame_interval
        if not self.test_mode:
            # (-interval) // 2 as in mmaction2 (floor of the negative).
            frame_inds = frame_inds + np.random.randint(
                (-self.frame_interval) // 2, (self.frame_interval + 1) // 2,
                size=self.clip_len)
        frame_inds = np.clip(frame_inds, shot_start, shot_end - 1)
        frame_inds = frame_inds + results.get('start_index', 1)

        results['frame_inds'] = frame_inds.astype(np.int32)
        results['sampling_fps'] = fps
        results['clip_len'] = self.clip_len
        results['frame_interval'] = self.frame_interval
        results['num_clips'] = 1
        results['crop_quadruple'] = np.array([0, 0, 1, 1], dtype=np.float32)
        return results


def _is_truncated_jpeg(content: bytes) -> bool:
    """A JPEG (SOI marker) whose end-of-image marker FFD9 is missing.

    Entropy-coded JPEG data never holds FFD9 (0xFF is stuffed), so a file cut
    short has none near its end; a few trailing bytes are allowed.
    """
    return content[:2] == b'\xff\xd8' and b'\xff\xd9' not in content[-64:]


@TRANSFORMS.register_module()
class RawFrameDecode(BaseTransform):
    """Read extracted frames ``frame_dir/filename_tmpl.format(idx)``.

    Frames are decoded to RGB ``uint8`` arrays (mmcv's
    ``imfrombytes(channel_order='rgb')``); a frame index that repeats (clip
    clipped at a shot edge) is decoded once and copied. Normalised boxes
    (``gt_bboxes``, ``proposals``, ``objects``) are scaled to pixels.

    Required keys: ``frame_dir``, ``filename_tmpl``, ``frame_inds``,
    ``modality`` (only ``'RGB'``), ``offset`` (optional). Added or modified
    keys: ``imgs``, ``original_shape``, ``img_shape``, ``frame_inds``
    (flattened) and the box keys.

    Args:
        io_backend (str): mmengine file backend. Defaults to ``'disk'``.
        decoding_backend (str): ``'cv2'`` or ``'pillow'``. Defaults to
            ``'cv2'``.
        **kwargs: Extra arguments of the file backend.

    Raises:
        SampleLoadError: A frame file is missing or cannot be decoded; the
            message names the file.
    """

    _repr_fields = ('io_backend', 'decoding_backend')
    _decoding_backends = ('cv2', 'pillow')

    def __init__(self, io_backend: str = 'disk',
                 decoding_backend: str = 'cv2', **kwargs) -> None:
        if decoding_backend not in self._decoding_backends:
            raise ValueError(f'decoding_backend must be one of '
                             f'{self._decoding_backends}, got '
                             f'{decoding_backend!r}')
        self.io_backend = io_backend
        self.decoding_backend = decoding_backend
        self.kwargs = kwargs

    def _decode(self, content: bytes) -> Optional[np.ndarray]:
        if self.decoding_backend == 'cv2':
            img = cv2.imdecode(np.frombuffer(content, np.uint8),
                               cv2.IMREAD_COLOR)
            return None if img is None else cv2.cvtColor(
                img, cv2.COLOR_BGR2RGB)
        from PIL import Image
        try:
            with Image.open(io.BytesIO(content)) as pil_img:
                return np.asarray(pil_img.convert('RGB'))
        except (OSError, ValueError):
            return None

    def _load_frame(self, frame_dir: str, filename_tmpl: str,
                    frame_idx: int) -> np.ndarray:
        path = osp.join(frame_dir, filename_tmpl.format(frame_idx))
        try:
            content = read_bytes(path, self.io_backend, self.kwargs)
        except SampleLoadError as exc:
            raise SampleLoadError(
                path, f'cannot load frame {frame_idx} of {frame_dir!r} '
                f'({exc.reason}; expected the file named by filename_tmpl '
                f'{filename_tmpl!r})') from exc
        if _is_truncated_jpeg(content):
            # decoders fill the missing part in grey and only warn
            raise SampleLoadError(
                path, f'frame {frame_idx} is a truncated JPEG (no '
                'end-of-image marker); expected a complete image file')
        img = self._decode(content)
        if img is None:
            raise SampleLoadError(
                path, f'frame {frame_idx} is not a readable image '
                f'(decoding_backend={self.decoding_backend!r})')
        return img

    def transform(self, results: dict) -> dict:
        if results.get('modality', 'RGB') != 'RGB':
            raise ValueError(
                f'RawFrameDecode supports modality "RGB" only, got '
                f'{results["modality"]!r}')
        frame_dir = results['frame_dir']
        filename_tmpl = results['filename_tmpl']
        offset = results.get('offset', 0)

        decoded = {}
        imgs = []
        for frame_idx in flat_frame_inds(results).tolist():
            if frame_idx in decoded:
                # A copy, so that in-place ops downstream stay per frame.
                imgs.append(decoded[frame_idx].copy())
                continue
            img = self._load_frame(frame_dir, filename_tmpl,
                                   frame_idx + offset)
            decoded[frame_idx] = img
            imgs.append(img)
        set_decoded_frames(results, imgs)
        return results


@TRANSFORMS.register_module()
class DecordInit(BaseTransform):
    """Open ``results['filename']`` with decord.

    On the ``'disk'`` backend decord reads the file itself (no full copy in
    memory); other backends fetch the bytes through mmengine first.

    Required keys: ``filename``. Added keys: ``video_reader``,
    ``total_frames``, ``avg_fps``.

    Args:
        io_backend (str): mmengine file backend. Defaults to ``'disk'``.
        num_threads (int): Decoding threads of decord. Defaults to 1.
        cache_size (int): Videos kept open per process on the ``'disk'``
            backend (:class:`VideoReaderCache`), so that consecutive
            keyframes of a video skip re-indexing it; 0 opens every time.
            Defaults to 1.
        **kwargs: Extra arguments of the file backend.

    Raises:
        SampleLoadError: The video is missing or decord cannot open it.
    """

    _repr_fields = ('io_backend', 'num_threads', 'cache_size')

    def __init__(self, io_backend: str = 'disk', num_threads: int = 1,
                 cache_size: int = 1, **kwargs) -> None:
        self.io_backend = io_backend
        self.num_threads = num_threads
        self.cache_size = cache_size
        self.readers = VideoReaderCache(cache_size)
        self.kwargs = kwargs

    def transform(self, results: dict) -> dict:
        import decord

        filename = results['filename']
        if self.io_backend == 'disk' and not self.kwargs:
            if not osp.isfile(filename):
                raise SampleLoadError(filename, 'video file not found')
            source, key = filename, VideoReaderCache.file_key(filename)
        else:
            source = io.BytesIO(
                read_bytes(filename, self.io_backend, self.kwargs))
            key = None

        def open_reader():
            return decord.VideoReader(source, num_threads=self.num_threads)

        try:
            reader = (self.readers.get(key, open_reader) if key else
                      open_reader())
        except Exception as exc:  # decord raises several types
            raise SampleLoadError(
                filename, 'decord cannot open the video, it may be corrupt '
                f'or truncated ({first_line(exc)})') from exc
        results['video_reader'] = reader
        results['total_frames'] = len(reader)
        results['avg_fps'] = reader.get_avg_fps()
        return results


@TRANSFORMS.register_module()
class DecordDecode(BaseTransform):
    """Decode the sampled frames of a video opened by :class:`DecordInit`.

    Only the clip's span is decoded: one accurate seek to its first frame,
    then the frames up to its last one in order (about 3x faster than
    decord's ``get_batch``, which seeks again for each index, and the same
    pictures); spans longer than ``max_span`` frames fall back to
    ``get_batch``. The 0-based video
    frame of each index is ``frame_ind + offset - start_index`` (see the
    module docstring), so AVA indices sampled for extracted frames
    (``start_index=1``) decode the same pictures from the video. Frames come
    out RGB; normalised boxes are scaled to pixels as in
    :class:`RawFrameDecode`.

    Required keys: ``video_reader``, ``frame_inds``, ``filename``,
    ``start_index`` and ``offset`` (optional, 0). Added or modified keys:
    ``imgs``, ``original_shape``, ``img_shape``, ``video_reader`` (set to
    None), ``frame_inds`` (flattened) and the box keys.

    Args:
        mode (str): ``'accurate'`` decodes exact frames; ``'efficient'``
            seeks to each index and may return the nearest key frame.
            Defaults to ``'accurate'``.
        max_span (int): Longest span (last - first index + 1) read in
            order in ``'accurate'`` mode. Defaults to 512.

    Raises:
        SampleLoadError: An index is outside the video, decoding fails, or
            the indices were sampled at another frame rate than the
            video's (``sampling_fps``); the message names the video.
    """

    _repr_fields = ('mode', 'max_span')

    def __init__(self, mode: str = 'accurate', max_span: int = 512) -> None:
        if mode not in ('accurate', 'efficient'):
            raise ValueError(
                f"mode must be 'accurate' or 'efficient', got {mode!r}")
        self.mode = mode
        self.max_span = max_span

    def _decode(self, reader, video_inds: Sequence[int]) -> List[np.ndarray]:
        if self.mode == 'accurate':
            if max(video_inds) - min(video_inds) < self.max_span:
                return read_span(
                    video_inds, reader.seek_accurate,
                    lambda keep: reader.next().asnumpy() if keep else
                    reader.next())
            return list(reader.get_batch(list(video_inds)).asnumpy())
        imgs = []
        for idx in video_inds:
            reader.seek(idx)
            imgs.append(reader.next().asnumpy())
        return imgs

    def transform(self, results: dict) -> dict:
        reader = results['video_reader']
        filename = results.get('filename', '<video>')
        check_sampling_fps(results, reader.get_avg_fps(), filename)
        video_inds = video_indices(results, len(reader), filename)
        try:
            imgs = self._decode(reader, video_inds.tolist())
        except Exception as exc:  # decord raises several types
            raise SampleLoadError(
                filename, 'decord cannot decode frames '
                f'{video_inds.tolist()}, the video may be corrupt or '
                f'truncated ({first_line(exc)})') from exc
        results['video_reader'] = None
        set_decoded_frames(results, imgs)
        return results
