"""Download and prepare AVA (annotations, proposals, videos, 15-min segments,
optionally frames) in the layout docs/data_preparation.md describes.

Each step skips the files it already wrote (interrupted downloads resume;
ffmpeg writes to a temporary name renamed on success), so a step can be
re-run until everything is there. ``--dry-run`` prints every URL, path and
command without touching the network or the disk. Only the Python standard
library is used; ``cut`` and ``frames`` need ffmpeg on the PATH.

Examples::

    python tools/data/ava/prepare_ava.py annotations --version 2.2
    python tools/data/ava/prepare_ava.py proposals
    python tools/data/ava/prepare_ava.py videos --jobs 4
    python tools/data/ava/prepare_ava.py cut --jobs 4
    python tools/data/ava/prepare_ava.py frames          # optional
    python tools/data/ava/prepare_ava.py --dry-run all --frames
"""
import argparse
import os
import os.path as osp
import shlex
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence

AVA_S3 = 'https://s3.amazonaws.com/ava-dataset'
ANNOTATION_URL = AVA_S3 + '/annotations/ava_v{version}.zip'
FILE_LIST_URL = AVA_S3 + '/annotations/ava_file_names_{split}_v2.1.txt'
VIDEO_URL = AVA_S3 + '/{split}/{name}'
PROPOSAL_URL = ('https://download.openmmlab.com/mmaction/dataset/ava/'
                'ava_dense_proposals_{split}.FAIR.recall_93.9.pkl')
VIDEO_EXTS = ('.mkv', '.mp4', '.webm', '.avi', '.mov', '.m4v')
FRAME_TMPL = 'img_%05d.jpg'


@dataclass
class Step:
    """One output to produce.

    Args:
        output (str): The file or folder the step writes; the step is
            skipped when it exists.
        description (str): What ``--dry-run`` prints.
        run (callable): Produces ``output``.
    """

    output: str
    description: str
    run: Callable[[], None]


# ------------------------------------------------------------------ actions
def download(url: str, path: str) -> None:
    """Fetch ``url`` into ``path`` through ``path + '.part'``.

    An existing ``.part`` file is resumed with an HTTP range request when
    the server allows it, and restarted otherwise.
    """
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    part = path + '.part'
    done = osp.getsize(part) if osp.exists(part) else 0
    request = urllib.request.Request(url)
    if done and url.startswith('http'):
        request.add_header('Range', f'bytes={done}-')
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            resumed = getattr(response, 'status', 200) == 206
            with open(part, 'ab' if resumed else 'wb') as f:
                shutil.copyfileobj(response, f, length=1 << 20)
    except urllib.error.HTTPError as exc:
        if exc.code != 416:  # 416: the partial file is already complete
            raise
    os.replace(part, path)


def extract_flat(zip_path: str, out_dir: str) -> None:
    """Extract every file of ``zip_path`` into ``out_dir`` (``unzip -j``),
    then delete the archive."""
    with zipfile.ZipFile(zip_path) as archive:
        for member in archive.infolist():
            if member.is_dir():
                continue
            target = osp.join(out_dir, osp.basename(member.filename))
            with archive.open(member) as src, open(target, 'wb') as dst:
                shutil.copyfileobj(src, dst)
    os.remove(zip_path)


def run_ffmpeg(command: List[str], tmp: str, output: str,
               tmp_is_dir: bool) -> None:
    """Run ``command`` (which writes ``tmp``), then rename it to ``output``.

    Raises:
        RuntimeError: ffmpeg failed; the message holds its last lines.
    """
    if osp.isdir(tmp):
        shutil.rmtree(tmp)  # left over from an interrupted run
    os.makedirs(tmp if tmp_is_dir else osp.dirname(tmp) or '.',
                exist_ok=True)
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = '\n'.join(proc.stderr.strip().splitlines()[-5:])
        raise RuntimeError(f'ffmpeg failed ({proc.returncode}) for '
                           f'{output}:\n{tail}')
    os.replace(tmp, output)


# -------------------------------------------------------------------- plans
def plan_annotations(args) -> List[Step]:
    """The annotation zip of AVA ``args.version``, unzipped flat."""
    url = ANNOTATION_URL.format(version=args.version)
    ann_dir = osp.join(args.data_root, 'annotations')
    zip_path = osp.join(ann_dir, osp.basename(url))
    # the training CSV stands for the whole archive
    marker = osp.join(ann_dir, f'ava_train_v{args.version}.csv')

    def run():
        download(url, zip_path)
        extract_flat(zip_path, ann_dir)

    return [Step(marker, f'download {url} -> {zip_path}, unzip into '
                         f'{ann_dir}', run)]


def plan_proposals(args) -> List[Step]:
    """mmaction2's person proposals (FAIR detector, recall 93.9%)."""
    steps = []
    for split in args.splits:
        url = PROPOSAL_URL.format(split=split)
        path = osp.join(args.data_root, 'annotations', osp.basename(url))
        steps.append(Step(path, f'download {url} -> {path}',
                          lambda url=url, path=path: download(url, path)))
    return steps


