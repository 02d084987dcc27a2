"""Live action detection on a stream: four threads, bounded queues.

The reader decodes frames (paced at the source's rate for files), keeps the
last clip span in a ring buffer and, every ``predict_stepsize`` frames,
hands the clip of the keyframe whose last clip frame just arrived to the
detector thread; the detector finds persons and hands them to the action
thread; the writer (the calling thread) draws the latest actions on every
frame and writes or shows it. Every hand-over is a :class:`DropQueue`: when
a stage is slow, the oldest item waits no longer and is dropped, so latency
stays bounded and memory stays constant however long the stream runs.
"""
import collections
import queue
import threading
import time
from typing import Callable, Deque, Dict, List, Optional

import cv2
import numpy as np

from .drawing import draw_persons, draw_status
from .keyframes import KeyframeAnalyser, ResultWriter, clip_indices
from .video_io import VideoSource, rss_mb

_STOP = object()


class DropQueue:
    """A bounded FIFO whose :meth:`put` drops the oldest item when full.

    Args:
        maxsize (int): Capacity (>= 1).
    """

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError(f'DropQueue maxsize must be >= 1, got {maxsize}')
        self._queue: queue.Queue = queue.Queue(maxsize)
        self._lock = threading.Lock()
        self.dropped = 0

    def put(self, item) -> None:
        with self._lock:
            while True:
                try:
                    self._queue.put_nowait(item)
                    return
                except queue.Full:
                    try:
                        self._queue.get_nowait()
                        self.dropped += 1
                    except queue.Empty:
                        pass

    def put_wait(self, item, cancel: threading.Event) -> None:
        """Put without dropping, waiting for room until ``cancel`` is set
        (then as :meth:`put`): for end-of-stream marks."""
        while not cancel.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue
        self.put(item)

    def get(self, timeout: Optional[float] = None):
        """The oldest item; raises ``queue.Empty`` after ``timeout``."""
        return self._queue.get(timeout=timeout)

    def qsize(self) -> int:
        return self._queue.qsize()


class StreamStats:
    """Counters and the latencies of the last ``window`` keyframes.

    Args:
        window (int): Latencies kept for the mean and percentiles.
    """

    def __init__(self, window: int = 1000) -> None:
        self.start = time.monotonic()
        self.frames_read = 0
        self.frames_written = 0
        self.keyframes_done = 0
        self.latencies: Deque[float] = collections.deque(maxlen=window)
        self.rss_start = rss_mb()
        self.rss_warm: Optional[float] = None
        self.rss_peak = self.rss_start

    def summary(self, drops: Dict[str, int]) -> str:
        elapsed = max(time.monotonic() - self.start, 1e-6)
        self.rss_peak = max(self.rss_peak, rss_mb())
        lat = np.asarray(self.latencies) if self.latencies else np.zeros(1)
        dropped = ', '.join(f'{k} {v}' for k, v in drops.items())
        return (f'{elapsed:6.1f}s | read {self.frames_read} '
                f'({self.frames_read / elapsed:.1f} fps) | written '
                f'{self.frames_written} ({self.frames_written / elapsed:.1f}'
                f' fps) | keyframes {self.keyframes_done} '
                f'({self.keyframes_done / elapsed:.2f}/s) | latency mean '
                f'{lat.mean():.2f}s p50 {np.percentile(lat, 50):.2f}s p95 '
                f'{np.percentile(lat, 95):.2f}s | dropped: {dropped} | '
                f'RSS {rss_mb():.0f} MiB')


