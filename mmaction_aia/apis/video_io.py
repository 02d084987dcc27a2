"""Reading videos and streams, writing annotated output, measuring memory.

:class:`VideoSource` reads a file, a camera (``0``) or a URL with OpenCV and
tells a video that ends early (truncated or corrupt) from one that ended;
:class:`FrameSink` writes an mp4 / avi file or a folder of JPEG images.
"""
import os
import os.path as osp
import sys
from typing import Optional, Tuple, Union

import cv2
import numpy as np


class VideoReadError(RuntimeError):
    """A video or stream that cannot be opened or decoded.

    Args:
        message (str): What failed, naming the source.
    """


def _is_stream(source: str) -> bool:
    return source.isdigit() or '://' in source


class VideoSource:
    """Frames of a video file, camera or stream, in order, as BGR arrays.

    Args:
        source (str | int): File path, camera index (``0`` or ``'0'``) or
            URL (``rtsp://``, ``http://``, ...).
        fallback_fps (float): Frame rate used when the source reports none.
    """

    def __init__(self, source: Union[str, int],
                 fallback_fps: float = 30.0) -> None:
        self.source = str(source)
        self.is_stream = _is_stream(self.source)
        if not self.is_stream and not osp.isfile(self.source):
            raise FileNotFoundError(f'video not found: {self.source}')
        target = int(self.source) if self.source.isdigit() else self.source
        self.capture = cv2.VideoCapture(target)
        if not self.capture.isOpened():
            raise VideoReadError(
                f'cannot open {self.source}: not a video OpenCV can decode '
                '(corrupt, truncated before its index, unsupported codec, or '
                'an unreachable camera / URL)')
        fps = self.capture.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if fps and np.isfinite(fps) and 0 < fps < 1000 \
            else fallback_fps
        count = self.capture.get(cv2.CAP_PROP_FRAME_COUNT)
        self.frame_count = int(count) if count and count > 0 and \
            not self.is_stream else 0
        self.width = int(self.capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(self.capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.frames_read = 0
        self.error: Optional[str] = None

    @property
    def video_id(self) -> str:
        """The file's stem, or ``'stream'`` for cameras and URLs."""
        if self.is_stream:
            return 'stream'
        return osp.splitext(osp.basename(self.source))[0]

    def read(self) -> Optional[np.ndarray]:
        """The next BGR frame, or None at the end (see :attr:`ended_early`).
        """
        try:
            ok, frame = self.capture.read()
        except cv2.error as exc:  # decoder failure inside OpenCV
            self.error = f'decoder error: {str(exc).strip().splitlines()[0]}'
            return None
        if not ok or frame is None:
            return None
        self.frames_read += 1
        return frame

    @property
    def ended_early(self) -> bool:
        """True when fewer frames were read than the file's header says
        (a truncated or corrupt file), or the decoder failed."""
        if self.error is not None:
            return True
        # container frame counts may be off by a frame or two
        return self.frame_count > 0 and \
            self.frames_read < self.frame_count - 2

    def end_message(self) -> str:
        """A line saying how reading ended, for the demos' last words."""
        if not self.ended_early:
            return f'{self.source}: read all {self.frames_read} frames'
        expected = (f' of the {self.frame_count} its header announces'
                    if self.frame_count else '')
        reason = self.error or 'the file is truncated or corrupt'
        return (f'{self.source}: reading stopped after {self.frames_read} '
                f'frames{expected}: {reason}; the output holds the frames '
                'read until then')

    def release(self) -> None:
        self.capture.release()


class FrameSink:
    """Write frames to a video file (``.mp4``, ``.avi``, ``.mkv``) or, for
    a path without one of those extensions, to a folder of JPEG images.

    Args:
        path (str): Output file or folder.
        fps (float): Frame rate of a video file.
        size (tuple[int, int]): ``(width, height)`` of the frames.
    """

    _fourcc = {'.mp4': 'mp4v', '.avi': 'MJPG', '.mkv': 'mp4v'}

    def __init__(self, path: str, fps: float, size: Tuple[int, int]) -> None:
        self.path = path
        self.size = tuple(int(v) for v in size)
        self.count = 0
        ext = osp.splitext(path)[1].lower()
        self.writer = None
        if ext in self._fourcc:
            os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
            self.writer = cv2.VideoWriter(
                path, cv2.VideoWriter_fourcc(*self._fourcc[ext]), fps,
                self.size)
            if not self.writer.isOpened():
                raise VideoReadError(f'cannot write video {path} '
                                     f'({self._fourcc[ext]} codec)')
        else:
            os.makedirs(path, exist_ok=True)

    def write(self, frame: np.ndarray) -> None:
        if (frame.shape[1], frame.shape[0]) != self.size:
            frame = cv2.resize(frame, self.size)
        if self.writer is not None:
            self.writer.write(frame)
        else:
            cv2.imwrite(osp.join(self.path, f'frame_{self.count:06d}.jpg'),
                        frame)
        self.count += 1

    def close(self) -> None:
        if self.writer is not None:
            self.writer.release()
            self.writer = None


def rss_mb() -> float:
    """Resident memory of this process in MiB (peak RSS off Linux)."""
    try:
        with open('/proc/self/statm') as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf('SC_PAGE_SIZE') / 2**20
    except (OSError, ValueError, IndexError):
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (2**20 if sys.platform == 'darwin' else 2**10)


def has_display() -> bool:
    """Whether a window can be shown (a display on Linux; other systems
    are assumed to have one)."""
    if sys.platform.startswith('linux'):
        return bool(os.environ.get('DISPLAY') or
                    os.environ.get('WAYLAND_DISPLAY'))
    return True
