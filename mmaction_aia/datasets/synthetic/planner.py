"""Choose what every person does, slot by slot (see :mod:`.script`).

People are grouped into *lanes* (a depth in the scene) of one or two
people. A lane of two alternates between joint scenes (talk, follow, push,
each preceded by a walk that brings the two to the right distance) and
independent activities; anyone may leave the frame and come back later.
"""
import math
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .classes import (
    ACT_NONE,
    CROUCH,
    GESTURE,
    HOLD,
    JUMP,
    KICK,
    LIE,
    PUSH,
    RUN,
    STAND,
    THROW,
    WALK,
)
from .script import (
    EDGE,
    FOLLOW_GAP,
    OFF,
    PUSH_GAP,
    RUN_SPEED,
    TALK_GAP,
    WALK_SPEED,
    Actor,
    Slot,
)

# (pose, weight, (min, max) slots, ((act, weight), ...)) of lone activities
SOLO_TABLE = (
    (STAND, 0.30, (3, 5), ((ACT_NONE, .04), (GESTURE, .10), (HOLD, .20),
                           (KICK, .33), (THROW, .33))),
    (WALK, 0.05, (2, 4), ((ACT_NONE, .30), (HOLD, .55), (PUSH, .15))),
    (RUN, 0.18, (2, 3), ((ACT_NONE, 1.0),)),
    (JUMP, 0.18, (2, 3), ((ACT_NONE, 1.0),)),
    (CROUCH, 0.14, (2, 3), ((ACT_NONE, .6), (HOLD, .4))),
    (LIE, 0.15, (2, 3), ((ACT_NONE, 1.0),)),
)
SOLO_LEAVE_PROB = 0.05
# joint scenes of a lane of two
PAIR_WEIGHTS = (('talk', .20), ('follow', .24), ('push', .28),
                ('solo', .24), ('leave', .04))


def _pick(rng: np.random.Generator, items: Sequence, weights: Sequence):
    p = np.asarray(weights, np.float64)
    return items[int(rng.choice(len(items), p=p / p.sum()))]


def _sign(v: float) -> int:
    return 1 if v >= 0 else -1


