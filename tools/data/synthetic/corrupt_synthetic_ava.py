"""Copy a synthetic AVA-format dataset and break it, reproducibly.

For testing robustness to bad input (docs/data_preparation.md, "Bad
input"). The copy gets, chosen by ``--seed``:

- broken videos (``--video-ratio`` of each split, at least one per split),
  the kinds taking turns from ``--video-kinds``:
  ``truncate`` (file cut to half its bytes), ``garbage`` (random bytes of
  the same size), ``damage`` (random bytes over 10% of the file in the
  middle; decoding may or may not notice) and ``short`` (re-encoded with
  only the first half of its frames, so late keyframes point past its end);
- broken extracted frames (``--frame-ratio`` of each split's videos, at
  least one per split): every frame within half a second of one annotated
  keyframe is ``deleted``, cut to half (``truncated_jpeg``) or replaced by
  random bytes (``garbage_jpeg``), in turn;
- in the annotation CSVs of ``--csv-splits``: ``--bad-rows`` rows replaced by
  a malformed version (wrong column count, non-numeric field, box outside
  [0, 1], x2 < x1, in turn) and ``--unknown-label-rows`` rows given an
  action id that is not in the label map.

Everything broken is listed in ``DST/corruption_manifest.json`` and printed.

Example::

    python tools/data/synthetic/corrupt_synthetic_ava.py \\
        data/synthetic_ava data/synthetic_ava_corrupt --seed 0

A config training on the copy must not regenerate it: set
``synthetic_data = None`` and point ``data_root`` at the copy.
"""
import argparse
import csv
import json
import os
import os.path as osp
import shutil
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np

VIDEO_KINDS = ('truncate', 'garbage', 'damage', 'short')
FRAME_KINDS = ('deleted', 'truncated_jpeg', 'garbage_jpeg')
ROW_KINDS = ('columns', 'non_numeric', 'outside', 'inverted')
SPLITS = ('train', 'val')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Copy a synthetic AVA dataset and corrupt the copy')
    parser.add_argument('src', help='generated dataset folder')
    parser.add_argument('dst', help='folder of the corrupted copy (new)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--video-ratio', type=float, default=0.05,
                        help='fraction of each split\'s videos to break')
    parser.add_argument('--video-kinds', nargs='+', choices=VIDEO_KINDS,
                        default=list(VIDEO_KINDS))
    parser.add_argument('--frame-ratio', type=float, default=0.05,
                        help='fraction of each split\'s frame folders to '
                        'break')
    parser.add_argument('--frame-kinds', nargs='+', choices=FRAME_KINDS,
                        default=list(FRAME_KINDS))
    parser.add_argument('--csv-splits', nargs='*', choices=SPLITS,
                        default=['train'],
                        help='annotation CSVs whose rows are broken (val is '
                        'also the evaluation ground truth, left intact by '
                        'default)')
    parser.add_argument('--bad-rows', type=int, default=4,
                        help='malformed rows per CSV')
    parser.add_argument('--unknown-label-rows', type=int, default=1,
                        help='rows per CSV given an id not in the label map')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace DST if it exists')
    return parser.parse_args(argv)


def _count(ratio: float, total: int) -> int:
    return 0 if ratio <= 0 or total == 0 else min(
        total, max(1, int(round(ratio * total))))


def _video_ids(root: str, split: str) -> List[str]:
    ids = set()
    with open(osp.join(root, 'annotations', f'{split}.csv')) as f:
        for row in csv.reader(f):
            if row:
                ids.add(row[0])
    return sorted(ids)


def _keyframes(root: str, split: str, video_id: str) -> List[int]:
    """Annotated, not excluded keyframe seconds of one video."""
    annotations = osp.join(root, 'annotations')
    with open(osp.join(annotations, f'{split}.csv')) as f:
        seconds = {int(row[1]) for row in csv.reader(f)
                   if row and row[0] == video_id}
    excluded = osp.join(annotations, f'excluded_timestamps_{split}.csv')
    if osp.isfile(excluded):
        with open(excluded) as f:
            seconds -= {int(row[1]) for row in csv.reader(f)
                        if row and row[0] == video_id}
    return sorted(seconds)


