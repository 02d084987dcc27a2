"""Stick-figure geometry: joints, person boxes and carried objects.

Angles are in degrees from straight down, positive towards the facing
direction. The joints of every person and frame are computed once
(:func:`compute_geometry`) and used both to draw and to annotate, so a box
always matches the drawing.
"""
import math
from dataclasses import dataclass
from typing import List, Optional, Tuple

import numpy as np

from .classes import (
    CROUCH,
    GESTURE,
    HOLD,
    JUMP,
    KICK,
    LIE,
    PUSH,
    RUN,
    THROW,
    WALK,
)
from .script import VideoScript

# Lengths in body heights.
THIGH, SHIN, TORSO, UARM, FARM, HEAD_R, NECK = (0.25, 0.24, 0.30, 0.17, 0.16,
                                                0.10, 0.02)
# Joint order of the arrays returned by :func:`joints`.
HIP, NECK_J, HEAD, KNEE0, FOOT0, KNEE1, FOOT1, ELBOW0, HAND0, ELBOW1, \
    HAND1, NOSE = range(12)
NUM_JOINTS = 12
# Objects moved by a person: 0 none, 1 ball, 2 bag.
OBJ_NONE, OBJ_BALL, OBJ_BAG = 0, 1, 2
KICK_PERIOD, THROW_PERIOD, JUMP_PERIOD, GESTURE_HZ = 0.6, 0.8, 0.6, 2.5


def limb_thickness(h: float) -> Tuple[int, int]:
    """Line widths (limbs, torso) in pixels for a person ``h`` tall.

    Args:
        h (float): Standing height in pixels.
    """
    return max(2, round(0.07 * h)), max(3, round(0.13 * h))


def ball_radius(h: float) -> float:
    """Radius of a ball handled by a person ``h`` pixels tall.

    Args:
        h (float): Standing height in pixels.
    """
    return max(3.0, 0.12 * h)


def _dir(angle: float, f: int) -> Tuple[float, float]:
    r = math.radians(angle)
    return f * math.sin(r), math.cos(r)


def _limb_angles(pose: int, act: int, t: float, gait: float):
    """(thigh, knee flex) x2, (upper arm, elbow) x2, lean, lift/h, pulse."""
    s = math.sin(gait)
    pulse = 0.0
    if pose == WALK:
        legs = [(22 * s, 14 * max(0.0, -s)), (-22 * s, 14 * max(0.0, s))]
        arms = [(-18 * s, 12), (18 * s, 12)]
        lean, lift = 3.0, 0.015 * abs(math.cos(gait))
    elif pose == RUN:
        legs = [(45 * s, 25 + 45 * max(0.0, -s)),
                (-45 * s, 25 + 45 * max(0.0, s))]
        arms = [(-45 * s, 95), (45 * s, 95)]
        lean, lift = 18.0, 0.05 * abs(s)
    elif pose == JUMP:
        air = abs(math.sin(math.pi * t / JUMP_PERIOD))
        legs = [(20 * air, 45 * air), (12 * air, 40 * air)]
        arms = [(40 + 110 * air, 15), (30 + 110 * air, 15)]
        lean, lift = 0.0, 0.3 * air
    elif pose == CROUCH:
        legs = [(80, 125), (70, 115)]
        arms = [(40, 40), (30, 40)]
        lean, lift = 28.0, 0.0
    else:  # STAND and LIE (LIE is a rotated stand)
        legs = [(4, 0), (-4, 0)]
        arms = [(8, 12), (-8, 12)]
        lean, lift = 1.5 * math.sin(2 * math.pi * 0.5 * t), 0.0
    if act == GESTURE:
        w = 2 * math.pi * GESTURE_HZ * t
        arms[0] = (110 + 40 * math.sin(w), 30 + 30 * math.sin(w + 0.8))
    elif act == HOLD:
        arms[0] = (30, 70)
    elif act == KICK:
        pulse = (1 - abs(math.sin(math.pi * t / KICK_PERIOD))) ** 2
        legs = [(12 + 53 * pulse, 15 * (1 - pulse)), (-5, 0)]
    elif act == THROW:
        pulse = max(0.0, math.cos(2 * math.pi * t / THROW_PERIOD)) ** 6
        arms[0] = (150 + 25 * pulse, 10)
    elif act == PUSH:
        arms = [(85, 5), (80, 5)]
        lean = 15.0
    return legs, arms, lean, lift, pulse


