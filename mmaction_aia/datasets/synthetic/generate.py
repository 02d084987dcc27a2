"""Generate (or reuse) a synthetic AVA-format dataset folder."""
import os
import os.path as osp
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from .classes import classes_of_groups
from .config import GENERATOR_VERSION, SyntheticAVAConfig
from .detector import Detector, detect_keyframe
from .figure import compute_geometry
from .labels import keyframe_labels
from .scene import Renderer
from .world import plan_video, video_id, video_rngs
from .writer import (
    AnnRow,
    FrameSink,
    readme_text,
    write_annotation_csv,
    write_box_pkl,
    write_class_ids,
    write_exclusions,
    write_json,
    write_label_map,
)

STAMP_NAME = 'generator.json'
SPLITS = ('train', 'val')


@dataclass
class VideoResult:
    """Annotations of one video.

    Args:
        video_id (str): Video id.
        rows (list): AVA rows ``(video_id, timestamp, pixel box, action,
            person)``.
        proposals (dict): Person detections per keyframe key.
        objects (dict): Object detections per keyframe key.
        excluded (list): ``(video_id, timestamp)`` excluded keyframes.
        keyframes (int): Annotated (non-excluded) keyframes with people.
        boxes (int): Annotated person boxes.
    """

    video_id: str
    rows: List[AnnRow] = field(default_factory=list)
    proposals: Dict[str, np.ndarray] = field(default_factory=dict)
    objects: Dict[str, np.ndarray] = field(default_factory=dict)
    excluded: List[Tuple[str, int]] = field(default_factory=list)
    keyframes: int = 0
    boxes: int = 0


def make_video(cfg: SyntheticAVAConfig, split: str, index: int,
               root: Optional[str] = None) -> VideoResult:
    """Plan, annotate and (if ``root`` is given) render one video.

    Args:
        cfg (SyntheticAVAConfig): Dataset parameters.
        split (str): ``train`` or ``val``.
        index (int): Video index in the split.
        root (str, optional): Dataset folder to write the video and frames
            into; ``None`` only computes the annotations.
    """
    plan_rng, scene_rng, det_rng = video_rngs(cfg.seed, split, index)
    script = plan_video(cfg, split, index, plan_rng)
    geom = compute_geometry(script)
    vid, ts0 = script.video_id, cfg.timestamp_start
    res = VideoResult(vid)
    people = keyframe_labels(script, geom, cfg.groups)
    for p in people:
        res.rows += [(vid, ts0 + p.second, p.box, c, p.person)
                     for c in p.labels]
    res.boxes = len(people)
    res.keyframes = len({p.second for p in people})
    det = Detector(det_rng, cfg.width, cfg.height)
    for sec in cfg.keyframe_seconds:
        persons, objects = detect_keyframe(det, script, geom, sec)
        key = f'{vid},{ts0 + sec:04d}'
        if len(persons):
            res.proposals[key] = persons
        if len(objects):
            res.objects[key] = objects
    if script.corrupt_second >= 0:
        res.excluded.append((vid, ts0 + script.corrupt_second))
    if root is not None:
        frame_dir = osp.join(root, 'rawframes', vid)
        if osp.isdir(frame_dir):
            shutil.rmtree(frame_dir)
        sink = FrameSink(root, vid, cfg.fps, (cfg.width, cfg.height),
                         cfg.write_videos, cfg.write_rawframes,
                         cfg.jpeg_quality)
        try:
            for frame in Renderer(script, geom, scene_rng, cfg.noise).frames():
                sink.add(frame)
        finally:
            sink.close()
    return res


def count_synthetic_labels(cfg: Optional[SyntheticAVAConfig] = None,
                           split: str = 'train') -> Dict[str, Any]:
    """Count keyframes, boxes and boxes per class without rendering.

    Gives exactly the numbers :func:`generate_synthetic_ava` would write, in
    a fraction of the time.

    Args:
        cfg (SyntheticAVAConfig, optional): Parameters (default: defaults).
        split (str): ``train`` or ``val``.

    Returns:
        dict: ``videos``, ``keyframes``, ``boxes``, ``excluded`` and
        ``class_counts`` (``{class_id: boxes}`` for every annotated class).
    """
    cfg = cfg or SyntheticAVAConfig()
    n = cfg.num_train_videos if split == 'train' else cfg.num_val_videos
    results = [make_video(cfg, split, k) for k in range(n)]
    return _split_counts(cfg, results)


def _split_counts(cfg: SyntheticAVAConfig,
                  results: List[VideoResult]) -> Dict[str, Any]:
    counts = Counter(r[3] for res in results for r in res.rows)
    return {
        'videos': len(results),
        'keyframes': sum(r.keyframes for r in results),
        'boxes': sum(r.boxes for r in results),
        'excluded': sum(len(r.excluded) for r in results),
        'class_counts': {c.id: counts.get(c.id, 0)
                         for c in classes_of_groups(cfg.groups)},
    }