class StreamPipeline:
    """Reader, detector and action threads feeding the caller's writer.

    Args:
        source (VideoSource): The stream.
        analyser (KeyframeAnalyser): Person detection and action model.
        offsets (list[int]): Clip frame offsets around a keyframe.
        predict_stepsize (int): Frames between keyframes.
        pace_fps (float, optional): Read a file at this rate (real time);
            None reads as fast as it decodes (cameras pace themselves).
        loop (bool): Restart a file at its end (for long soak runs).
        results (ResultWriter, optional): JSON / CSV of each keyframe.
        queue_size (int): Capacity of the frame queue to the writer.
    """

    def __init__(self, source: VideoSource, analyser: KeyframeAnalyser,
                 offsets: List[int], predict_stepsize: int,
                 pace_fps: Optional[float] = None, loop: bool = False,
                 results: Optional[ResultWriter] = None,
                 queue_size: int = 4) -> None:
        self.source = source
        self.analyser = analyser
        self.offsets = offsets
        self.step = predict_stepsize
        self.pace_fps = pace_fps
        self.loop = loop
        self.results = results
        self.frames_q = DropQueue(queue_size)
        self.detect_q = DropQueue(1)
        self.action_q = DropQueue(1)
        self.stats = StreamStats()
        self.stop_event = threading.Event()
        self.reader_done = threading.Event()
        self.latest: Dict = dict(persons=[], frame_index=-1)
        self.errors: List[str] = []
        #: why the writer stopped before the stream ended, if it did
        self.stopped_early: Optional[str] = None
        # the reader keeps only the frames a clip can still use
        span = max(offsets) - min(offsets) + 1
        self.ring: Deque = collections.deque(maxlen=span)
        self.threads = [
            threading.Thread(target=self._guard(f), name=name, daemon=True)
            for name, f in (('reader', self._read), ('detector', self._detect),
                            ('action', self._act))
        ]

    def _guard(self, target: Callable) -> Callable:
        def run() -> None:
            try:
                target()
            except Exception as exc:  # report, and stop the other threads
                self.errors.append(f'{target.__name__}: {exc!r}')
                self.stop_event.set()
        return run

    def drops(self) -> Dict[str, int]:
        return dict(frames=self.frames_q.dropped,
                    keyframes=self.detect_q.dropped + self.action_q.dropped)

    # ------------------------------------------------------------ threads
    def _read(self) -> None:
        index = -1
        start = time.monotonic()
        future = max(self.offsets)
        while not self.stop_event.is_set():
            frame = self.source.read()
            if frame is None:
                if self.loop and not self.source.ended_early and \
                        self.source.frames_read > 0:
                    self.source.capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                    self.source.frames_read = 0
                    continue
                break
            index += 1
            now = time.monotonic()
            if self.pace_fps:
                wait = start + index / self.pace_fps - now
                if wait > 0:
                    time.sleep(wait)
                    now = time.monotonic()
            self.stats.frames_read += 1
            self.ring.append((index, now, frame))
            self.frames_q.put((index, frame))
            key = index - future
            if key >= 0 and key % self.step == self.step // 2:
                frames = {i: (t, f) for i, t, f in self.ring}
                first = min(frames)
                clip = [frames[max(i, first)][1]
                        for i in clip_indices(key, self.offsets, index)]
                self.detect_q.put((key, frames[key][0], clip,
                                   frames[key][1]))
        self.reader_done.set()
        # the keyframes still queued are worked off, not dropped
        self.detect_q.put_wait(_STOP, self.stop_event)

    def _detect(self) -> None:
        while True:
            job = self.detect_q.get()
            if job is _STOP or self.stop_event.is_set():
                self.action_q.put_wait(_STOP, self.stop_event)
                return
            key, captured, clip, keyframe = job
            self.action_q.put((key, captured, clip,
                               self.analyser.detect(key, keyframe)))

    def _act(self) -> None:
        while True:
            job = self.action_q.get()
            if job is _STOP or self.stop_event.is_set():
                return
            key, captured, clip, dets = job
            result = self.analyser.predict(key, clip, dets)
            self.stats.latencies.append(time.monotonic() - captured)
            self.stats.keyframes_done += 1
            self.latest = result
            if self.results is not None:
                self.results.add(result)

    # ------------------------------------------------------------- writer
    def run(self, write: Callable[[np.ndarray], bool],
            max_seconds: Optional[float] = None, top_k: int = 3,
            report: Callable[[str], None] = print,
            report_every: float = 10.0) -> None:
        """Start the threads and hand annotated frames to ``write`` (which
        returns False to stop) until the stream ends, ``max_seconds`` pass
        or a thread fails."""
        report(f'RSS at start: {self.stats.rss_start:.0f} MiB')
        for thread in self.threads:
            thread.start()
        next_report = time.monotonic() + report_every
        while not self.stop_event.is_set():
            if max_seconds is not None and \
                    time.monotonic() - self.stats.start >= max_seconds:
                self.stopped_early = f'--max-seconds {max_seconds:g}'
                break
            if time.monotonic() >= next_report:
                report(self.stats.summary(self.drops()))
                if self.stats.rss_warm is None:  # models warmed up by now
                    self.stats.rss_warm = rss_mb()
                next_report += report_every
            try:
                index, frame = self.frames_q.get(timeout=0.1)
            except queue.Empty:
                if self.reader_done.is_set() and not any(
                        t.is_alive() for t in self.threads[1:]):
                    break
                continue
            frame = draw_persons(frame.copy(), self.latest['persons'], top_k)
            lat = self.stats.latencies[-1] if self.stats.latencies else 0.0
            draw_status(frame, f'frame {index} | actions of frame '
                        f'{self.latest["frame_index"]} | latency {lat:.2f}s')
            self.stats.frames_written += 1
            if not write(frame):
                self.stopped_early = 'the viewer'
                break
        self.stop_event.set()
        self.detect_q.put(_STOP)
        self.action_q.put(_STOP)
        for thread in self.threads:
            thread.join(timeout=30)
        report(self.stats.summary(self.drops()))
        warm = ('' if self.stats.rss_warm is None else
                f', after the first {report_every:g}s '
                f'{self.stats.rss_warm:.0f} MiB')
        report(f'RSS at start {self.stats.rss_start:.0f} MiB{warm}, at end '
               f'{rss_mb():.0f} MiB, peak sampled {self.stats.rss_peak:.0f}'
               ' MiB')