def joints(pose: int, act: int, t: float, gait: float, f: int, x: float,
           ground: float, h: float,
           reach: Optional[Tuple[float, float]] = None) -> List[List[float]]:
    """Joint positions (pixels) of one person in one frame.

    Args:
        pose (int): Pose state.
        act (int): Action state.
        t (float): Time in seconds (with the person's phase offset).
        gait (float): Gait phase in radians.
        f (int): Facing, +1 right or -1 left.
        x (float): Foot x (centre of the body) in pixels.
        ground (float): Ground y in pixels.
        h (float): Standing height in pixels.
        reach (tuple, optional): Point the hands rest on (pushing).

    Returns:
        list: ``NUM_JOINTS`` ``[x, y]`` pairs in the order ``HIP ... NOSE``.
    """
    legs, arms, lean, lift, _ = _limb_angles(pose, act, t, gait)
    pts = [[0.0, 0.0] for _ in range(NUM_JOINTS)]
    for i, (a, k) in enumerate(legs):
        dx, dy = _dir(a, f)
        knee = [THIGH * h * dx, THIGH * h * dy]
        dx, dy = _dir(a - k, f)
        pts[KNEE0 + 2 * i] = knee
        pts[FOOT0 + 2 * i] = [knee[0] + SHIN * h * dx, knee[1] + SHIN * h * dy]
    ux, uy = f * math.sin(math.radians(lean)), -math.cos(math.radians(lean))
    pts[NECK_J] = [TORSO * h * ux, TORSO * h * uy]
    pts[HEAD] = [(TORSO + NECK + HEAD_R) * h * ux,
                 (TORSO + NECK + HEAD_R) * h * uy]
    sx, sy = pts[NECK_J]
    for j, (b, e) in enumerate(arms):
        dx, dy = _dir(b, f)
        elbow = [sx + UARM * h * dx, sy + UARM * h * dy]
        dx, dy = _dir(b + e, f)
        pts[ELBOW0 + 2 * j] = elbow
        pts[HAND0 + 2 * j] = [elbow[0] + FARM * h * dx,
                              elbow[1] + FARM * h * dy]
    pts[NOSE] = [pts[HEAD][0] + 0.9 * HEAD_R * h * f, pts[HEAD][1]]
    if pose == LIE:  # rotate onto the ground, head towards the facing side
        pts = [[-f * y - f * 0.05 * h, f * x_] for x_, y in pts]
        bottom = max(max(p[1] for p in pts) + 0.035 * h,
                     pts[HEAD][1] + HEAD_R * h)
    else:
        bottom = max(pts[FOOT0][1], pts[FOOT1][1])
    dy = ground - lift * h - bottom
    pts = [[x + p[0], p[1] + dy] for p in pts]
    if reach is not None:  # hands on the pushed person's chest
        for j in (0, 1):
            hand = [reach[0], reach[1] + 0.04 * h * j]
            pts[HAND0 + 2 * j] = hand
            pts[ELBOW0 + 2 * j] = [(pts[NECK_J][0] + hand[0]) / 2,
                                   (pts[NECK_J][1] + hand[1]) / 2 + 0.03 * h]
    return pts