def _paths(out_dir: str) -> Dict[str, str]:
    ann = osp.join(out_dir, 'annotations')
    paths = {'annotations': ann, 'videos': osp.join(out_dir, 'videos'),
             'rawframes': osp.join(out_dir, 'rawframes'),
             'label_map': osp.join(ann, 'action_list.pbtxt'),
             'evaluated_classes': osp.join(ann, 'evaluated_classes.txt'),
             'readme': osp.join(out_dir, 'README.md'),
             'stamp': osp.join(out_dir, STAMP_NAME)}
    for s in SPLITS:
        paths[f'{s}_csv'] = osp.join(ann, f'{s}.csv')
        paths[f'proposals_{s}'] = osp.join(ann, f'proposals_{s}.pkl')
        paths[f'objects_{s}'] = osp.join(ann, f'objects_{s}.pkl')
        paths[f'excluded_{s}'] = osp.join(ann, f'excluded_timestamps_{s}.csv')
    return paths


def _video_ids(cfg: SyntheticAVAConfig) -> Dict[str, List[str]]:
    return {'train': [video_id('train', k)
                      for k in range(cfg.num_train_videos)],
            'val': [video_id('val', k) for k in range(cfg.num_val_videos)]}


def _remove_stale(paths: Dict[str, str], keep: List[str],
                  cfg: SyntheticAVAConfig) -> None:
    """Delete generated videos/frame folders (``syn_*``) not written now."""
    for folder, suffix, on in ((paths['videos'], '.mp4', cfg.write_videos),
                               (paths['rawframes'], '', cfg.write_rawframes)):
        if not osp.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            stem = name[:-len(suffix)] if suffix else name
            if not (name.startswith('syn_') and name.endswith(suffix)):
                continue
            if on and stem in keep:
                continue
            target = osp.join(folder, name)
            if osp.isdir(target):
                shutil.rmtree(target)
            else:
                os.remove(target)


def command_line(out_dir: str, cfg: SyntheticAVAConfig) -> str:
    """The command that regenerates ``out_dir`` with ``cfg``.

    Args:
        out_dir (str): Dataset folder.
        cfg (SyntheticAVAConfig): Parameters (non-defaults are spelled out).
    """
    default = SyntheticAVAConfig()
    parts = ['python -m mmaction_aia.datasets.synthetic', f'--out {out_dir}',
             f'--seed {cfg.seed}']
    for key, value in cfg.to_dict().items():
        if key == 'seed' or value == default.to_dict()[key]:
            continue
        flag = '--' + key.replace('_', '-')
        if isinstance(value, bool):
            parts.append(flag if value else f'--no-{flag[2:]}')
        elif isinstance(value, list):
            parts.append(f'{flag} {" ".join(value)}')
        else:
            parts.append(f'{flag} {value}')
    return ' '.join(parts)


def _layout(cfg: SyntheticAVAConfig) -> List[Tuple[str, str]]:
    rows = []
    if cfg.write_videos:
        rows.append(('videos/{video_id}.mp4', f'mp4v video, {cfg.fps} fps'))
    if cfg.write_rawframes:
        rows.append(('rawframes/{video_id}/img_{:05d}.jpg',
                     'frames, 1-based (img_00001.jpg is the first frame)'))
    rows += [
        ('annotations/{train,val}.csv', 'AVA rows video_id,timestamp,x1,y1,'
         'x2,y2,action_id,person_id (normalised boxes)'),
        ('annotations/proposals_{train,val}.pkl', 'simulated person '
         'detector: {"video_id,%04d": float32 [k, 5] x1,y1,x2,y2,score}; '
         'keyframes without any detection have no key'),
        ('annotations/objects_{train,val}.pkl', 'simulated object detector,'
         ' same format (balls, bags, crates)'),
        ('annotations/excluded_timestamps_{train,val}.csv', 'video_id,'
         'timestamp of corrupted (blank or glitched) keyframes; they have no '
         'ground truth'),
        ('annotations/action_list.pbtxt', 'label map'),
        ('annotations/evaluated_classes.txt', 'evaluated class ids'),
        (STAMP_NAME, 'parameters and generator version (written last)')]
    return rows