class LanePlanner:
    """Fills the slots of the one or two people of a lane.

    Args:
        rng (np.random.Generator): Source of every choice.
        actors (list[Actor]): The lane's people.
        width (int): Frame width in pixels.
        fps (int): Frames per second.
        bounds (list[int]): Slot boundaries from ``script.slot_bounds``.
    """

    def __init__(self, rng: np.random.Generator, actors: List[Actor],
                 width: int, fps: int, bounds: List[int]) -> None:
        self.rng = rng
        self.actors = actors
        self.width = width
        self.fps = fps
        self.bounds = bounds
        self.num_slots = len(bounds) - 1

    # ----------------------------------------------------------- helpers
    def _speed(self, a: Actor, pose: int = WALK) -> float:
        lo, hi = RUN_SPEED if pose == RUN else WALK_SPEED
        return float(self.rng.uniform(lo, hi)) * a.h

    def _x_range(self, a: Actor) -> Tuple[float, float]:
        return EDGE * a.h, self.width - EDGE * a.h

    def _outside_x(self, a: Actor, side: int) -> float:
        return -OFF * a.h if side < 0 else self.width + OFF * a.h

    @property
    def done(self) -> bool:
        """Whether every slot of the lane is filled."""
        return min(a.cursor for a in self.actors) >= self.num_slots

    def _commit(self, parts: Dict[Actor, List[Slot]]) -> None:
        lengths = {len(s) for s in parts.values()}
        assert len(lengths) == 1, 'lane members must advance together'
        for actor, slots in parts.items():
            actor.run(slots, self.bounds, self.fps, self._x_range(actor))

    # ---------------------------------------------------- lone activities
    def _activity(self, a: Actor) -> List[Slot]:
        pose, _, (lo, hi), acts = _pick(self.rng, SOLO_TABLE,
                                        [r[1] for r in SOLO_TABLE])
        act = _pick(self.rng, [x[0] for x in acts], [x[1] for x in acts])
        n = int(self.rng.integers(lo, hi + 1))
        facing = a.facing if self.rng.random() < 0.7 else -a.facing
        if pose == LIE and not 0.65 * a.h < a.x < self.width - 0.65 * a.h:
            pose = CROUCH  # lying down here would stick out of the frame
        if pose in (WALK, RUN):
            lo_x, hi_x = self._x_range(a)
            centre = _sign(self.width / 2 - a.x)
            near_edge = a.x < lo_x + a.h or a.x > hi_x - a.h
            facing = centre if near_edge else facing
            return [Slot(pose, act, self._speed(a, pose), facing, facing,
                         bounce=True)] * n
        return [Slot(pose, act, facing=facing)] * n

    def _solo_fill(self, a: Actor, n: int) -> List[Slot]:
        slots: List[Slot] = []
        while len(slots) < n:
            slots += self._activity(a)
        return slots[:n]

    def _enter(self, a: Actor, side: int, away: int) -> List[Slot]:
        """``away`` slots outside, then walk in from border ``side``."""
        inward = -side
        v = self._speed(a)
        n = int(self.rng.integers(2, 4))
        first = Slot(WALK, ACT_NONE, v, inward, inward,
                     place=self._outside_x(a, side))
        rest = Slot(WALK, ACT_NONE, v, inward, inward)
        return [Slot(STAND, facing=inward)] * away + [first] + [rest] * (n - 1)

    def _leave(self, a: Actor) -> List[Slot]:
        """Walk out at the nearer border, stay away, come back."""
        side = _sign(a.x - self.width / 2)
        if self.rng.random() < 0.2:
            side = -side
        v = self._speed(a)
        n = math.ceil(abs(self._outside_x(a, side) - a.x) / v)
        out = [Slot(WALK, ACT_NONE, v, side, side)] * n
        back = side if self.rng.random() < 0.7 else -side
        return out + self._enter(a, back, int(self.rng.integers(1, 4)))

    # ------------------------------------------------------ joint scenes
    def _solve_gap(self, m: Actor, o: Actor, lo: float,
                   hi: float) -> Optional[Tuple[int, float, int]]:
        """Slots, speed and direction of a walk of ``m`` that ends with
        ``lo <= |x_m - x_o| <= hi`` (pixels), or ``None``."""
        gap = abs(m.x - o.x)
        side = _sign(m.x - o.x)
        if lo <= gap <= hi:
            return 0, 0.0, 0
        if gap > hi:
            direction, d_lo, d_hi = -side, gap - hi, gap - lo
        else:
            direction, d_lo, d_hi = side, lo - gap, hi - gap
        v_min, v_max = WALK_SPEED[0] * m.h, WALK_SPEED[1] * m.h
        x_lo, x_hi = self._x_range(m)
        for n in range(1, 5):
            v_lo, v_hi = max(v_min, d_lo / n), min(v_max, d_hi / n)
            if v_lo <= v_hi:
                v = float(self.rng.uniform(v_lo, v_hi))
                end = m.x + direction * v * n
                return (n, v, direction) if x_lo <= end <= x_hi else None
        return None

    def _approach(self, a: Actor, b: Actor, gaps: Tuple[float, float]) -> bool:
        """Bring ``a`` and ``b`` to a gap in ``gaps`` (body heights)."""
        lo, hi = gaps[0] * a.h, gaps[1] * a.h
        for _ in range(3):
            if self.done:
                return False
            options = []
            for m, o in ((a, b), (b, a)):
                sol = self._solve_gap(m, o, lo, hi)
                if sol is not None:
                    options.append((sol[0], float(self.rng.random()), m, o,
                                    sol))
            if options:
                n, _, m, o, (_, v, d) = min(options, key=lambda t: t[:2])
                if n:
                    look = _sign(m.x - o.x)
                    self._commit({m: [Slot(WALK, ACT_NONE, v, d, d)] * n,
                                  o: [Slot(STAND, facing=look)] * n})
                return not self.done
            # no single walk fits: step one of them towards the centre
            m, o = (a, b) if self.rng.random() < 0.5 else (b, a)
            d = _sign(self.width / 2 - m.x)
            self._commit({m: [Slot(WALK, ACT_NONE, self._speed(m), d, d)],
                          o: [Slot(STAND, facing=o.facing)]})
        return False

    def _talk(self, a: Actor, b: Actor) -> None:
        if not self._approach(a, b, TALK_GAP):
            return
        fa = _sign(b.x - a.x)
        slots_a, slots_b = [], []
        for _ in range(int(self.rng.integers(2, 6))):
            r = self.rng.random()
            act_a = GESTURE if r < 0.4 or r >= 0.8 else ACT_NONE
            act_b = GESTURE if r >= 0.4 else ACT_NONE
            slots_a.append(Slot(STAND, act_a, facing=fa, partner=b.index))
            slots_b.append(Slot(STAND, act_b, facing=-fa, partner=a.index))
        self._commit({a: slots_a, b: slots_b})

    def _follow(self, a: Actor, b: Actor) -> None:
        if not self._approach(a, b, FOLLOW_GAP):
            return
        d = 1 if self.rng.random() < 0.5 else -1
        lead, fol = (a, b) if (a.x - b.x) * d > 0 else (b, a)
        v = self._speed(lead)
        n = int(self.rng.integers(3, 6))
        lo, hi = self._x_range(lead)
        room = hi - lead.x if d > 0 else lead.x - lo
        if v * n > room:
            if room < 2 * v or self.rng.random() < 0.3:  # walk out together
                n = math.ceil(abs(self._outside_x(fol, d) - fol.x) / v)
            else:
                n = int(room // v)
        slot = Slot(WALK, ACT_NONE, v, d, d)
        self._commit({lead: [slot] * n, fol: [slot] * n})

    def _push(self, a: Actor, b: Actor) -> None:
        if not self._approach(a, b, PUSH_GAP):
            return
        v = self._speed(a)
        n = int(self.rng.integers(2, 5))
        options = []  # (fits, room, tie-break, pusher, target, direction)
        for pusher, target in ((a, b), (b, a)):
            d = _sign(target.x - pusher.x)
            lo, hi = self._x_range(target)
            room = hi - target.x if d > 0 else target.x - lo
            options.append((v * n <= room, room, float(self.rng.random()),
                            pusher, target, d))
        fits, room, _, pusher, target, d = max(options, key=lambda t: (
            t[0], t[2] if t[0] else t[1]))
        if not fits:
            n = int(room // v)
        if n < 1:
            self._pair_solo(a, b)
            return
        self._commit({
            pusher: [Slot(WALK, PUSH, v, d, d, partner=target.index)] * n,
            target: [Slot(WALK, ACT_NONE, v, d, -d)] * n})

    def _pair_solo(self, a: Actor, b: Actor) -> None:
        n = int(self.rng.integers(2, 5))
        self._commit({a: self._solo_fill(a, n), b: self._solo_fill(b, n)})

    def _pair_enter(self, a: Actor, b: Actor) -> None:
        """Both outside: come back in together, one following the other."""
        side = _sign(a.x - self.width / 2)
        if self.rng.random() < 0.3:
            side = -side
        d = -side
        lead, fol = (a, b) if self.rng.random() < 0.5 else (b, a)
        v = self._speed(lead)
        start = self._outside_x(lead, side)
        gap = float(self.rng.uniform(*FOLLOW_GAP)) * lead.h
        target = EDGE * fol.h if d > 0 else self.width - EDGE * fol.h
        n = math.ceil(abs(target - (start - d * gap)) / v) + int(
            self.rng.integers(0, 2))
        away = [Slot(STAND, facing=d)] * int(self.rng.integers(1, 3))
        walk = Slot(WALK, ACT_NONE, v, d, d)
        self._commit({
            lead: away + [Slot(WALK, ACT_NONE, v, d, d, place=start)]
            + [walk] * (n - 1),
            fol: away + [Slot(WALK, ACT_NONE, v, d, d, place=start - d * gap)]
            + [walk] * (n - 1)})

    # -------------------------------------------------------------- main
    def _step_single(self, a: Actor) -> None:
        if a.outside(self.width):
            slots = self._enter(a, _sign(a.x), int(self.rng.integers(1, 4)))
        elif self.rng.random() < SOLO_LEAVE_PROB:
            slots = self._leave(a)
        else:
            slots = self._activity(a)
        self._commit({a: slots})

    def _step_pair(self, a: Actor, b: Actor) -> None:
        outside = [m for m in (a, b) if m.outside(self.width)]
        if len(outside) == 2:
            self._pair_enter(a, b)
            return
        if outside:
            m = outside[0]
            o = b if m is a else a
            slots = self._enter(m, _sign(m.x), int(self.rng.integers(1, 4)))
            self._commit({m: slots, o: self._solo_fill(o, len(slots))})
            return
        scene = _pick(self.rng, [s for s, _ in PAIR_WEIGHTS],
                      [w for _, w in PAIR_WEIGHTS])
        if scene == 'leave':
            m, o = (a, b) if self.rng.random() < 0.5 else (b, a)
            slots = self._leave(m)
            self._commit({m: slots, o: self._solo_fill(o, len(slots))})
        elif scene == 'solo':
            self._pair_solo(a, b)
        else:
            getattr(self, f'_{scene}')(a, b)

    def fill(self) -> None:
        """Fill every slot of the lane's people."""
        while not self.done:
            if len(self.actors) == 1:
                self._step_single(self.actors[0])
            else:
                self._step_pair(*self.actors)
