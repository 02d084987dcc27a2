"""Helpers shared by the decoding transforms (frames, decord, OpenCV)."""
from typing import Callable, List, Optional, Sequence

import numpy as np

from .base import SampleLoadError, map_boxes


def set_decoded_frames(results: dict, imgs: List[np.ndarray]) -> None:
    """Store decoded frames and scale normalised boxes to pixels.

    Boxes of :data:`~.base.BOX_KEYS` arrive normalised to [0, 1] from the
    dataset; like mmaction2 they become pixel boxes of the decoded frame.
    """
    height, width = imgs[0].shape[:2]
    results['imgs'] = imgs
    results['original_shape'] = (height, width)
    results['img_shape'] = (height, width)
    scale = np.array([width, height, width, height], dtype=np.float32)
    map_boxes(results, lambda boxes: (boxes * scale).astype(np.float32))


def flat_frame_inds(results: dict) -> np.ndarray:
    """``results['frame_inds']`` flattened (and stored back flattened)."""
    frame_inds = np.asarray(results['frame_inds']).reshape(-1)
    results['frame_inds'] = frame_inds
    return frame_inds


def first_line(exc: Exception) -> str:
    """The first line of an exception's message (decoders are verbose)."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def check_sampling_fps(results: dict, video_fps: float,
                       filename: str) -> None:
    """Refuse frame indices sampled at another rate than the video's."""
    sampling_fps = results.get('sampling_fps')
    if sampling_fps and abs(sampling_fps - video_fps) > 1e-3:
        raise SampleLoadError(
            filename, f'the video has {video_fps:.3f} fps but its frame '
            f'indices were sampled at {sampling_fps:g} fps (the dataset '
            'fps); put the video Init transform (DecordInit, OpenCVInit) '
            'before SampleAVAFrames in the pipeline so that keyframe seconds '
            "map through the video's own frame rate")


def video_indices(results: dict, num_frames: int,
                  filename: str) -> np.ndarray:
    """0-based video frames ``frame_inds + offset - start_index``.

    Raises:
        SampleLoadError: An index is outside the video's ``num_frames``.
    """
    shift = results.get('offset', 0) - results.get('start_index', 0)
    video_inds = flat_frame_inds(results).astype(np.int64) + shift
    outside = (video_inds < 0) | (video_inds >= num_frames)
    if outside.any():
        raise SampleLoadError(
            filename, f'frame indices {video_inds[outside].tolist()} '
            f'(frame_inds + offset - start_index) are outside the video '
            f'of {num_frames} frames')
    return video_inds


def read_span(video_inds: Sequence[int], seek: Callable[[int], None],
              read: Callable[[bool], Optional[np.ndarray]]
              ) -> List[np.ndarray]:
    """Frames ``video_inds`` read in one pass over their span.

    ``seek(first)`` positions the reader at the first index; ``read(keep)``
    then advances one frame and returns it (RGB) when ``keep``. Repeated
    indices get copies, so that in-place ops downstream stay per frame.
    """
    first, last = min(video_inds), max(video_inds)
    wanted = set(video_inds)
    seek(first)
    decoded = {}
    for idx in range(first, last + 1):
        img = read(idx in wanted)
        if idx in wanted:
            decoded[idx] = img
    imgs, seen = [], set()
    for idx in video_inds:
        imgs.append(decoded[idx].copy() if idx in seen else decoded[idx])
        seen.add(idx)
    return imgs