def generate_synthetic_ava(out_dir: str,
                           cfg: Optional[SyntheticAVAConfig] = None,
                           progress: bool = False) -> Dict[str, Any]:
    """Write a synthetic AVA-format dataset into ``out_dir``.

    Files are (over)written in place; generated ``syn_*`` videos and frame
    folders that the new parameters do not produce are deleted. The stamp
    (``generator.json``) is removed first and written last, so an
    interrupted run is regenerated by :func:`ensure_synthetic_ava`.

    Args:
        out_dir (str): Dataset folder (created if needed).
        cfg (SyntheticAVAConfig, optional): Parameters (default: defaults).
        progress (bool): Show a progress bar over the videos.

    Returns:
        dict: ``out_dir``, ``params``, ``version``, ``files`` (paths),
        ``videos`` (ids per split), ``timestamp_start``, ``timestamp_end``,
        ``fps``, per split ``counts`` (see :func:`count_synthetic_labels`)
        and ``elapsed_s``.
    """
    cfg = cfg or SyntheticAVAConfig()
    start = time.perf_counter()
    paths = _paths(out_dir)
    os.makedirs(paths['annotations'], exist_ok=True)
    if osp.exists(paths['stamp']):
        os.remove(paths['stamp'])
    ids = _video_ids(cfg)
    _remove_stale(paths, ids['train'] + ids['val'], cfg)
    for key, on in (('videos', cfg.write_videos),
                    ('rawframes', cfg.write_rawframes)):
        if on:
            os.makedirs(paths[key], exist_ok=True)
    bar = None
    if progress:
        from mmengine.utils import ProgressBar
        bar = ProgressBar(len(ids['train']) + len(ids['val']))
    counts = {}
    for split in SPLITS:
        results = []
        for k in range(len(ids[split])):
            results.append(make_video(cfg, split, k, out_dir))
            if bar is not None:
                bar.update()
        write_annotation_csv(paths[f'{split}_csv'],
                             [r for res in results for r in res.rows],
                             cfg.width, cfg.height)
        for kind in ('proposals', 'objects'):
            write_box_pkl(paths[f'{kind}_{split}'], {
                k: v for res in results
                for k, v in getattr(res, kind).items()})
        write_exclusions(paths[f'excluded_{split}'],
                         [e for res in results for e in res.excluded])
        counts[split] = _split_counts(cfg, results)
    if bar is not None:
        print()
    classes = classes_of_groups(cfg.groups)
    write_label_map(paths['label_map'], classes)
    write_class_ids(paths['evaluated_classes'], [c.id for c in classes])
    params = cfg.to_dict()
    write_readme(paths['readme'], out_dir, cfg, counts)
    write_json(paths['stamp'], {'generator': __package__,
                                'version': GENERATOR_VERSION,
                                'params': params, 'counts': counts})
    return {'out_dir': out_dir, 'params': params,
            'version': GENERATOR_VERSION, 'files': paths, 'videos': ids,
            'timestamp_start': cfg.timestamp_start,
            'timestamp_end': cfg.timestamp_start + cfg.seconds,
            'fps': cfg.fps, 'counts': counts,
            'elapsed_s': time.perf_counter() - start}


def write_readme(path: str, out_dir: str, cfg: SyntheticAVAConfig,
                 counts: Dict[str, Dict]) -> None:
    """Write the dataset README (command, seed, files, class table).

    Args:
        path (str): Output file.
        out_dir (str): Dataset folder as given by the user.
        cfg (SyntheticAVAConfig): Parameters.
        counts (dict): Per split counts from generation.
    """
    text = readme_text(command_line(out_dir, cfg), cfg.to_dict(),
                       GENERATOR_VERSION, classes_of_groups(cfg.groups),
                       {s: counts[s]['class_counts'] for s in SPLITS},
                       _layout(cfg))
    with open(path, 'w', newline='\n') as f:
        f.write(text)


def is_complete(out_dir: str, cfg: SyntheticAVAConfig) -> bool:
    """Whether ``out_dir`` holds a finished dataset generated with ``cfg``.

    Args:
        out_dir (str): Dataset folder.
        cfg (SyntheticAVAConfig): Expected parameters.
    """
    import json
    paths = _paths(out_dir)
    try:
        with open(paths['stamp']) as f:
            stamp = json.load(f)
    except (OSError, ValueError):
        return False
    if (stamp.get('version') != GENERATOR_VERSION
            or stamp.get('params') != cfg.to_dict()):
        return False
    files = [v for k, v in paths.items()
             if k not in ('annotations', 'videos', 'rawframes')]
    if not all(osp.isfile(p) for p in files):
        return False
    n_frames = cfg.seconds * cfg.fps
    for vid in sum(_video_ids(cfg).values(), []):
        if cfg.write_videos and not osp.isfile(
                osp.join(paths['videos'], f'{vid}.mp4')):
            return False
        frame_dir = osp.join(paths['rawframes'], vid)
        if cfg.write_rawframes and (not osp.isdir(frame_dir) or len(
                os.listdir(frame_dir)) != n_frames):
            return False
    return True


def ensure_synthetic_ava(out_dir: str, progress: bool = False,
                         **cfg_kwargs: Any) -> str:
    """Generate ``out_dir`` unless it already holds the same dataset.

    The dataset is reused when ``out_dir/generator.json`` records the same
    generator version and parameters and every file is present; otherwise
    it is regenerated.

    Args:
        out_dir (str): Dataset folder.
        progress (bool): Show a progress bar when generating.
        **cfg_kwargs: Fields of :class:`SyntheticAVAConfig`.

    Returns:
        str: ``out_dir``.
    """
    cfg = SyntheticAVAConfig(**cfg_kwargs)
    if not is_complete(out_dir, cfg):
        generate_synthetic_ava(out_dir, cfg, progress=progress)
    return out_dir
