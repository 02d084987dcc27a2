"""Speed and memory of AVA frame-mAP: mmaction-aia against mmaction2 1.2.0.

Generates an input shaped like AVA v2.2 val (64 videos x 897 keyframes,
~2.5 persons and ~5 ground-truth rows per keyframe, 6 detected boxes per
keyframe with scores for all 80 classes, or only those > 0.002 with
``--above-thr``), then runs, each in its own process, timed inside the
process and with the peak memory of its whole process tree (sum of PSS, so
forked workers' shared pages count once) sampled from /proc every 50 ms:

1. the reference: mmaction2 1.2.0's ``ava_eval`` (its Pool(32) included),
   loaded from the wheel (see tests/evaluation/ava_reference.py);
2. ``evaluate_ava_files(mode='mmaction2')``: must give the same mAP;
3. ``evaluate_ava_files(mode='official')`` (the default semantics);
4. with ``--official-reference``: ActivityNet's rules on the TF evaluator
   from mmaction2 0.24.1, which must give the same mAP as 3.

The reference needs ~5 GB at ``--scale 0.25`` and ~20 GB at full size with
all 80 classes: measure the ratio at 0.25 and run ``--scale 1
--skip-reference`` for the toolkit alone. Usage::

    python benchmarks/ava_eval.py --scale 0.25
    python benchmarks/ava_eval.py --scale 1 --skip-reference
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from typing import Dict, Tuple

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmaction_aia.evaluation.functional import (  # noqa: E402
    AVA_EVALUATED_CLASSES,
    write_ava_results,
    write_label_map,
)

FRAMES_PER_VIDEO = 897
BOXES_PER_FRAME = 6


def generate(folder: str, scale: float, above_thr: bool,
             seed: int = 0) -> Dict[str, str]:
    """Write the AVA-v2.2-val-shaped input; returns its paths."""
    rng = np.random.default_rng(seed)
    num_videos = max(1, round(64 * scale))
    videos = [f'v{i:02d}' + ''.join(rng.choice(list('abcdefghijKLMNOP'), 8))
              for i in range(num_videos)]
    frames = num_videos * FRAMES_PER_VIDEO
    video_of = np.repeat(np.arange(num_videos), FRAMES_PER_VIDEO)
    time_of = np.tile(np.arange(902, 902 + FRAMES_PER_VIDEO), num_videos)
    persons = 1 + rng.poisson(1.5, frames)
    person_frame = np.repeat(np.arange(frames), persons)
    size = rng.uniform(0.1, 0.45, (person_frame.size, 2))
    corner = rng.uniform(0, 1, (person_frame.size, 2)) * (1 - size)
    person_box = np.round(np.concatenate([corner, corner + size], 1), 3)
    pose = rng.integers(1, 15, person_frame.size)
    extra = rng.poisson(1.0, person_frame.size)
    gt_person = np.concatenate([np.arange(person_frame.size),
                                np.repeat(np.arange(person_frame.size),
                                          extra)])
    gt_label = np.concatenate([pose, rng.integers(15, 81, extra.sum())])
    order = np.lexsort((gt_person, person_frame[gt_person]))
    gt_person, gt_label = gt_person[order], gt_label[order]
    paths = {k: os.path.join(folder, f) for k, f in (
        ('gt', 'ava_val_v2.2.csv'), ('pred', 'results.csv'),
        ('label_map', 'ava_action_list_v2.2_for_activitynet_2019.pbtxt'),
        ('exclusions', 'ava_val_excluded_timestamps_v2.2.csv'))}
    first = np.cumsum(persons) - persons
    gt_rank = gt_person - first[person_frame[gt_person]]
    with open(paths['gt'], 'w') as f:
        for p, label, rank in zip(gt_person.tolist(), gt_label.tolist(),
                                  gt_rank.tolist()):
            frame = person_frame[p]
            box = ','.join(f'{v:.3f}' for v in person_box[p])
            f.write(f'{videos[video_of[frame]]},{time_of[frame]},{box},'
                    f'{label},{rank}\n')
    write_label_map(paths['label_map'], AVA_EVALUATED_CLASSES)
    excluded = rng.choice(frames, max(1, frames // 200), replace=False)
    with open(paths['exclusions'], 'w') as f:
        f.writelines(f'{videos[video_of[i]]},{time_of[i]}\n'
                     for i in sorted(excluded))
    _write_predictions(paths['pred'], rng, videos, video_of, time_of,
                       persons, person_box, gt_person, gt_label, above_thr)
    return paths


def _write_predictions(path, rng, videos, video_of, time_of, persons,
                       person_box, gt_person, gt_label, above_thr) -> None:
    """6 boxes per keyframe (jittered persons, then false positives)."""
    frames = persons.size
    first = np.cumsum(persons) - persons
    slot = np.arange(BOXES_PER_FRAME)
    person = first[:, None] + slot
    real = slot < np.minimum(persons, BOXES_PER_FRAME)[:, None]
    size = rng.uniform(0.1, 0.45, (frames, BOXES_PER_FRAME, 2))
    corner = rng.uniform(0, 1, size.shape) * (1 - size)
    boxes = np.concatenate([corner, corner + size], 2)
    jitter = person_box[np.where(real, person, 0)] + rng.normal(
        0, 0.02, boxes.shape)
    boxes = np.clip(np.where(real[..., None], jitter, boxes), 0, 1)
    boxes = np.sort(boxes.reshape(-1, 2, 2), axis=1).reshape(-1, 4)
    scores = rng.random((frames * BOXES_PER_FRAME, 80)) ** 8
    box_of_person = np.full(person_box.shape[0], -1)
    flat = (np.arange(frames)[:, None] * BOXES_PER_FRAME + slot)[real]
    box_of_person[person[real]] = flat
    hit = box_of_person[gt_person] >= 0
    scores[box_of_person[gt_person[hit]], gt_label[hit] - 1] = rng.uniform(
        0.2, 1.0, hit.sum())
    scores = np.round(scores, 4)
    box_index, class_index = np.nonzero(scores > 0.002 if above_thr else
                                        np.ones_like(scores, bool))
    frame = box_index // BOXES_PER_FRAME
    write_ava_results(path, videos, video_of[frame], time_of[frame],
                      np.round(boxes[box_index], 3), class_index + 1,
                      scores[box_index, class_index])


def _memory(pid: int) -> int:
    """Proportional set size of a process (shared pages split), bytes."""
    try:
        with open(f'/proc/{pid}/smaps_rollup') as f:
            for line in f:
                if line.startswith('Pss:'):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _tree_memory(root: int) -> int:
    """Memory of ``root`` and all its descendants (sum of PSS), bytes."""
    parents = {}
    for name in os.listdir('/proc'):
        if name.isdigit():
            try:
                with open(f'/proc/{name}/stat') as f:
                    parents[int(name)] = int(
                        f.read().rsplit(')', 1)[1].split()[1])
            except (OSError, IndexError):
                continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += _memory(pid)
        todo += [child for child, parent in parents.items() if parent == pid]
    return total


def run_measured(code: str) -> Tuple[dict, int]:
    """Run ``code`` in a fresh Python; (its JSON line, peak tree PSS)."""
    process = subprocess.Popen([sys.executable, '-c', code], cwd=ROOT,
                               stdout=subprocess.PIPE, text=True)
    peak = [0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], _tree_memory(process.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = process.communicate()
    sampler.join()
    if process.returncode:
        raise RuntimeError(f'benchmark child failed:\n{code}')
    return json.loads(out.strip().splitlines()[-1]), peak[0]


_BASE = '''
def base():
    with open('/proc/self/smaps_rollup') as f:
        return [int(x.split()[1]) * 1024 for x in f if x.startswith('Pss:')][0]
'''
_OURS = _BASE + '''
import json, time
from mmaction_aia.evaluation.functional import evaluate_ava_files
before = base()
start = time.perf_counter()
result = evaluate_ava_files({gt!r}, {pred!r}, {label_map!r}, {exclusions!r},
                            mode={mode!r})
print(json.dumps({{'wall': time.perf_counter() - start, 'mAP': result.mAP,
                  'base': before}}))
'''
_REFERENCE = _BASE + '''
import json, sys, time
sys.path.insert(0, 'tests/evaluation')
import ava_reference
before = base()
start = time.perf_counter()
{call}
print(json.dumps({{'wall': time.perf_counter() - start, 'mAP': mean_ap,
                  'base': before}}))
'''
_MMACTION2 = ('result, _ = ava_reference.mmaction2_evaluate({gt!r}, '
              '{pred!r}, {label_map!r}, {exclusions!r}, serial=False)\n'
              "mean_ap = result['overall']")
_OFFICIAL = ('mean_ap, _ = ava_reference.official_evaluate({gt!r}, {pred!r}, '
             '{label_map!r}, {exclusions!r})')


def _line(name: str, run: dict, peak: int) -> str:
    return (f'{name:<42} {run["wall"]:7.2f} s {peak / 2**30:6.2f} GB '
            f'({(peak - run["base"]) / 2**30:5.2f} GB above imports)  '
            f'mAP {run["mAP"]:.9f}')


def _ours(paths: Dict[str, str], runs: Dict[str, list]) -> None:
    for mode in ('mmaction2', 'official'):
        run, peak = run_measured(_OURS.format(mode=mode, **paths))
        runs[mode].append(run)
        print(_line(f'mmaction-aia, mode={mode!r}', run, peak))


def _compare(ours: list, reference: dict, name: str,
             same_semantics: bool = True) -> None:
    slowest = max(run['wall'] for run in ours)
    text = (f'  {name}: {reference["wall"] / slowest:.1f}x less wall time '
            f'(slowest of our {len(ours)} runs)')
    if same_semantics:
        same = all(abs(run['mAP'] - reference['mAP']) <= 1e-9 for run in ours)
        text += f'; same mAP: {same}'
    print(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--scale', type=float, default=0.25,
                        help='fraction of AVA v2.2 val (64 videos)')
    parser.add_argument('--above-thr', action='store_true',
                        help='only scores > 0.002 (mmaction2 action_thr)')
    parser.add_argument('--skip-reference', action='store_true')
    parser.add_argument('--official-reference', action='store_true',
                        help='also run ActivityNet + TF (slow)')
    parser.add_argument('--workdir', help='keep the generated files here')
    args = parser.parse_args()
    folder = args.workdir or tempfile.mkdtemp(prefix='ava_eval_bench_')
    os.makedirs(folder, exist_ok=True)
    start = time.perf_counter()
    paths = generate(folder, args.scale, args.above_thr)
    with open(paths['pred'], 'rb') as f:
        rows = sum(chunk.count(b'\n') for chunk in iter(
            lambda: f.read(1 << 24), b''))
    print(f'input: scale {args.scale}, {rows} prediction rows '
          f'({os.path.getsize(paths["pred"]) / 2**20:.0f} MB), generated in '
          f'{time.perf_counter() - start:.0f} s; {os.cpu_count()} CPUs, '
          f'numpy {np.__version__}')
    runs: Dict[str, list] = {'mmaction2': [], 'official': []}
    _ours(paths, runs)
    if args.skip_reference:
        return
    # a process that frees GBs slows the next one's first memory touches on
    # some VMs: our runs go before and after the references
    reference, peak = run_measured(_REFERENCE.format(
        call=_MMACTION2.format(**paths)))
    print(_line('mmaction2 1.2.0 ava_eval (Pool(32))', reference, peak))
    official = None
    if args.official_reference:
        official, peak = run_measured(_REFERENCE.format(
            call=_OFFICIAL.format(**paths)))
        print(_line('ActivityNet rules + TF evaluator (0.24.1)', official,
                    peak))
    _ours(paths, runs)
    _compare(runs['mmaction2'], reference,
             "mode='mmaction2' vs mmaction2 1.2.0")
    _compare(runs['official'], reference,
             "mode='official' vs mmaction2 1.2.0", same_semantics=False)
    if official is not None:
        _compare(runs['official'], official,
                 "mode='official' vs ActivityNet + TF")


if __name__ == '__main__':
    main()
