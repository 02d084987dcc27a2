"""Training data pipeline throughput (clips/s), as ratios against a
straightforward reference measured in the same run.

Sources, each through the same training pipeline (sampling, decoding,
random rescale and crop, flip, packing) in a DataLoader with 1 and 2
workers:

- ``sequential``: the reference. For every clip, ``cv2.VideoCapture``
  reads the video from its first frame to the clip's last frame (``grab``
  every frame, ``retrieve`` the sampled ones), as code without random
  access does;
- ``decord``: ``DecordInit`` + ``SampleAVAFrames`` + ``DecordDecode`` (one
  accurate seek, then the clip's span; opening indexes the whole video);
- ``opencv``: ``OpenCVInit`` + ``SampleAVAFrames`` + ``OpenCVDecode`` (the
  same, opening reads only the container header);
- ``frames``: ``SampleAVAFrames`` + ``RawFrameDecode`` (extracted JPEGs).

The data is a generated synthetic AVA-format dataset (``--data-root``;
generated there with ``--seconds`` / ``--videos`` when missing). The
reference's cost grows with the keyframe's time in the video, so longer
videos favour random access more (AVA's keyframes lie 2 to 898 s into
their 15-minute segments; the synthetic default is 120 s).

Usage::

    python benchmarks/data_pipeline.py --data-root /tmp/bench_ava \
        --seconds 120 --videos 4 --clips 96 --repeats 3
"""
import argparse
import os.path as osp
import time
from typing import Dict, List, Optional

import cv2
import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

from mmaction_aia.datasets import AVADataset
from mmaction_aia.datasets.synthetic import ensure_synthetic_ava
from mmaction_aia.datasets.transforms import (
    BaseTransform,
    SampleLoadError,
    map_boxes,
)

SOURCES = ('sequential', 'decord', 'opencv', 'frames')


class OpenCVSequentialDecode(BaseTransform):
    """The reference decoder: read the video from its start to the last
    sampled frame with ``cv2.VideoCapture`` (0-based ``frame_inds``).

    Args:
        (none)
    """

    def transform(self, results: dict) -> dict:
        frame_inds = np.asarray(results['frame_inds']).reshape(-1)
        frame_inds = frame_inds - results.get('start_index', 0)
        wanted = set(frame_inds.tolist())
        capture = cv2.VideoCapture(results['filename'])
        decoded = {}
        try:
            for index in range(int(frame_inds.max()) + 1):
                if not capture.grab():
                    raise SampleLoadError(results['filename'],
                                          f'cannot read frame {index}')
                if index in wanted:
                    _, img = capture.retrieve()
                    decoded[index] = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        finally:
            capture.release()
        imgs = [decoded[i].copy() for i in frame_inds.tolist()]
        height, width = imgs[0].shape[:2]
        scale = np.array([width, height, width, height], np.float32)
        results.update(imgs=imgs, original_shape=(height, width),
                       img_shape=(height, width), frame_inds=frame_inds)
        map_boxes(results, lambda boxes: (boxes * scale).astype(np.float32))
        return results


def build_dataset(root: str, source: str, args) -> AVADataset:
    sample = dict(type='SampleAVAFrames', clip_len=args.clip_len,
                  frame_interval=args.frame_interval)
    head = dict(
        sequential=[sample, OpenCVSequentialDecode()],
        decord=[dict(type='DecordInit'), sample, dict(type='DecordDecode')],
        opencv=[dict(type='OpenCVInit'), sample, dict(type='OpenCVDecode')],
        frames=[sample, dict(type='RawFrameDecode')])[source]
    tail = [
        dict(type='RandomRescale', scale_range=(112, 136)),
        dict(type='RandomCrop', size=112),
        dict(type='Flip', flip_ratio=0.5),
        dict(type='FormatShape', input_format='NCTHW', collapse=True),
        dict(type='PackActionInputs')
    ]
    ann = osp.join(root, 'annotations')
    use_frames = source == 'frames'
    prefix = (dict(img=osp.join(root, 'rawframes')) if use_frames else
              dict(video=osp.join(root, 'videos')))
    return AVADataset(
        ann_file=osp.join(ann, 'train.csv'),
        exclude_file=osp.join(ann, 'excluded_timestamps_train.csv'),
        label_file=osp.join(ann, 'action_list.pbtxt'),
        proposal_file=osp.join(ann, 'proposals_train.pkl'),
        num_classes=15, pipeline=head + tail, data_prefix=prefix,
        use_frames=use_frames, fps=args.fps, on_error='raise')


