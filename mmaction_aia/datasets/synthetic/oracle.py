"""Oracle check: how well the labels follow from the generator's own state.

For every annotated (keyframe, person) the generator's internal state (the
planned scripts and the per-frame geometry, recomputed from the seed, no
rendering) is turned into feature vectors at three cumulative levels:

- ``own``: what a per-box model can see in a +-0.5 s clip of the person's
  own box: pose, joints relative to the hip (mean and spread over the clip,
  i.e. the arm and leg state), speed, vertical bounce, box shape, position
  and visible fraction;
- ``interaction``: ``own`` + the two nearest other people (relative
  position, depth, facing, velocity, pose) and the two nearest objects
  (props and moved balls and bags: relative position, size, kind, motion);
- ``memory``: ``interaction`` + the person's state over the seconds around
  the clip (visible, standing and speed 4 s before to 2 s after, time
  standing, time since entering the frame, length of the absence before).

A small MLP per level is trained on the train split and scored on val with
the toolkit's AVA evaluator (predictions on the ground-truth boxes). See
``tools/analysis/synthetic_oracle.py`` and ``docs/synthetic_dataset.md``.
"""
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .classes import (
    POSE_NAMES,
    STAND,
    SYNTHETIC_CLASS_GROUPS,
    classes_of_groups,
)
from .config import SyntheticAVAConfig
from .figure import HIP, Geometry, compute_geometry
from .labels import MIN_VISIBLE, keyframe_labels
from .script import VideoScript
from .world import plan_video, video_rngs

#: Feature levels, each including the previous ones.
LEVELS = ('own', 'interaction', 'memory')
NUM_OTHERS = 2       # nearest other people described
NUM_OBJECTS = 2      # nearest objects described
HISTORY = (-4, -3, -2, -1, 1, 2)  # seconds sampled around the keyframe
CAP_S = 8.0          # durations are capped at this many seconds
NUM_POSES = len(POSE_NAMES)  # pose states are 0 .. NUM_POSES - 1
_OTHER_DIMS = 9 + NUM_POSES  # features per other person
_OBJECT_DIMS = 9 + 3         # features per object (3 kinds)


@dataclass
class OracleSet:
    """Oracle features and labels of the annotated persons of one split.

    Args:
        videos (list[str]): Video id of every sample.
        timestamps (np.ndarray): ``[N]`` keyframe seconds (AVA timestamps).
        persons (np.ndarray): ``[N]`` person ids.
        boxes (np.ndarray): ``[N, 4]`` normalised boxes, as in the CSV.
        labels (np.ndarray): ``[N, C]`` 0/1 targets, column ``j`` is class
            ``class_ids[j]``.
        class_ids (list[int]): Annotated class ids.
        features (dict[str, np.ndarray]): ``[N, D_level]`` per level name
            of :data:`LEVELS` (levels are cumulative).
    """

    videos: List[str]
    timestamps: np.ndarray
    persons: np.ndarray
    boxes: np.ndarray
    labels: np.ndarray
    class_ids: List[int]
    features: Dict[str, np.ndarray]


def _onehot(index: int, size: int) -> List[float]:
    out = [0.0] * size
    out[index] = 1.0
    return out


def _run_start(flags: np.ndarray, i: int) -> int:
    """First frame of the run of true ``flags`` that contains frame ``i``
    (``i + 1`` when ``flags[i]`` is false)."""
    off = np.flatnonzero(~flags[:i + 1])
    return int(off[-1]) + 1 if off.size else 0