def video_names(args) -> Optional[List[str]]:
    """Names listed in the split's file list (downloaded when missing), or
    None in a dry run without the list."""
    path = args.file_list or osp.join(
        args.data_root, 'annotations',
        osp.basename(FILE_LIST_URL.format(split=args.split)))
    if not osp.exists(path):
        url = FILE_LIST_URL.format(split=args.split)
        print(f'download {url} -> {path}')
        if args.dry_run:
            print('  (the videos to download are the names in that list; '
                  'pass --file-list to see them in a dry run)')
            return None
        try:
            download(url, path)
        except OSError as exc:
            sys.exit(f'cannot download the video list {url}: {exc}')
    with open(path) as f:
        names = [line.strip() for line in f if line.strip()]
    if args.only:
        wanted = {i for value in args.only for i in value.split(',') if i}
        names = [n for n in names if osp.splitext(n)[0] in wanted]
    return names


def plan_videos(args) -> List[Step]:
    """The full-length films of the split, under their listed names."""
    names = video_names(args)
    steps = []
    for name in names or []:
        url = VIDEO_URL.format(split=args.split, name=name)
        path = osp.join(args.data_root, 'videos', name)
        steps.append(Step(path, f'download {url} -> {path}',
                          lambda url=url, path=path: download(url, path)))
    return steps


def input_videos(in_dir: str) -> List[str]:
    """Video files of ``in_dir`` (sorted), by extension."""
    videos = sorted(osp.join(in_dir, n) for n in (
        os.listdir(in_dir) if osp.isdir(in_dir) else [])
        if osp.splitext(n)[1].lower() in VIDEO_EXTS)
    if not videos:
        print(f'no videos ({", ".join(VIDEO_EXTS)}) in {in_dir} yet')
    return videos


def ffmpeg_step(output: str, tmp: str, command: List[str],
                tmp_is_dir: bool = False) -> Step:
    quoted = ' '.join(shlex.quote(c) for c in command)
    return Step(output, f'{quoted}\n  -> {output}',
                lambda: run_ffmpeg(command, tmp, output, tmp_is_dir))


def plan_cut(args) -> List[Step]:
    """Seconds ``start .. start + duration`` of each film, re-encoded to
    ``VIDEO_ID.mp4`` (H.264, ``fps`` frames per second, a key frame every
    ``gop`` frames so that clips decode quickly, no audio)."""
    in_dir = args.in_dir or osp.join(args.data_root, 'videos')
    out_dir = args.out_dir or osp.join(args.data_root, 'videos_15min')
    steps = []
    for video in input_videos(in_dir):
        video_id = osp.splitext(osp.basename(video))[0]
        output = osp.join(out_dir, video_id + '.mp4')
        tmp = output + '.part'
        rate = ['-r', f'{args.fps:g}'] if args.fps > 0 else []
        command = [args.ffmpeg, '-nostdin', '-loglevel', 'error', '-y',
                   '-ss', f'{args.start:g}', '-t', f'{args.duration:g}', '-i',
                   video, *rate, '-c:v', 'libx264', '-crf', str(args.crf),
                   '-preset', 'veryfast', '-g', str(args.gop), '-pix_fmt',
                   'yuv420p', '-an', '-f', 'mp4', tmp]
        steps.append(ffmpeg_step(output, tmp, command))
    return steps


def plan_frames(args) -> List[Step]:
    """``rawframes/VIDEO_ID/img_00001.jpg ...`` at ``fps`` from each
    segment: ``img_00001.jpg`` is the segment's first frame (second 900)."""
    if args.fps <= 0:
        sys.exit(f'frames: --fps must be > 0, got {args.fps:g} (the rate '
                 'the frames are extracted at, the dataset fps)')
    in_dir = args.in_dir or osp.join(args.data_root, 'videos_15min')
    out_dir = args.out_dir or osp.join(args.data_root, 'rawframes')
    steps = []
    for video in input_videos(in_dir):
        video_id = osp.splitext(osp.basename(video))[0]
        output = osp.join(out_dir, video_id)
        tmp = output + '.part'
        command = [args.ffmpeg, '-nostdin', '-loglevel', 'error', '-y', '-i',
                   video, '-r', f'{args.fps:g}', '-q:v', str(args.quality),
                   osp.join(tmp, FRAME_TMPL)]
        steps.append(ffmpeg_step(output, tmp, command, tmp_is_dir=True))
    return steps


def plan_all(args) -> List[Step]:
    """Annotations, proposals and videos; ``cut`` and ``frames`` are planned
    after the downloads they read (a dry run shows them on what exists)."""
    return (plan_annotations(args) + plan_proposals(args) +
            plan_videos(args))


PLANS = dict(annotations=plan_annotations, proposals=plan_proposals,
             videos=plan_videos, cut=plan_cut, frames=plan_frames)


