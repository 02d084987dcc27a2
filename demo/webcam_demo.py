"""Live spatio-temporal action detection on a camera, stream or file.

Reader, person detector, action model and writer run in separate threads
joined by bounded queues that drop the oldest item when a stage falls
behind: latency stays bounded and memory constant however long it runs
(RSS is printed at start and end, with FPS and latency every few seconds).
Headless unless ``--show`` is given and a display exists::

    python demo/webcam_demo.py --input-video 0 --show
    python demo/webcam_demo.py --input-video clip.mp4 --output out.mp4 \\
        --max-seconds 120 --loop

See docs/demo.md for every option.
"""
import argparse
import sys
from typing import List, Optional

import cv2

from mmaction_aia.apis.demo_args import (
    add_detector_args,
    add_model_args,
    build_from_args,
)
from mmaction_aia.apis.keyframes import KeyframeAnalyser, ResultWriter
from mmaction_aia.apis.stream import StreamPipeline
from mmaction_aia.apis.video_io import (
    FrameSink,
    VideoReadError,
    VideoSource,
    has_display,
)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--input-video', default='0',
                        help='camera index (0), stream URL or video file')
    parser.add_argument('--output', help='annotated output: a video file '
                        '(.mp4 / .avi) or a folder for JPEG frames')
    parser.add_argument('--show', action='store_true',
                        help='show a window (ignored without a display)')
    add_model_args(parser)
    add_detector_args(parser)
    parser.add_argument('--predict-stepsize', type=int, default=8,
                        help='frames between keyframes')
    parser.add_argument('--source-fps', type=float, default=None,
                        help='read a file at this rate (default: its own, '
                        'as a live source would deliver it); 0: as fast as '
                        'it decodes')
    parser.add_argument('--loop', action='store_true',
                        help='restart a file at its end')
    parser.add_argument('--max-seconds', type=float, default=None,
                        help='stop after this many seconds')
    parser.add_argument('--out-json', help='results per keyframe (JSON)')
    parser.add_argument('--out-csv', help='results as AVA rows (CSV)')
    parser.add_argument('--report-every', type=float, default=10.0,
                        help='seconds between FPS / latency / RSS lines')
    args = parser.parse_args(argv)
    if args.predict_stepsize < 1:
        parser.error('--predict-stepsize must be >= 1')
    return args


def run(args: argparse.Namespace) -> int:
    source = VideoSource(args.input_video)
    detector, predictor = build_from_args(args)
    show = args.show and has_display()
    if args.show and not show:
        print('no display found: running headless (--show ignored)')
    results = None
    if args.out_json or args.out_csv:
        results = ResultWriter(source.video_id, args.out_json, args.out_csv,
                               dict(source=args.input_video, fps=source.fps))
    pace = None if source.is_stream else (
        args.source_fps if args.source_fps is not None else source.fps)
    pipeline = StreamPipeline(
        source, KeyframeAnalyser(detector, predictor, source.video_id,
                                 source.fps, args.timestamp_start),
        [int(o) for o in predictor.clip_offsets], args.predict_stepsize,
        pace_fps=pace or None, loop=args.loop, results=results)
    sink = None
    if args.output:
        sink = FrameSink(args.output, source.fps,
                         (source.width, source.height))

    def write(frame) -> bool:
        if sink is not None:
            sink.write(frame)
        if show:
            cv2.imshow('mmaction-aia', frame)
            if cv2.waitKey(1) & 0xFF in (ord('q'), 27):
                return False
        return True

    print(f'{args.input_video}: {source.width}x{source.height} at '
          f'{source.fps:.1f} fps; person detector '
          f'{type(detector).__name__}; clip {predictor.clip_len}x'
          f'{predictor.frame_interval}; keyframe every '
          f'{args.predict_stepsize} frames' + (
              f'; AIA online memory of the past {predictor.memory.before} s'
              if predictor.memory is not None else ''))
    try:
        pipeline.run(write, args.max_seconds, args.top_k,
                     report_every=args.report_every)
    except KeyboardInterrupt:
        pipeline.stopped_early = 'Ctrl+C'
        pipeline.stop_event.set()
    finally:
        if sink is not None:
            sink.close()
        if results is not None:
            results.close()
        source.release()
        if show:
            cv2.destroyAllWindows()
    for error in pipeline.errors:
        print(f'error in thread {error}', file=sys.stderr)
    if pipeline.stopped_early:
        print(f'{args.input_video}: stopped by {pipeline.stopped_early} '
              f'after {pipeline.stats.frames_read} frames')
        return 1 if pipeline.errors else 0
    print(source.end_message())
    return 1 if pipeline.errors or source.ended_early else 0


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except (FileNotFoundError, VideoReadError, KeyError) as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())
