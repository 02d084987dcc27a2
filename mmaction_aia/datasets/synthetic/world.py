"""Cast, lanes, props and the full plan of one video."""
from typing import List, Tuple

import numpy as np

from .config import SyntheticAVAConfig
from .planner import LanePlanner
from .scene import props_for
from .script import EDGE, OFF, Actor, PersonLook, VideoScript, slot_bounds

SPLIT_CODES = {'train': 0, 'val': 1}
# Saturated shirts (BGR) that stand out from the muted backgrounds.
SHIRTS = ((40, 40, 230), (40, 190, 40), (230, 90, 30), (30, 210, 240),
          (210, 60, 210), (240, 220, 60), (0, 120, 255), (250, 250, 250),
          (130, 0, 160), (0, 90, 0))
PANTS = ((70, 45, 30), (40, 40, 40), (110, 70, 20), (35, 35, 110),
         (20, 80, 20), (90, 90, 90))
SKIN = ((120, 160, 225), (90, 130, 190), (60, 90, 140), (160, 195, 240))
HAIR = ((20, 20, 20), (30, 50, 90), (50, 40, 70), (20, 80, 150))
LATE_ENTRY_PROB = 0.1


def video_id(split: str, index: int) -> str:
    """The id of video ``index`` of ``split``, e.g. ``syn_train_003``.

    Args:
        split (str): ``train`` or ``val``.
        index (int): 0-based index.
    """
    return f'syn_{split}_{index:03d}'


def video_rngs(seed: int, split: str,
               index: int) -> Tuple[np.random.Generator, ...]:
    """Independent generators (plan, scene, detector) of one video.

    Each video has its own streams, so a video does not change when the
    number of other videos changes.

    Args:
        seed (int): Dataset seed.
        split (str): ``train`` or ``val``.
        index (int): Video index in the split.
    """
    seq = np.random.SeedSequence([seed, SPLIT_CODES[split], index])
    return tuple(np.random.default_rng(s) for s in seq.spawn(3))


def _lanes(rng: np.random.Generator, n: int) -> List[int]:
    """Sizes (1 or 2) of the lanes of ``n`` people, shuffled."""
    pairs = n // 2 if rng.random() < 0.75 else max(0, n // 2 - 1)
    sizes = [2] * pairs + [1] * (n - 2 * pairs)
    rng.shuffle(sizes)
    return sizes


def _look(rng: np.random.Generator, lane_y: float, height: float,
          shirt: Tuple[int, int, int]) -> PersonLook:
    def pick(options):
        return options[int(rng.integers(len(options)))]

    return PersonLook(lane_y=lane_y, height=height, shirt=shirt,
                      pants=pick(PANTS), skin=pick(SKIN), hair=pick(HAIR),
                      phase=float(rng.uniform(0, 2)))


def plan_video(cfg: SyntheticAVAConfig, split: str, index: int,
               rng: np.random.Generator) -> VideoScript:
    """Plan one video: its people, what they do in every slot, its props.

    Args:
        cfg (SyntheticAVAConfig): Dataset parameters.
        split (str): ``train`` or ``val``.
        index (int): Video index in the split.
        rng (np.random.Generator): The video's planning generator.
    """
    w, h, fps = cfg.width, cfg.height, cfg.fps
    n_frames = cfg.seconds * fps
    bounds = slot_bounds(cfg.seconds + 1, fps, n_frames)
    corrupt, kind = -1, 0
    if rng.random() < cfg.exclusion_prob:
        corrupt = int(rng.choice(cfg.keyframe_seconds))
        kind = int(rng.integers(0, 2))
    n_people = int(rng.integers(cfg.min_persons, cfg.max_persons + 1))
    sizes = _lanes(rng, n_people)
    shirts = rng.permutation(len(SHIRTS))
    actors: List[Actor] = []
    lanes: List[List[Actor]] = []
    for k, size in enumerate(sizes):
        depth = (k + rng.uniform(0.2, 0.8)) / len(sizes)
        lane_y = h * (0.74 + 0.22 * depth)
        height = h * (0.34 + 0.14 * depth)
        lane = []
        for m in range(size):
            scale = 1.0 if size == 2 else float(rng.uniform(0.93, 1.07))
            look = _look(rng, lane_y, height * scale,
                         SHIRTS[int(shirts[len(actors)])])
            ph = look.height
            x = float(rng.uniform(EDGE * ph, w - EDGE * ph))
            if m == 0 and rng.random() < LATE_ENTRY_PROB:
                x = -OFF * ph - 1 if rng.random() < 0.5 else w + OFF * ph + 1
            facing = 1 if rng.random() < 0.5 else -1
            actor = Actor(len(actors), look, n_frames, x, facing)
            actors.append(actor)
            lane.append(actor)
        lanes.append(lane)
    for lane in lanes:
        LanePlanner(rng, lane, w, fps, bounds).fill()
    props = props_for(rng, w, h, [lane[0].look.lane_y for lane in lanes])
    return VideoScript(video_id(split, index), w, h, fps, cfg.seconds,
                       actors, props, corrupt, kind)