def _generator_params(root: str) -> dict:
    with open(osp.join(root, 'generator.json')) as f:
        return json.load(f)['params']


def break_video(path: str, kind: str, rng: np.random.Generator) -> str:
    """Break one video file in place; returns what was done."""
    data = open(path, 'rb').read()
    size = len(data)
    if kind == 'truncate':
        data = data[:size // 2]
        detail = f'cut from {size} to {len(data)} bytes'
    elif kind == 'garbage':
        data = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
        detail = f'replaced by {size} random bytes'
    elif kind == 'damage':
        lo, n = size * 2 // 5, max(1, size // 10)
        data = (data[:lo] + rng.integers(0, 256, n, np.uint8).tobytes()
                + data[lo + n:])
        detail = f'bytes {lo}..{lo + n} overwritten with random bytes'
    elif kind == 'short':
        return _keep_first_half(path)
    else:
        raise ValueError(f'unknown video corruption {kind!r}')
    with open(path, 'wb') as f:
        f.write(data)
    return detail


def _keep_first_half(path: str) -> str:
    capture = cv2.VideoCapture(path)
    fps = capture.get(cv2.CAP_PROP_FPS)
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    if not frames:
        raise RuntimeError(f'{path}: OpenCV cannot read the video')
    kept = frames[:len(frames) // 2]
    height, width = frames[0].shape[:2]
    tmp = path + '.short.mp4'
    writer = cv2.VideoWriter(tmp, cv2.VideoWriter_fourcc(*'mp4v'), fps,
                             (width, height))
    for frame in kept:
        writer.write(frame)
    writer.release()
    os.replace(tmp, path)
    return f're-encoded with its first {len(kept)} of {len(frames)} frames'


def break_frames(frame_dir: str, kind: str, frame_numbers: Sequence[int],
                 tmpl: str, rng: np.random.Generator) -> List[str]:
    """Break the given frame files of one folder; returns their paths."""
    paths = []
    for number in frame_numbers:
        path = osp.join(frame_dir, tmpl.format(number))
        if not osp.isfile(path):
            continue
        if kind == 'deleted':
            os.remove(path)
        else:
            data = open(path, 'rb').read()
            data = (data[:len(data) // 2] if kind == 'truncated_jpeg' else
                    rng.integers(0, 256, len(data), np.uint8).tobytes())
            with open(path, 'wb') as f:
                f.write(data)
        paths.append(path)
    return paths


def break_row(fields: List[str], kind: str) -> List[str]:
    """A malformed version of one annotation row."""
    fields = list(fields)
    if kind == 'columns':
        return fields[:5]
    if kind == 'non_numeric':
        fields[3] = 'abc'
    elif kind == 'outside':
        fields[4] = '1.500'
    elif kind == 'inverted':
        fields[2], fields[4] = fields[4], fields[2]
        if float(fields[2]) == float(fields[4]):
            fields[2] = '1.000'
            fields[4] = '0.000'
    else:
        raise ValueError(f'unknown row corruption {kind!r}')
    return fields


def _max_label_id(root: str) -> int:
    import re
    text = open(osp.join(root, 'annotations', 'action_list.pbtxt')).read()
    return max(int(v) for v in re.findall(r'\bid:\s*(\d+)', text))


def break_csv(path: str, bad_rows: int, unknown_rows: int, unknown_id: int,
              rng: np.random.Generator) -> List[dict]:
    """Break rows of one annotation CSV in place; returns the records."""
    with open(path) as f:
        rows = [line.rstrip('\n').split(',') for line in f]
    picked = rng.choice(len(rows), size=min(len(rows), bad_rows +
                                             unknown_rows), replace=False)
    records = []
    for n, index in enumerate(sorted(picked.tolist())):
        if n < bad_rows:
            kind = ROW_KINDS[n % len(ROW_KINDS)]
            rows[index] = break_row(rows[index], kind)
        else:
            kind = 'unknown_label'
            rows[index][6] = str(unknown_id)
        records.append(dict(kind=kind, file=path, line=index + 1,
                            row=','.join(rows[index])))
    with open(path, 'w') as f:
        f.writelines(','.join(row) + '\n' for row in rows)
    return records


def corrupt(src: str, dst: str, args: argparse.Namespace) -> Dict:
    """Copy ``src`` to ``dst`` and break the copy; returns the manifest."""
    rng = np.random.default_rng(args.seed)
    if osp.exists(dst):
        if not args.overwrite:
            raise FileExistsError(f'{dst} exists; pass --overwrite')
        shutil.rmtree(dst)
    shutil.copytree(src, dst)
    params = _generator_params(src)
    fps, start = params['fps'], params['timestamp_start']
    manifest = dict(source=osp.abspath(src), seed=args.seed, videos=[],
                    frames=[], rows=[])
    video_turn = frame_turn = 0
    for split in SPLITS:
        ids = _video_ids(dst, split)
        order = rng.permutation(len(ids)).tolist()
        for index in order[:_count(args.video_ratio, len(ids))]:
            kind = args.video_kinds[video_turn % len(args.video_kinds)]
            video_turn += 1
            path = osp.join(dst, 'videos', f'{ids[index]}.mp4')
            if osp.isfile(path):
                manifest['videos'].append(dict(
                    kind=kind, split=split, video_id=ids[index], file=path,
                    detail=break_video(path, kind, rng)))
        order = rng.permutation(len(ids)).tolist()
        for index in order[:_count(args.frame_ratio, len(ids))]:
            kind = args.frame_kinds[frame_turn % len(args.frame_kinds)]
            frame_turn += 1
            video_id = ids[index]
            frame_dir = osp.join(dst, 'rawframes', video_id)
            keyframes = _keyframes(dst, split, video_id)
            if not keyframes:
                continue
            second = int(rng.choice(keyframes))
            centre = (second - start) * fps + 1  # img_00001 is frame 0
            numbers = range(max(1, centre - fps // 2),
                            centre + (fps + 1) // 2)
            files = break_frames(frame_dir, kind, numbers, 'img_{:05}.jpg',
                                 rng) if osp.isdir(frame_dir) else []
            if files:
                manifest['frames'].append(dict(
                    kind=kind, split=split, video_id=video_id,
                    keyframe=second, files=files))
    unknown_id = _max_label_id(dst) + 100
    for split in args.csv_splits:
        manifest['rows'] += break_csv(
            osp.join(dst, 'annotations', f'{split}.csv'), args.bad_rows,
            args.unknown_label_rows, unknown_id, rng)
    with open(osp.join(dst, 'corruption_manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=2)
    return manifest


def summary(manifest: Dict) -> str:
    """Human-readable lines of what was broken."""
    lines = []
    for item in manifest['videos']:
        lines.append(f'video  {item["kind"]:<14} {item["file"]}: '
                     f'{item["detail"]}')
    for item in manifest['frames']:
        lines.append(f'frames {item["kind"]:<14} {len(item["files"])} files '
                     f'around {item["video_id"]},{item["keyframe"]:04d}')
    for item in manifest['rows']:
        lines.append(f'row    {item["kind"]:<14} {item["file"]}:'
                     f'{item["line"]}: {item["row"]}')
    return '\n'.join(lines)


def main(argv: Optional[Sequence[str]] = None) -> Dict:
    args = parse_args(argv)
    manifest = corrupt(args.src, args.dst, args)
    print(summary(manifest))
    print(f'manifest: {osp.join(args.dst, "corruption_manifest.json")}')
    return manifest


if __name__ == '__main__':
    main()