def _object_tracks(script: VideoScript, geom: Geometry
                   ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boxes ``[K, F, 4]``, validity ``[K, F]`` and kind ``[K, F]`` (1 ball,
    2 bag, 3 crate) of the props and of each person's moved object."""
    n_f = script.num_frames
    boxes = [np.broadcast_to(np.float32(p.box), (n_f, 4))
             for p in script.props]
    valid = [np.ones(n_f, bool) for _ in script.props]
    kinds = [np.full(n_f, p.kind, np.int8) for p in script.props]
    for q in range(len(script.actors)):
        boxes.append(geom.obj_boxes[q])
        valid.append((geom.obj_kind[q] > 0) & (geom.visible[q] > 0))
        kinds.append(geom.obj_kind[q])
    return (np.stack(boxes).astype(np.float32), np.stack(valid),
            np.stack(kinds))


class _VideoFeatures:
    """Feature extractor of one planned video (see the module docstring).

    Args:
        script (VideoScript): The planned video.
        geom (Geometry): Its geometry.
    """

    def __init__(self, script: VideoScript, geom: Geometry) -> None:
        self.s, self.g = script, geom
        self.fps, self.n = script.fps, script.num_frames
        self.inside = geom.visible >= MIN_VISIBLE
        self.objects = _object_tracks(script, geom)

    def clip(self, i: int) -> slice:
        half = self.fps // 2
        return slice(max(i - half, 0), min(i + half + 1, self.n))

    def own(self, p: int, i: int) -> List[float]:
        a, g, c = self.s.actors[p], self.g, self.clip(i)
        h, f = a.h, int(a.facings[i])
        rel = (g.joints[p, c] - g.joints[p, c, HIP:HIP + 1]) / h
        rel[..., 0] *= f
        box, vis = g.boxes[p, c], g.visible[p, c]
        return (_onehot(int(a.poses[i]), NUM_POSES)
                + rel.mean(0).ravel().tolist() + rel.std(0).ravel().tolist()
                + [float(np.mean(a.vx[c])) * f / h,
                   float(np.mean(np.abs(a.vx[c]))) / h,
                   float(box[:, 1].std() / h), float(box[:, 3].std() / h),
                   float((box[:, 2] - box[:, 0]).mean() / h),
                   float((box[:, 3] - box[:, 1]).mean() / h),
                   float(a.xs[i] / self.s.width),
                   float(g.visible[p, i]), float(vis.min()),
                   float(vis.max())])

    def others(self, p: int, i: int) -> List[float]:
        a, g = self.s.actors[p], self.g
        h, f = a.h, int(a.facings[i])
        cand = [q for q in range(len(self.s.actors))
                if q != p and g.visible[q, i] > 0]
        cand.sort(key=lambda q: (abs(self.s.actors[q].look.lane_y
                                     - a.look.lane_y) > 0.5,
                                 abs(self.s.actors[q].xs[i] - a.xs[i])))
        out: List[float] = []
        for k in range(NUM_OTHERS):
            if k >= len(cand):
                out += [0.0] * _OTHER_DIMS
                continue
            o = self.s.actors[cand[k]]
            ahead = f * (o.xs[i] - a.xs[i]) / h
            out += [1.0, ahead, abs(ahead),
                    (o.look.lane_y - a.look.lane_y) / h,
                    float(int(o.facings[i]) * f),
                    o.vx[i] * f / h, (o.vx[i] - a.vx[i]) * f / h,
                    float(g.visible[cand[k], i]), o.h / h]
            out += _onehot(int(o.poses[i]), NUM_POSES)
        return out

    def nearest_objects(self, p: int, i: int) -> List[float]:
        a, c = self.s.actors[p], self.clip(i)
        h, f = a.h, int(a.facings[i])
        boxes, valid, kinds = self.objects
        pb = self.g.boxes[p, i]
        centres = (boxes[:, i, :2] + boxes[:, i, 2:]) / 2
        gap_x = np.maximum(np.maximum(pb[0] - centres[:, 0],
                                      centres[:, 0] - pb[2]), 0)
        gap_y = np.maximum(np.maximum(pb[1] - centres[:, 1],
                                      centres[:, 1] - pb[3]), 0)
        dist = np.where(valid[:, i], np.hypot(gap_x, gap_y), np.inf)
        hip = self.g.joints[p, c, HIP]
        key = i - c.start  # the keyframe within the clip
        out: List[float] = []
        for k in np.argsort(dist, kind='stable')[:NUM_OBJECTS]:
            if not np.isfinite(dist[k]):
                out += [0.0] * _OBJECT_DIMS
                continue
            track = (boxes[k, c, :2] + boxes[k, c, 2:]) / 2 - hip
            track[valid[k, c] == 0] = track[valid[k, c]].mean(0)
            size = boxes[k, i, 2:] - boxes[k, i, :2]
            out += [1.0, f * (centres[k, 0] - hip[key, 0]) / h,
                    (centres[k, 1] - hip[key, 1]) / h,
                    float(dist[k] / h), size[0] / h, size[1] / h,
                    float(track[:, 0].std() / h),
                    float(track[:, 1].std() / h),
                    float(np.ptp(track[:, 1]) / h)]
            out += _onehot(int(kinds[k, i]) - 1, 3)
        return out

    def memory(self, p: int, i: int) -> List[float]:
        a, inside, fps = self.s.actors[p], self.inside[p], self.fps
        out: List[float] = []
        for sec in HISTORY:
            j = i + sec * fps
            if 0 <= j < self.n:
                out += [1.0, float(inside[j]), float(a.poses[j] == STAND),
                        abs(a.vx[j]) / a.h]
            else:
                out += [0.0, 0.0, 0.0, 0.0]
        standing = _run_start((a.poses == STAND) & inside, i)
        entry = _run_start(inside, i)  # first frame of the visible run
        seen = np.flatnonzero(inside[:entry])
        away = entry - (int(seen[-1]) + 1 if seen.size else 0)
        return out + [min((i - standing) / fps, CAP_S),
                      min((i - entry) / fps, CAP_S), float(entry == 0),
                      min(away / fps, CAP_S), float(seen.size > 0)]

    def sample(self, p: int, i: int) -> Dict[str, List[float]]:
        own = self.own(p, i)
        inter = own + self.others(p, i) + self.nearest_objects(p, i)
        return {'own': own, 'interaction': inter,
                'memory': inter + self.memory(p, i)}


def oracle_features(cfg: SyntheticAVAConfig, split: str) -> OracleSet:
    """Oracle features and labels of every annotated person of ``split``.

    The rows are exactly the ground truth the generator writes for ``cfg``
    (same persons, boxes and labels), without rendering any frame.

    Args:
        cfg (SyntheticAVAConfig): Dataset parameters (seed, sizes, groups).
        split (str): ``train`` or ``val``.
    """
    class_ids = [c.id for c in classes_of_groups(cfg.groups)]
    column = {c: j for j, c in enumerate(class_ids)}
    n_videos = cfg.num_train_videos if split == 'train' else \
        cfg.num_val_videos
    videos, stamps, persons, boxes, labels = [], [], [], [], []
    feats: Dict[str, List[List[float]]] = {level: [] for level in LEVELS}
    for index in range(n_videos):
        script = plan_video(cfg, split, index,
                            video_rngs(cfg.seed, split, index)[0])
        geom = compute_geometry(script)
        extractor = _VideoFeatures(script, geom)
        w, h = script.width, script.height
        for person in keyframe_labels(script, geom, cfg.groups):
            sample = extractor.sample(person.person,
                                      person.second * script.fps)
            for level in LEVELS:
                feats[level].append(sample[level])
            videos.append(script.video_id)
            stamps.append(cfg.timestamp_start + person.second)
            persons.append(person.person)
            b = person.box
            boxes.append([min(max(v / s, 0.0), 1.0)
                          for v, s in zip(b, (w, h, w, h))])
            target = np.zeros(len(class_ids), np.float32)
            target[[column[c] for c in person.labels]] = 1
            labels.append(target)
    return OracleSet(
        videos, np.asarray(stamps, np.int64), np.asarray(persons, np.int64),
        np.asarray(boxes, np.float64).reshape(-1, 4),
        np.asarray(labels, np.float32).reshape(-1, len(class_ids)),
        class_ids,
        {k: np.asarray(v, np.float32).reshape(len(videos), -1)
         for k, v in feats.items()})


def train_classifier(x: np.ndarray, y: np.ndarray, seed: int = 0,
                     steps: int = 500, hidden: int = 128):
    """Fit a two-layer MLP (multi-label, sigmoid outputs) with full-batch
    Adam on standardised features.

    Args:
        x (np.ndarray): ``[N, D]`` features.
        y (np.ndarray): ``[N, C]`` 0/1 targets.
        seed (int): Seed of the initial weights.
        steps (int): Optimisation steps.
        hidden (int): Hidden units per layer.

    Returns:
        Callable[[np.ndarray], np.ndarray]: Maps ``[M, D]`` features to
        ``[M, C]`` probabilities.
    """
    import torch
    mean, std = x.mean(0), x.std(0) + 1e-6
    gen = torch.Generator().manual_seed(seed)
    dims = [x.shape[1], hidden, hidden, y.shape[1]]
    layers: List[torch.nn.Module] = []
    for k in range(3):
        lin = torch.nn.Linear(dims[k], dims[k + 1])
        with torch.no_grad():
            bound = dims[k] ** -0.5
            lin.weight.uniform_(-bound, bound, generator=gen)
            lin.bias.zero_()
        layers += [lin, torch.nn.ReLU()] if k < 2 else [lin]
    net = torch.nn.Sequential(*layers)
    xt = torch.from_numpy((x - mean) / std).float()
    yt = torch.from_numpy(y).float()
    opt = torch.optim.Adam(net.parameters(), lr=3e-3, weight_decay=1e-4)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(net(xt), yt).backward()
        opt.step()

    def predict(features: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            z = torch.from_numpy((features - mean) / std).float()
            return torch.sigmoid(net(z)).numpy()

    return predict


def write_predictions(path: str, data: OracleSet,
                      scores: np.ndarray) -> None:
    """Write one results row per sample and class (score = probability).

    Args:
        path (str): Output CSV (official AVA results format).
        data (OracleSet): Samples (their ground-truth boxes are used).
        scores (np.ndarray): ``[N, C]`` class probabilities.
    """
    from mmaction_aia.evaluation.functional import write_ava_results
    names = sorted(set(data.videos))
    vid = np.array([names.index(v) for v in data.videos], np.int64)
    n, c = scores.shape
    rows = np.repeat(np.arange(n), c)
    write_ava_results(path, names, vid[rows], data.timestamps[rows],
                      data.boxes[rows],
                      np.tile(np.asarray(data.class_ids), n),
                      scores.reshape(-1))


def run_oracle_check(cfg: SyntheticAVAConfig, work_dir: str,
                     gt_dir: Optional[str] = None,
                     levels: Sequence[str] = LEVELS, seed: int = 0,
                     steps: int = 500) -> Dict[str, dict]:
    """Train an oracle classifier per level and evaluate it on val.

    Args:
        cfg (SyntheticAVAConfig): Parameters of the dataset to check.
        work_dir (str): Folder for the predictions (and, without
            ``gt_dir``, the ground truth written from the generator state).
        gt_dir (str, optional): ``annotations`` folder of a generated
            dataset (``val.csv``, ``action_list.pbtxt``,
            ``excluded_timestamps_val.csv``) to evaluate against.
        levels (Sequence[str]): Levels of :data:`LEVELS` to run.
        seed (int): Seed of the classifiers.
        steps (int): Optimisation steps of each classifier.

    Returns:
        dict: Per level, :meth:`AVAResult.to_dict` of the val evaluation.
    """
    from mmaction_aia.evaluation.functional import evaluate_ava_files
    unknown = [lv for lv in levels if lv not in LEVELS]
    if unknown:
        raise ValueError(f'unknown oracle levels {unknown}; expected a '
                         f'subset of {LEVELS}')
    os.makedirs(work_dir, exist_ok=True)
    train, val = oracle_features(cfg, 'train'), oracle_features(cfg, 'val')
    if gt_dir is None:
        gt_dir = osp.join(work_dir, 'gt')
        _write_ground_truth(cfg, gt_dir, val)
    results = {}
    for level in levels:
        predict = train_classifier(train.features[level], train.labels,
                                   seed, steps)
        pred = osp.join(work_dir, f'oracle_{level}_val.csv')
        write_predictions(pred, val, predict(val.features[level]))
        result = evaluate_ava_files(
            osp.join(gt_dir, 'val.csv'), pred,
            osp.join(gt_dir, 'action_list.pbtxt'),
            osp.join(gt_dir, 'excluded_timestamps_val.csv'),
            class_groups=SYNTHETIC_CLASS_GROUPS)
        results[level] = result.to_dict()
    return results


def _write_ground_truth(cfg: SyntheticAVAConfig, gt_dir: str,
                        val: OracleSet) -> None:
    """val.csv, label map and (empty) exclusions from the oracle rows."""
    from .writer import (
        write_annotation_csv,
        write_exclusions,
        write_label_map,
    )
    os.makedirs(gt_dir, exist_ok=True)
    rows = [(val.videos[k], int(val.timestamps[k]), tuple(val.boxes[k]),
             val.class_ids[j], int(val.persons[k]))
            for k in range(len(val.videos))
            for j in np.flatnonzero(val.labels[k])]
    # boxes are already normalised: a 1 x 1 frame keeps them as they are
    write_annotation_csv(osp.join(gt_dir, 'val.csv'), rows, 1, 1)
    write_label_map(osp.join(gt_dir, 'action_list.pbtxt'),
                    classes_of_groups(cfg.groups))
    write_exclusions(osp.join(gt_dir, 'excluded_timestamps_val.csv'), [])
