"""Bounded queues that drop, and the threaded stream pipeline staying
bounded when a stage is slow."""
import time

import numpy as np

from mmaction_aia.apis import ActionPredictor, KeyframeAnalyser, init_detector
from mmaction_aia.apis.person_detectors import Detections
from mmaction_aia.apis.stream import DropQueue, StreamPipeline
from mmaction_aia.apis.video_io import VideoSource


def test_drop_queue_keeps_newest_and_counts_drops():
    q = DropQueue(3)
    for item in range(10):
        q.put(item)
        assert q.qsize() <= 3
    assert q.dropped == 7
    assert [q.get(timeout=1) for _ in range(3)] == [7, 8, 9]


class SlowDetector:
    """Always finds one person, slowly (so keyframes pile up and drop)."""

    def __call__(self, frame, video_id=None, timestamp=None):
        time.sleep(0.3)
        h, w = frame.shape[:2]
        return Detections(np.array([[0.1 * w, 0.1 * h, 0.5 * w, 0.9 * h]],
                                   np.float32), np.array([0.9], np.float32))


def test_stream_pipeline_drops_keyframes_and_stays_bounded(
        tiny_model_files, tiny_video):
    model = init_detector(*tiny_model_files)
    predictor = ActionPredictor(model, score_thr=0.0)
    source = VideoSource(tiny_video[0])
    pipeline = StreamPipeline(
        source, KeyframeAnalyser(SlowDetector(), predictor, 'tiny',
                                 source.fps),
        [int(o) for o in predictor.clip_offsets], predict_stepsize=2,
        pace_fps=None, queue_size=2)
    written, sizes, lines = [], [], []

    def write(frame):
        written.append(frame.shape)
        sizes.append((pipeline.frames_q.qsize(), pipeline.detect_q.qsize(),
                      pipeline.action_q.qsize()))
        time.sleep(0.01)
        return True

    pipeline.run(write, max_seconds=30, report=lines.append)
    assert not pipeline.errors
    assert pipeline.stats.frames_read == 48
    assert max(s[0] for s in sizes) <= 2
    assert max(s[1] for s in sizes) <= 1 and max(s[2] for s in sizes) <= 1
    # keyframes 1, 3, ..., 35 (the last clip frame 12 after each), but a
    # 0.3 s detector: some are dropped, each one either done or dropped
    drops = pipeline.drops()
    assert drops['keyframes'] > 0
    assert pipeline.stats.keyframes_done + drops['keyframes'] == 18
    assert pipeline.stats.keyframes_done >= 2  # the first and the last
    assert len(written) + drops['frames'] == 48
    assert written[0] == (60, 80, 3)
    assert lines[0].startswith('RSS at start')
    assert 'at end' in lines[-1] and 'latency mean' in lines[-2]
    assert len(pipeline.ring) <= 29  # the clip span, not the stream
