"""Spatio-temporal action detection on a video file.

Detects persons on keyframes (every ``--predict-stepsize`` frames), scores
their actions on a clip sampled around each keyframe exactly as the
config's test pipeline does, and writes an annotated video plus, on
request, JSON / CSV results. Frames are decoded once, in order, and only a
window of ``clip span + stepsize`` frames is held in memory, so any video
length works. On CPU with the defaults nothing is downloaded::

    python demo/demo_spatiotemporal_det.py VIDEO.mp4 out.mp4 \\
        --out-json out.json --out-csv out.csv

See docs/demo.md for every option.
"""
import argparse
import sys
from typing import Dict, List, Optional

import cv2
from mmengine.utils import ProgressBar

from mmaction_aia.apis.demo_args import (
    add_detector_args,
    add_model_args,
    build_from_args,
)
from mmaction_aia.apis.drawing import draw_persons, output_size
from mmaction_aia.apis.keyframes import (
    KeyframeAnalyser,
    ResultWriter,
    clip_indices,
)
from mmaction_aia.apis.video_io import FrameSink, VideoReadError, VideoSource


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('video', help='input video file')
    parser.add_argument('out', help='annotated output video (.mp4 / .avi) '
                        'or a folder for JPEG frames')
    add_model_args(parser)
    add_detector_args(parser)
    parser.add_argument('--predict-stepsize', type=int, default=8,
                        help='frames between keyframes (each keyframe labels '
                        'the stepsize frames around it)')
    parser.add_argument('--output-fps', type=float, default=None,
                        help='frame rate of the output (default: the '
                        'input\'s; lower rates keep every n-th frame)')
    parser.add_argument('--min-output-short-side', type=int, default=480,
                        help='upscale smaller videos so labels are legible')
    parser.add_argument('--out-json', help='results per keyframe (JSON)')
    parser.add_argument('--out-csv', help='results as AVA rows (CSV)')
    args = parser.parse_args(argv)
    if args.predict_stepsize < 1:
        parser.error('--predict-stepsize must be >= 1')
    return args


class VideoAnnotator:
    """Runs keyframes as their clips complete and writes labelled frames.

    Args:
        analyser (KeyframeAnalyser): Persons and actions of a keyframe.
        sink (FrameSink): Where annotated frames go.
        results (ResultWriter): JSON / CSV of each keyframe.
        offsets (list[int]): Clip frame offsets around a keyframe.
        step (int): Frames between keyframes.
        frame_stride (int): Write every n-th frame (lower output fps).
        top_k (int): Actions drawn per person.
    """

    def __init__(self, analyser: KeyframeAnalyser, sink: FrameSink,
                 results: ResultWriter, offsets: List[int], step: int,
                 frame_stride: int = 1, top_k: int = 3) -> None:
        self.analyser = analyser
        self.sink = sink
        self.results = results
        self.offsets = offsets
        self.step = step
        self.frame_stride = frame_stride
        self.top_k = top_k
        # keyframe k labels frames [k - step // 2, k - step // 2 + step)
        self.next_key = step // 2
        self.lookahead = max(max(offsets), step - step // 2 - 1, 0)
        self.frames: Dict[int, object] = {}
        self.next_write = 0
        self.persons: List[dict] = []
        self.keyframes = 0

    def push(self, index: int, frame) -> None:
        """Add frame ``index``; run every keyframe whose clip is complete.
        """
        self.frames[index] = frame
        while index >= self.next_key + self.lookahead:
            self._run_keyframe(index)

    def finish(self, last_index: int) -> None:
        """At the end of the video: the keyframes left, then the tail."""
        while self.next_key <= last_index:
            self._run_keyframe(last_index)
        self._write_until(last_index + 1)

    def _run_keyframe(self, last_index: int) -> None:
        key = self.next_key
        clip = [self.frames[i]
                for i in clip_indices(key, self.offsets, last_index)]
        result = self.analyser(key, clip, self.frames[key])
        self.results.add(result)
        self.keyframes += 1
        self._write_until(key - self.step // 2)
        self.persons = result['persons']
        self.next_key += self.step
        self._write_until(min(key - self.step // 2 + self.step,
                              last_index + 1))
        oldest = min(self.next_write, self.next_key + min(self.offsets))
        for index in [i for i in self.frames if i < oldest]:
            del self.frames[index]

    def _write_until(self, end: int) -> None:
        for index in range(self.next_write, end):
            if index % self.frame_stride == 0:
                frame = self.frames[index]
                width, height = self.sink.size
                if (frame.shape[1], frame.shape[0]) != (width, height):
                    frame = cv2.resize(frame, (width, height),
                                       interpolation=cv2.INTER_LINEAR)
                else:
                    frame = frame.copy()
                self.sink.write(draw_persons(frame, self.persons, self.top_k))
        self.next_write = max(self.next_write, end)


def run(args: argparse.Namespace) -> int:
    """Process the video; returns the exit code (1: input ended early)."""
    source = VideoSource(args.video)
    detector, predictor = build_from_args(args)
    out_fps = args.output_fps or source.fps
    stride = max(1, round(source.fps / out_fps))
    sink = FrameSink(args.out, out_fps, output_size(
        source.width, source.height, args.min_output_short_side))
    meta = dict(video=args.video, fps=source.fps, width=source.width,
                height=source.height, config=args.config,
                checkpoint=args.checkpoint,
                person_detector=type(detector).__name__,
                predict_stepsize=args.predict_stepsize,
                clip_len=predictor.clip_len,
                frame_interval=predictor.frame_interval,
                action_score_thr=args.action_score_thr,
                aia_memory_seconds=(None if predictor.memory is None else
                                    predictor.memory.before))
    results = ResultWriter(source.video_id, args.out_json, args.out_csv,
                           meta)
    annotator = VideoAnnotator(
        KeyframeAnalyser(detector, predictor, source.video_id, source.fps,
                         args.timestamp_start), sink, results,
        [int(o) for o in predictor.clip_offsets], args.predict_stepsize,
        stride, args.top_k)
    progress = ProgressBar(source.frame_count)
    index = -1
    try:
        while True:
            frame = source.read()
            if frame is None:
                break
            index += 1
            annotator.push(index, frame)
            progress.update()
        if index >= 0:
            annotator.finish(index)
    finally:
        sink.close()
        results.close()
        source.release()
    print(f'\n{source.end_message()}')
    print(f'{annotator.keyframes} keyframes, {sink.count} frames written to '
          f'{args.out}' + ''.join(f', results in {p}' for p in
                                  (args.out_json, args.out_csv) if p))
    if index < 0:
        print(f'error: no frame could be decoded from {args.video}',
              file=sys.stderr)
        return 1
    return 1 if source.ended_early else 0


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except (FileNotFoundError, VideoReadError, KeyError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())
