"""The scripted world of one video: people, their per-frame states, props.

A video of ``S`` seconds is cut into *slots*: slot ``k`` covers the times
``[k - 0.5, k + 0.5)`` seconds (clipped to the video), so every keyframe
(an integer second) is the centre of one slot. A person's pose and action
are constant within a slot, so a clip of up to +-0.5 s around a keyframe
shows one pose. :mod:`.planner` fills the slots; :class:`Actor` integrates
them into per-frame arrays.
"""
import math
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import numpy as np

from .classes import ACT_NONE, RUN, STAND, WALK

# Speeds in body heights per second (run at least 1.7 times walk).
WALK_SPEED = (0.35, 0.6)
RUN_SPEED = (1.0, 1.3)
GAIT_HZ = {WALK: 0.9, RUN: 2.2}
# Gaps between the feet of two people of one lane, in body heights: the
# planner aims inside these; the label rules accept a wider range.
TALK_GAP = (0.6, 1.0)
FOLLOW_GAP = (0.75, 1.15)
PUSH_GAP = (0.38, 0.55)
# Where people stand: feet at least EDGE body heights inside the frame;
# "outside" means feet further than OFF body heights beyond the border.
EDGE = 0.3
OFF = 0.55

Color = Tuple[int, int, int]


@dataclass
class Slot:
    """What one person does during one slot.

    Args:
        pose (int): Pose state (``classes.STAND`` ...).
        act (int): Action state (``classes.ACT_NONE`` ...).
        speed (float): Speed in pixels per second along ``direction``.
        direction (int): +1 (right), -1 (left) or 0 (still).
        facing (int): +1 facing right, -1 facing left.
        partner (int): Index of the person acted upon (push), or -1.
        bounce (bool): Turn around at the frame margins (free walking).
        place (float, optional): Jump to this x at the slot start (used to
            put an off-screen person at the border it re-enters from).
    """

    pose: int = STAND
    act: int = ACT_NONE
    speed: float = 0.0
    direction: int = 0
    facing: int = 1
    partner: int = -1
    bounce: bool = False
    place: Optional[float] = None


@dataclass
class PersonLook:
    """Appearance and depth of one person.

    Args:
        lane_y (float): Ground line (feet) in pixels; people of one lane
            share it and can interact.
        height (float): Standing height in pixels.
        shirt (tuple): BGR colour of torso and arms.
        pants (tuple): BGR colour of the legs.
        skin (tuple): BGR colour of the head.
        hair (tuple): BGR colour of the back of the head.
        phase (float): Offset (s) of the person's periodic motions.
    """

    lane_y: float
    height: float
    shirt: Color
    pants: Color
    skin: Color
    hair: Color
    phase: float


@dataclass
class Prop:
    """A static object lying on the ground for the whole video.

    Args:
        kind (int): 1 ball, 2 bag, 3 crate.
        x (float): Centre x in pixels.
        ground_y (float): y of its bottom in pixels.
        w (float): Width in pixels.
        h (float): Height in pixels.
        color (tuple): BGR colour.
    """

    kind: int
    x: float
    ground_y: float
    w: float
    h: float
    color: Color

    @property
    def box(self) -> Tuple[float, float, float, float]:
        """Pixel box ``(x1, y1, x2, y2)``."""
        return (self.x - self.w / 2, self.ground_y - self.h,
                self.x + self.w / 2, self.ground_y)


def slot_bounds(num_slots: int, fps: int, num_frames: int) -> List[int]:
    """First frame of each slot plus the end frame (length ``num_slots+1``).

    Args:
        num_slots (int): ``seconds + 1`` slots (the first and last are half).
        fps (int): Frames per second.
        num_frames (int): Frames of the video.
    """
    starts = [0] + [-(-(2 * k - 1) * fps // 2) for k in range(1, num_slots)]
    return [min(s, num_frames) for s in starts] + [num_frames]


class Actor:
    """One person: appearance, per-frame state arrays and the slot cursor.

    Args:
        index (int): Person index in the video (also its AVA person id).
        look (PersonLook): Appearance and lane.
        num_frames (int): Frames of the video.
        x (float): Initial foot x in pixels.
        facing (int): Initial facing (+1/-1).
    """

    def __init__(self, index: int, look: PersonLook, num_frames: int,
                 x: float, facing: int) -> None:
        self.index = index
        self.look = look
        self.x = float(x)
        self.facing = int(facing)
        self.gait = 0.0
        self.cursor = 0  # next slot to fill
        n = num_frames
        self.xs = np.zeros(n, np.float64)
        self.vx = np.zeros(n, np.float64)
        self.facings = np.ones(n, np.int8)
        self.poses = np.zeros(n, np.int8)
        self.acts = np.zeros(n, np.int8)
        self.partners = np.full(n, -1, np.int16)
        self.gaits = np.zeros(n, np.float64)

    @property
    def h(self) -> float:
        """Standing height in pixels."""
        return self.look.height

    def outside(self, width: int) -> bool:
        """Whether the person is currently beyond a frame border.

        Args:
            width (int): Frame width in pixels.
        """
        return self.x < 0 or self.x > width

    def run(self, slots: List[Slot], bounds: List[int], fps: int,
            x_range: Tuple[float, float]) -> None:
        """Integrate ``slots`` into the per-frame arrays from the cursor.

        Slots beyond the end of the video are ignored.

        Args:
            slots (list[Slot]): Consecutive slots starting at the cursor.
            bounds (list[int]): Output of :func:`slot_bounds`.
            fps (int): Frames per second.
            x_range (tuple): Margins ``(lo, hi)`` for bouncing walkers.
        """
        lo, hi = x_range
        for slot in slots:
            if self.cursor >= len(bounds) - 1:
                return
            if slot.place is not None:
                self.x = slot.place
            self.facing = slot.facing
            vel = slot.speed * slot.direction
            hz = GAIT_HZ.get(slot.pose, 0.0)
            for i in range(bounds[self.cursor], bounds[self.cursor + 1]):
                self.xs[i] = self.x
                self.vx[i] = vel
                self.facings[i] = self.facing
                self.poses[i] = slot.pose
                self.acts[i] = slot.act
                self.partners[i] = slot.partner
                self.gaits[i] = self.gait
                self.x += vel / fps
                self.gait = (self.gait + 2 * math.pi * hz / fps) % (
                    2 * math.pi)
                if slot.bounce and (self.x < lo and vel < 0
                                    or self.x > hi and vel > 0):
                    vel = -vel
                    self.facing = -self.facing
            self.cursor += 1


@dataclass
class VideoScript:
    """Everything decided about one video before rendering.

    Args:
        video_id (str): e.g. ``syn_train_003``.
        width (int): Frame width.
        height (int): Frame height.
        fps (int): Frames per second.
        seconds (int): Length in seconds.
        actors (list[Actor]): People with their per-frame states.
        props (list[Prop]): Static objects.
        corrupt_second (int): Relative second whose slot is corrupted (its
            keyframe is excluded), or -1.
        corrupt_kind (int): 0 blank, 1 glitch.
    """

    video_id: str
    width: int
    height: int
    fps: int
    seconds: int
    actors: List[Actor]
    props: List[Prop] = field(default_factory=list)
    corrupt_second: int = -1
    corrupt_kind: int = 0

    @property
    def num_frames(self) -> int:
        """Frames of the video (``seconds * fps``)."""
        return self.seconds * self.fps