def throughput(dataset: AVADataset, indices: List[int], workers: int,
               batch_size: int) -> float:
    """Clips per second over ``indices``, not counting the first batch
    (worker start-up)."""
    loader = torch.utils.data.DataLoader(
        torch.utils.data.Subset(dataset, indices), batch_size=batch_size,
        num_workers=workers, collate_fn=pseudo_collate, shuffle=False)
    iterator = iter(loader)
    next(iterator)
    start = time.perf_counter()
    clips = sum(len(batch['inputs']) for batch in iterator)
    return clips / (time.perf_counter() - start)


def main(argv: Optional[list] = None) -> Dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data-root', default='/tmp/bench_synthetic_ava',
                        help='synthetic dataset (generated when missing)')
    parser.add_argument('--seconds', type=int, default=120,
                        help='video length when generating')
    parser.add_argument('--videos', type=int, default=4,
                        help='training videos when generating')
    parser.add_argument('--fps', type=int, default=30)
    parser.add_argument('--clips', type=int, default=96,
                        help='clips per measurement (spread over the set); '
                        'the first batch is not timed')
    parser.add_argument('--clip-len', type=int, default=32)
    parser.add_argument('--frame-interval', type=int, default=2)
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--workers', type=int, nargs='+', default=[1, 2])
    parser.add_argument('--repeats', type=int, default=3,
                        help='measurements per source (the best is shown)')
    parser.add_argument('--order', choices=('shuffled', 'sequential'),
                        default='shuffled', help='keyframe order: shuffled '
                        'as in training, or in file order as in testing')
    parser.add_argument('--size', type=int, nargs=2, default=(160, 120),
                        metavar=('WIDTH', 'HEIGHT'),
                        help='frame size when generating')
    args = parser.parse_args(argv)
    init_default_scope('mmaction_aia')

    root = ensure_synthetic_ava(
        args.data_root, seed=0, num_train_videos=args.videos,
        num_val_videos=1, seconds=args.seconds, fps=args.fps,
        width=args.size[0], height=args.size[1])
    datasets = {s: build_dataset(root, s, args) for s in SOURCES}
    size = len(datasets['frames'])
    # spread over the set; repeated when the set has fewer keyframes
    indices = np.resize(np.linspace(0, size - 1, min(args.clips, size)),
                        max(args.clips, 2 * args.batch_size)).astype(int)
    if args.order == 'shuffled':  # as a training epoch reads them
        indices = np.random.default_rng(0).permutation(indices)
    print(f'{root}: {size} training keyframes, {args.seconds} s videos at '
          f'{args.fps} fps; {len(indices)} clips of {args.clip_len} frames '
          f'x{args.frame_interval}, batch {args.batch_size}, {args.order} '
          f'order, best of {args.repeats}')

    results = {}
    print(f'{"source":<10} {"workers":>7} {"clips/s":>9} '
          f'{"vs sequential":>14}')
    for workers in args.workers:
        # sources interleaved, best of the repeats: other processes on the
        # machine slow down single measurements, never speed them up
        for _ in range(args.repeats):
            for source in SOURCES:
                rate = throughput(datasets[source], indices.tolist(),
                                  workers, args.batch_size)
                key = f'{source}/{workers}'
                results[key] = max(rate, results.get(key, 0.0))
        for source in SOURCES:
            rate = results[f'{source}/{workers}']
            ratio = rate / results[f'sequential/{workers}']
            print(f'{source:<10} {workers:>7} {rate:>9.1f} {ratio:>13.2f}x',
                  flush=True)
    return results


if __name__ == '__main__':
    main()
