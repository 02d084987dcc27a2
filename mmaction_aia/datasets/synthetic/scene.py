"""Render the frames of a scripted video with OpenCV.

A frame is: a textured background (sky with drifting clouds, a skyline,
textured ground), static props, the people drawn far to near with what they
carry, then camera noise. One second of a video may be corrupted (blank or
glitched); its keyframe is listed as excluded.
"""
from typing import Dict, Iterator, List, Tuple

import cv2
import numpy as np

from .figure import (
    ELBOW0,
    ELBOW1,
    FOOT0,
    FOOT1,
    HAND0,
    HAND1,
    HEAD,
    HEAD_R,
    HIP,
    KNEE0,
    KNEE1,
    NECK_J,
    OBJ_BAG,
    OBJ_BALL,
    Geometry,
    limb_thickness,
)
from .script import Prop, VideoScript, slot_bounds

SHIFT = 4  # sub-pixel bits of cv2 drawing
ONE = 1 << SHIFT
AA = cv2.LINE_AA
PROP_BALL, PROP_BAG, PROP_CRATE = 1, 2, 3


def _pt(p) -> Tuple[int, int]:
    return int(round(float(p[0]) * ONE)), int(round(float(p[1]) * ONE))


def _shade(color, k: float) -> Tuple[int, int, int]:
    return tuple(int(min(255, c * k)) for c in color)