def carried_object(act: int, t: float, pts: List[List[float]], f: int,
                   ground: float, h: float) -> Tuple[int, Tuple[float, ...]]:
    """The object a person moves, as ``(kind, (x1, y1, x2, y2))``.

    Args:
        act (int): Action state.
        t (float): Time in seconds (with the person's phase offset).
        pts (list): Joints from :func:`joints`.
        f (int): Facing.
        ground (float): Ground y in pixels.
        h (float): Standing height in pixels.
    """
    r = ball_radius(h)
    if act == KICK:
        up = abs(math.sin(math.pi * t / KICK_PERIOD))
        cx = pts[HIP][0] + f * 0.44 * h
        cy = ground - 0.26 * h - 0.4 * h * up - r
    elif act == THROW:
        up = abs(math.sin(math.pi * t / THROW_PERIOD))
        cx, cy = pts[HAND0][0], pts[HAND0][1] - r - 0.35 * h * up
    elif act == HOLD:
        w, hh = 0.28 * h, 0.22 * h
        cx, cy = pts[HAND0][0] + f * 0.04 * h, pts[HAND0][1] + 0.07 * h
        return OBJ_BAG, (cx - w / 2, cy - hh / 2, cx + w / 2, cy + hh / 2)
    else:
        return OBJ_NONE, (0.0, 0.0, 0.0, 0.0)
    return OBJ_BALL, (cx - r, cy - r, cx + r, cy + r)


def person_box(pts: np.ndarray, h: float) -> Tuple[float, ...]:
    """Tight pixel box ``(x1, y1, x2, y2)`` around a drawn person.

    Args:
        pts (np.ndarray): ``[NUM_JOINTS, 2]`` joints.
        h (float): Standing height in pixels.
    """
    pad = limb_thickness(h)[0] / 2
    body = np.delete(pts, [HEAD, NOSE], axis=0)
    head = pts[HEAD]
    r = HEAD_R * h
    return (min(body[:, 0].min() - pad, head[0] - r),
            min(body[:, 1].min() - pad, head[1] - r),
            max(body[:, 0].max() + pad, head[0] + r),
            max(body[:, 1].max() + pad, head[1] + r))


@dataclass
class Geometry:
    """Per-frame geometry of every person of a video.

    Args:
        joints (np.ndarray): ``[P, F, NUM_JOINTS, 2]`` float32 pixels.
        boxes (np.ndarray): ``[P, F, 4]`` float32 unclipped person boxes.
        obj_kind (np.ndarray): ``[P, F]`` int8 kind of the moved object.
        obj_boxes (np.ndarray): ``[P, F, 4]`` float32 moved-object boxes.
        visible (np.ndarray): ``[P, F]`` float32 fraction of the person's
            box inside the frame.
    """

    joints: np.ndarray
    boxes: np.ndarray
    obj_kind: np.ndarray
    obj_boxes: np.ndarray
    visible: np.ndarray


def compute_geometry(script: VideoScript) -> Geometry:
    """Joints, boxes, moved objects and visibility of every person and frame.

    Args:
        script (VideoScript): The planned video.
    """
    n_p, n_f = len(script.actors), script.num_frames
    jts = np.zeros((n_p, n_f, NUM_JOINTS, 2), np.float32)
    boxes = np.zeros((n_p, n_f, 4), np.float32)
    kinds = np.zeros((n_p, n_f), np.int8)
    oboxes = np.zeros((n_p, n_f, 4), np.float32)
    for p, a in enumerate(script.actors):
        look = a.look
        h, ground = look.height, look.lane_y
        for i in range(n_f):
            t = i / script.fps + look.phase
            f, act = int(a.facings[i]), int(a.acts[i])
            reach = None
            q = int(a.partners[i])
            if act == PUSH and q >= 0:
                other = script.actors[q]
                reach = (other.xs[i] - f * 0.05 * other.h,
                         ground - 0.68 * other.h)
            pts = joints(int(a.poses[i]), act, t, float(a.gaits[i]), f,
                         float(a.xs[i]), ground, h, reach)
            jts[p, i] = pts
            boxes[p, i] = person_box(jts[p, i], h)
            kinds[p, i], oboxes[p, i] = carried_object(act, t, pts, f,
                                                       ground, h)
    w, hgt = script.width, script.height
    inter_w = (np.minimum(boxes[..., 2], w) - np.maximum(boxes[..., 0], 0))
    inter_h = (np.minimum(boxes[..., 3], hgt) - np.maximum(boxes[..., 1], 0))
    area = (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])
    visible = (np.clip(inter_w, 0, None) * np.clip(inter_h, 0, None)
               / np.maximum(area, 1e-6)).astype(np.float32)
    return Geometry(jts, boxes, kinds, oboxes, visible)

