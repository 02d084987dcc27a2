"""The label rules: which classes hold for a person at a keyframe.

Each rule reads only the rendered state (poses, positions, facings,
velocities, what is carried, who is visible), so the labels agree with the
frames. ``classes.CLASS_TABLE`` words every rule; the thresholds are here.
"""
from dataclasses import dataclass
from typing import List, Sequence, Tuple

import numpy as np

from .classes import (
    FOLLOW_ID,
    GESTURE,
    HOLD,
    HOLD_ID,
    KICK,
    KICK_ID,
    POSE_CLASS_IDS,
    PUSH,
    PUSH_ID,
    RETURN_ID,
    STAND,
    TALK_ID,
    THROW,
    THROW_ID,
    WAIT_ID,
    WALK,
)
from .figure import Geometry
from .script import VideoScript

#: A person is annotated (and "in the frame") when at least this fraction of
#: the box lies inside the frame.
MIN_VISIBLE = 0.5
TALK_RANGE = (0.5, 1.2)     # body heights between the feet, facing
FOLLOW_RANGE = (0.65, 1.35)  # body heights behind the one followed
PUSH_RANGE = (0.3, 0.7)     # body heights to the pushed person
SAME_SPEED = 0.15           # follow: relative speed difference
WAIT_SECONDS = 3.5          # standing this long before the keyframe
RETURN_SECONDS = 2.0        # re-entered at most this long ago
AWAY_SECONDS = 1.0          # after being outside at least this long


@dataclass
class PersonLabels:
    """The annotation of one person at one keyframe.

    Args:
        second (int): Keyframe time relative to the first frame.
        person (int): Person index (the AVA person id).
        box (tuple): Pixel box clipped to the frame.
        labels (list[int]): Action ids, pose first.
    """

    second: int
    person: int
    box: Tuple[float, float, float, float]
    labels: List[int]


def _others(script: VideoScript, geom: Geometry, p: int, i: int):
    """Visible people of the same lane as ``p`` at frame ``i``."""
    me = script.actors[p]
    for q, other in enumerate(script.actors):
        if (q != p and abs(other.look.lane_y - me.look.lane_y) < 0.5
                and geom.visible[q, i] >= MIN_VISIBLE):
            yield other


def _in(value: float, bounds: Tuple[float, float], h: float) -> bool:
    return bounds[0] * h <= value <= bounds[1] * h


def interaction_labels(script: VideoScript, geom: Geometry, p: int,
                       i: int) -> List[int]:
    """Person-person classes of person ``p`` at frame ``i``.

    Args:
        script (VideoScript): The planned video.
        geom (Geometry): Its geometry.
        p (int): Person index.
        i (int): Frame index.
    """
    a = script.actors[p]
    f, h, pose, act = int(a.facings[i]), a.h, a.poses[i], a.acts[i]
    out = []
    for q in _others(script, geom, p, i):
        ahead = f * (q.xs[i] - a.xs[i])  # > 0: q is in front of p
        facing_back = int(q.facings[i]) == -f
        if (act == GESTURE and pose == STAND and facing_back
                and _in(ahead, TALK_RANGE, h)):
            out.append(TALK_ID)
        if (pose == WALK and q.poses[i] == WALK and int(q.facings[i]) == f
                and a.vx[i] * f > 0
                and abs(q.vx[i] - a.vx[i]) <= SAME_SPEED * abs(a.vx[i])
                and _in(ahead, FOLLOW_RANGE, h)):
            out.append(FOLLOW_ID)
        if (act == PUSH and facing_back and q.vx[i] * f > 0
                and _in(ahead, PUSH_RANGE, h)):
            out.append(PUSH_ID)
    return sorted(set(out))


def memory_labels(script: VideoScript, geom: Geometry, p: int,
                  i: int) -> List[int]:
    """Classes of person ``p`` at frame ``i`` that need the past.

    Args:
        script (VideoScript): The planned video.
        geom (Geometry): Its geometry.
        p (int): Person index.
        i (int): Frame index.
    """
    fps = script.fps
    a = script.actors[p]
    inside = geom.visible[p] >= MIN_VISIBLE
    out = []
    start = i - int(round(WAIT_SECONDS * fps))
    if start >= 0 and np.all(a.poses[start:i + 1] == STAND) and np.all(
            inside[start:i + 1]):
        out.append(WAIT_ID)
    # the latest entry: first inside frame of the current inside run
    run = inside[:i + 1]
    outside_idx = np.flatnonzero(~run)
    if outside_idx.size:
        entry = int(outside_idx[-1]) + 1
        before = ~inside[:entry]
        # length of the outside run ending just before the entry
        seen = np.flatnonzero(~before)
        away = entry - (int(seen[-1]) + 1 if seen.size else 0)
        if (i - entry <= RETURN_SECONDS * fps and seen.size
                and away >= AWAY_SECONDS * fps):
            out.append(RETURN_ID)
    return out


def object_labels(script: VideoScript, p: int, i: int) -> List[int]:
    """Person-object classes of person ``p`` at frame ``i``.

    Args:
        script (VideoScript): The planned video.
        p (int): Person index.
        i (int): Frame index.
    """
    act = int(script.actors[p].acts[i])
    return {HOLD: [HOLD_ID], KICK: [KICK_ID], THROW: [THROW_ID]}.get(act, [])


def keyframe_labels(script: VideoScript, geom: Geometry,
                    groups: Sequence[str]) -> List[PersonLabels]:
    """Annotations of every annotated person at every keyframe.

    Keyframes lie at seconds ``2 .. seconds-2``; the corrupted second (if
    any) is skipped (it is excluded). People with less than
    :data:`MIN_VISIBLE` of their box inside the frame are not annotated.

    Args:
        script (VideoScript): The planned video.
        geom (Geometry): Its geometry.
        groups (Sequence[str]): Class groups to emit.
    """
    rows = []
    for sec in range(2, script.seconds - 1):
        if sec == script.corrupt_second:
            continue
        i = sec * script.fps
        for p, a in enumerate(script.actors):
            if geom.visible[p, i] < MIN_VISIBLE:
                continue
            labels = []
            if 'pose' in groups:
                labels.append(POSE_CLASS_IDS[int(a.poses[i])])
            if 'object' in groups:
                labels += object_labels(script, p, i)
            if 'person' in groups:
                labels += interaction_labels(script, geom, p, i)
            if 'memory' in groups:
                labels += memory_labels(script, geom, p, i)
            x1, y1, x2, y2 = (float(v) for v in geom.boxes[p, i])
            box = (max(x1, 0.0), max(y1, 0.0), min(x2, float(script.width)),
                   min(y2, float(script.height)))
            rows.append(PersonLabels(sec, p, box, labels))
    return rows