# ------------------------------------------------------------------ running
def execute(steps: Sequence[Step], dry_run: bool, jobs: int) -> int:
    """Run the steps whose output is missing; return the number failed."""
    todo = []
    for step in steps:
        if osp.exists(step.output):
            print(f'skip {step.output} (exists)')
        elif dry_run:
            print(step.description)
        else:
            todo.append(step)
    if dry_run or not todo:
        return 0

    def attempt(numbered):
        index, step = numbered
        print(f'[{index}/{len(todo)}] {step.description}', flush=True)
        try:
            step.run()
            return None
        except (OSError, RuntimeError) as exc:  # URLError is an OSError
            return f'{step.output}: {exc}'

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        failures = [f for f in pool.map(attempt, enumerate(todo, 1)) if f]
    for failure in failures:
        print(f'FAILED {failure}', file=sys.stderr)
    if failures:
        print(f'{len(failures)} of {len(todo)} steps failed; run the same '
              'command again to retry them (finished files are kept).',
              file=sys.stderr)
    return len(failures)


def check_ffmpeg(args) -> None:
    if args.dry_run or shutil.which(args.ffmpeg):
        return
    sys.exit(f'{args.ffmpeg!r} not found: install ffmpeg (e.g. "apt install '
             'ffmpeg" or "conda install ffmpeg") or pass --ffmpeg PATH')


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f'expected an integer >= 1, got '
                                         f'{text}')
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)

    def add_common(p, defaults):
        # accepted before and after the step name
        p.add_argument('--data-root', default=defaults.get('data_root'),
                       help='dataset folder (default: data/ava)')
        p.add_argument('--dry-run', action='store_true',
                       default=defaults.get('dry_run'),
                       help='print URLs, paths and commands; change nothing')
        p.add_argument('--jobs', type=positive_int,
                       default=defaults.get('jobs'),
                       help='parallel downloads / ffmpeg processes')

    add_common(parser, dict(data_root='data/ava', dry_run=False, jobs=1))
    sub = parser.add_subparsers(dest='step', required=True)
    suppressed = dict.fromkeys(('data_root', 'dry_run', 'jobs'),
                               argparse.SUPPRESS)

    def add(name, help_text):
        step_parser = sub.add_parser(name, help=help_text)
        add_common(step_parser, suppressed)
        return step_parser

    def add_download_options(p):
        p.add_argument('--version', choices=('2.1', '2.2'), default='2.2',
                       help='annotation version (default: 2.2)')
        p.add_argument('--splits', nargs='+', default=['train', 'val'],
                       choices=('train', 'val', 'test'),
                       help='proposal files to fetch')
        p.add_argument('--split', choices=('trainval', 'test'),
                       default='trainval', help='videos to download')
        p.add_argument('--file-list', help='local list of video file '
                       'names (default: the official list, downloaded)')
        p.add_argument('--only', action='append', metavar='ID1,ID2',
                       help='download only these videos (comma-separated; '
                       'write --only=-5KQ66BBWC4 for ids starting with -)')

    def add_ffmpeg_options(p, fps_help, with_dirs=True):
        if with_dirs:
            p.add_argument('--in-dir', help='input videos folder')
            p.add_argument('--out-dir', help='output folder')
        p.add_argument('--fps', type=float, default=30, help=fps_help)
        p.add_argument('--ffmpeg', default='ffmpeg', help='ffmpeg binary')

    add_download_options(add('annotations', 'annotation CSVs, label '
                             'maps, exclusions (ava_vX.zip)'))
    add_download_options(add('proposals', 'person proposals pkl files'))
    add_download_options(add('videos', 'the full-length films'))
    cut = add('cut', 'cut the 15-minute segments (seconds 900-1801)')
    add_ffmpeg_options(cut, 'output frame rate, 0 keeps the source rate '
                       '(default: 30, as mmaction2)')
    cut.add_argument('--start', type=float, default=900)
    cut.add_argument('--duration', type=float, default=901)
    cut.add_argument('--crf', type=int, default=18, help='x264 quality')
    cut.add_argument('--gop', type=positive_int, default=30,
                     help='frames between key frames (default: 30)')
    frames = add('frames', 'extract img_%%05d.jpg frames of the segments')
    add_ffmpeg_options(frames, 'extraction frame rate (default: 30)')
    frames.add_argument('--quality', type=int, default=1,
                        help='JPEG quality of ffmpeg -q:v, 1 (best) to 31')
    everything = add('all', 'annotations, proposals, videos, cut and, with '
                     '--frames, frames')
    add_download_options(everything)
    add_ffmpeg_options(everything, 'segment / frame rate (default: 30)',
                       with_dirs=False)
    everything.add_argument('--frames', action='store_true',
                            help='also extract frames')
    everything.set_defaults(start=900, duration=901, crf=18, gop=30,
                            quality=1, in_dir=None, out_dir=None)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command line entry; returns the number of failed steps."""
    args = build_parser().parse_args(argv)
    if args.step == 'all':
        failed = execute(plan_all(args), args.dry_run, args.jobs)
        check_ffmpeg(args)
        failed += execute(plan_cut(args), args.dry_run, args.jobs)
        if args.frames:
            failed += execute(plan_frames(args), args.dry_run, args.jobs)
        return failed
    if args.step in ('cut', 'frames'):
        check_ffmpeg(args)
    return execute(PLANS[args.step](args), args.dry_run, args.jobs)


if __name__ == '__main__':
    sys.exit(1 if main() else 0)