def _smooth_noise(rng: np.random.Generator, h: int, w: int, cell: int,
                  amp: float) -> np.ndarray:
    small = rng.normal(0, 1, (max(2, h // cell), max(2, w // cell)))
    big = cv2.resize(small.astype(np.float32), (w, h),
                     interpolation=cv2.INTER_CUBIC)
    return big * amp


class Background:
    """Static ground and skyline over sky whose clouds drift sideways.

    Args:
        rng (np.random.Generator): Source of the scene's look.
        width (int): Frame width.
        height (int): Frame height.
    """

    def __init__(self, rng: np.random.Generator, width: int,
                 height: int) -> None:
        self.w, self.h = width, height
        self.horizon = int(height * rng.uniform(0.40, 0.52))
        sky = rng.uniform(110, 200, 3)
        ground = rng.uniform(60, 130, 3)
        # sky: 2 frame widths wide so it can scroll; clouds are soft blobs
        sky_w = 2 * width
        rows = np.linspace(0.75, 1.1, self.horizon)[:, None, None]
        self.sky = np.clip(sky[None, None, :] * rows + _smooth_noise(
            rng, self.horizon, sky_w, 12, 18)[..., None], 0, 255)
        self.sky = self.sky.astype(np.uint8)
        self.cloud_speed = float(rng.uniform(3, 8) * rng.choice([-1, 1]))
        # skyline: static boxes/trees over the sky, kept by a mask
        self.skyline = np.zeros((self.horizon, width, 3), np.uint8)
        self.mask = np.zeros((self.horizon, width), np.uint8)
        for _ in range(int(rng.integers(3, 7))):
            x = int(rng.integers(0, width))
            bw = int(rng.integers(width // 12, width // 5))
            bh = int(rng.integers(self.horizon // 5, self.horizon * 3 // 4))
            col = tuple(int(c) for c in rng.uniform(50, 140, 3))
            top = self.horizon - bh
            if rng.random() < 0.5:
                cv2.rectangle(self.skyline, (x, top), (x + bw, self.horizon),
                              col, -1)
                cv2.rectangle(self.mask, (x, top), (x + bw, self.horizon),
                              255, -1)
            else:
                axes = (bw // 2 + 1, bh // 2 + 1)
                cv2.ellipse(self.skyline, (x, top + bh // 2), axes, 0, 0, 360,
                            col, -1)
                cv2.ellipse(self.mask, (x, top + bh // 2), axes, 0, 0, 360,
                            255, -1)
        gh = height - self.horizon
        tex = _smooth_noise(rng, gh, width, 6, 10) + _smooth_noise(
            rng, gh, width, 2, 6)
        shade = np.linspace(0.85, 1.15, gh)[:, None, None]
        self.ground = np.clip(ground[None, None, :] * shade + tex[..., None],
                              0, 255).astype(np.uint8)
        self._skies: Dict[int, np.ndarray] = {}  # composed sky per offset

    def frame(self, t: float) -> np.ndarray:
        """A fresh background image at time ``t`` seconds.

        Args:
            t (float): Time in seconds from the first frame.
        """
        off = int(self.cloud_speed * t) % self.w
        top = self._skies.get(off)
        if top is None:
            top = self.sky[:, off:off + self.w].copy()
            np.copyto(top, self.skyline, where=self.mask[..., None] > 0)
            self._skies[off] = top
        img = np.empty((self.h, self.w, 3), np.uint8)
        img[:self.horizon] = top
        img[self.horizon:] = self.ground
        return img


def draw_ball(img: np.ndarray, box, color) -> None:
    """Draw a ball filling ``box`` (pixels).

    Args:
        img (np.ndarray): BGR image, drawn in place.
        box (Sequence[float]): ``x1, y1, x2, y2``.
        color (tuple): BGR colour.
    """
    c = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
    r = int(round((box[2] - box[0]) / 2 * ONE))
    cv2.circle(img, _pt(c), r, color, -1, AA, SHIFT)
    cv2.circle(img, _pt(c), r, _shade(color, 0.45), 1, AA, SHIFT)


def draw_box_object(img: np.ndarray, box, color, cross: bool) -> None:
    """Draw a bag (``cross=False``) or crate (``cross=True``).

    Args:
        img (np.ndarray): BGR image, drawn in place.
        box (Sequence[float]): ``x1, y1, x2, y2``.
        color (tuple): BGR colour.
        cross (bool): Draw the crate's diagonal slats.
    """
    p1, p2 = _pt(box[:2]), _pt(box[2:])
    cv2.rectangle(img, p1, p2, color, -1, AA, SHIFT)
    dark = _shade(color, 0.5)
    cv2.rectangle(img, p1, p2, dark, 1, AA, SHIFT)
    if cross:
        cv2.line(img, p1, p2, dark, 1, AA, SHIFT)
        cv2.line(img, (p1[0], p2[1]), (p2[0], p1[1]), dark, 1, AA, SHIFT)


def draw_prop(img: np.ndarray, prop: Prop) -> None:
    """Draw a static prop.

    Args:
        img (np.ndarray): BGR image, drawn in place.
        prop (Prop): The prop.
    """
    if prop.kind == PROP_BALL:
        draw_ball(img, prop.box, prop.color)
    else:
        draw_box_object(img, prop.box, prop.color, prop.kind == PROP_CRATE)


def draw_person(img: np.ndarray, pts: np.ndarray, h: float, f: int,
                colors: Tuple) -> None:
    """Draw one stick figure from its joints.

    Args:
        img (np.ndarray): BGR image, drawn in place.
        pts (np.ndarray): ``[NUM_JOINTS, 2]`` joints in pixels.
        h (float): Standing height in pixels.
        f (int): Facing (+1 right, -1 left), decides the hair side.
        colors (tuple): ``(shirt, pants, skin, hair)`` BGR colours.
    """
    shirt, pants, skin, hair = colors
    limb, torso = limb_thickness(h)
    p = [_pt(q) for q in pts]

    def chain(a: int, b: int, c: int, color) -> None:
        cv2.line(img, p[a], p[b], color, limb, AA, SHIFT)
        cv2.line(img, p[b], p[c], color, limb, AA, SHIFT)

    chain(NECK_J, ELBOW1, HAND1, _shade(shirt, 0.7))
    chain(HIP, KNEE1, FOOT1, _shade(pants, 0.7))
    cv2.line(img, p[HIP], p[NECK_J], shirt, torso, AA, SHIFT)
    chain(HIP, KNEE0, FOOT0, pants)
    chain(NECK_J, ELBOW0, HAND0, shirt)
    r = int(round(HEAD_R * h * ONE))
    cv2.circle(img, p[HEAD], r, skin, -1, AA, SHIFT)
    start = 135 if f > 0 else 225
    cv2.ellipse(img, p[HEAD], (r, r), 0, start, start + 180, hair, -1, AA,
                SHIFT)
    eye = (pts[HEAD][0] + f * 0.5 * HEAD_R * h, pts[HEAD][1])
    cv2.circle(img, _pt(eye), max(ONE, r // 4), (20, 20, 20), -1, AA, SHIFT)


class Renderer:
    """Draws the frames of one video.

    Args:
        script (VideoScript): The planned video.
        geometry (Geometry): Its joints and object boxes.
        rng (np.random.Generator): Source of the scene's look and noise
            (independent of the planning generator).
        noise (float): Camera noise standard deviation in grey levels.
    """

    def __init__(self, script: VideoScript, geometry: Geometry,
                 rng: np.random.Generator, noise: float) -> None:
        self.s, self.g, self.rng = script, geometry, rng
        self.bg = Background(rng, script.width, script.height)
        shape = (6, script.height, script.width, 3)
        bank = rng.normal(0, max(noise, 1e-6), shape)
        self.noise_pos = np.clip(bank, 0, 255).astype(np.uint8)
        self.noise_neg = np.clip(-bank, 0, 255).astype(np.uint8)
        # draw order: far (small ground y) to near; props before people
        items: List[Tuple[float, int, int]] = []
        items += [(pr.ground_y, 0, k) for k, pr in enumerate(script.props)]
        items += [(a.look.lane_y, 1, k) for k, a in enumerate(script.actors)]
        self.order = sorted(items)
        self.corrupt = (-1, -1)
        if script.corrupt_second >= 0:
            b = slot_bounds(script.seconds + 1, script.fps,
                            script.num_frames)
            self.corrupt = (b[script.corrupt_second],
                            b[script.corrupt_second + 1])
        self.ball_colors = [(0, 140, 255), (240, 240, 240), (0, 230, 255)]
        self.bag_colors = [(255, 0, 255), (0, 255, 255), (255, 255, 0)]

    def _draw_people(self, img: np.ndarray, i: int) -> None:
        for _, kind, k in self.order:
            if kind == 0:
                draw_prop(img, self.s.props[k])
                continue
            if self.g.visible[k, i] <= 0:
                continue
            a = self.s.actors[k]
            lk = a.look
            draw_person(img, self.g.joints[k, i], lk.height,
                        int(a.facings[i]), (lk.shirt, lk.pants, lk.skin,
                                            lk.hair))
            obj = int(self.g.obj_kind[k, i])
            if obj == OBJ_BALL:
                draw_ball(img, self.g.obj_boxes[k, i],
                          self.ball_colors[k % len(self.ball_colors)])
            elif obj == OBJ_BAG:
                draw_box_object(img, self.g.obj_boxes[k, i],
                                self.bag_colors[k % len(self.bag_colors)],
                                False)

    def _corrupt(self, img: np.ndarray, i: int) -> np.ndarray:
        if self.s.corrupt_kind == 0:  # blank (lens cap / black frame)
            img[:] = 16
            return img
        # glitch: bands shifted sideways, channels swapped
        out = img[:, :, ::-1].copy()
        band = max(2, self.s.height // 10)
        for y in range(0, self.s.height, band):
            shift = int(self.rng.integers(-self.s.width // 3,
                                          self.s.width // 3))
            out[y:y + band] = np.roll(out[y:y + band], shift, axis=1)
        return out

    def frame(self, i: int) -> np.ndarray:
        """Render frame ``i`` (0-based) as a BGR uint8 image.

        Args:
            i (int): Frame index.
        """
        img = self.bg.frame(i / self.s.fps)
        self._draw_people(img, i)
        if self.corrupt[0] <= i < self.corrupt[1]:
            img = self._corrupt(img, i)
        k = int(self.rng.integers(0, len(self.noise_pos)))
        cv2.add(img, self.noise_pos[k], dst=img)
        cv2.subtract(img, self.noise_neg[k], dst=img)
        return img

    def frames(self) -> Iterator[np.ndarray]:
        """All frames in order."""
        for i in range(self.s.num_frames):
            yield self.frame(i)


def props_for(rng: np.random.Generator, width: int, height: int,
              lanes: List[float]) -> List[Prop]:
    """Random static props (balls, bags, crates) on the ground.

    Args:
        rng (np.random.Generator): Planning generator.
        width (int): Frame width.
        height (int): Frame height.
        lanes (list[float]): Ground lines of the people's lanes.
    """
    props = []
    for _ in range(int(rng.integers(1, 4))):
        kind = int(rng.choice([PROP_BALL, PROP_BAG, PROP_CRATE]))
        y = float(rng.choice(lanes)) + float(rng.uniform(-2, 2))
        s = height * float(rng.uniform(0.07, 0.12))
        w, h = {PROP_BALL: (0.45 * s, 0.45 * s), PROP_BAG: (0.9 * s, 0.8 * s),
                PROP_CRATE: (1.3 * s, 1.1 * s)}[kind]
        color = tuple(int(c) for c in rng.integers(40, 230, 3))
        x = float(rng.uniform(w, width - w))
        props.append(Prop(kind, x, min(y, height - 1.0), w, h, color))
    return props

