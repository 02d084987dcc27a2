"""The action classes of the synthetic dataset and the scripted states.

Every label follows from the rendered state by a deterministic rule; the
rule of each class is the fourth field of :data:`CLASS_TABLE` and is copied
into the dataset's README.
"""
from typing import Dict, List, NamedTuple, Sequence, Tuple

# Pose (locomotion) states of a person; exactly one per person and frame.
STAND, WALK, RUN, JUMP, CROUCH, LIE = range(6)
POSE_NAMES = ('stand', 'walk', 'run', 'jump', 'crouch', 'lie')

# Upper-body / interaction states (at most one per person and frame).
ACT_NONE, GESTURE, HOLD, KICK, THROW, PUSH, FOLLOW = range(7)


class ActionClass(NamedTuple):
    """One row of the class table.

    Args:
        id (int): AVA-style action id (1-based; 0 is background).
        name (str): Label-map name.
        group (str): ``pose``, ``object``, ``person`` or ``memory``.
        rule (str): What in the rendered scene decides the label.
    """

    id: int
    name: str
    group: str
    rule: str


CLASS_TABLE: Tuple[ActionClass, ...] = (
    ActionClass(1, 'stand', 'pose',
                'upright, feet still, no translation'),
    ActionClass(2, 'walk', 'pose',
                'upright, translating at 0.35-0.6 body heights/s with a '
                'slow (0.9 Hz) leg swing; walking backwards counts'),
    ActionClass(3, 'run', 'pose',
                'translating at 1.0-1.3 body heights/s, fast (2.2 Hz) '
                'wide leg swing, bent pumping arms, forward lean'),
    ActionClass(4, 'jump', 'pose',
                'in place, whole body bouncing 0.3 body heights every '
                '0.6 s, arms swinging up'),
    ActionClass(5, 'crouch', 'pose',
                'static, knees bent, about 0.7 of the standing height'),
    ActionClass(6, 'lie', 'pose',
                'lying horizontally on the ground, static'),
    ActionClass(7, 'hold', 'object',
                'an object (bag) moves with the hand, in any upright pose'),
    ActionClass(8, 'kick', 'object',
                'standing; a ball bounces up from the front foot, which '
                'swings up to strike it every 0.6 s (a ball lying still '
                'near the feet is no kick)'),
    ActionClass(9, 'throw', 'object',
                'standing, arm raised; a ball is tossed above the head and '
                'caught every 0.8 s'),
    ActionClass(10, 'talk to', 'person',
                'standing, waving a raised arm (2.5 Hz) while facing another '
                'visible person of the same depth 0.5-1.2 body heights away '
                'who faces back (the same gesture alone is no talk)'),
    ActionClass(11, 'follow', 'person',
                'walking 0.65-1.35 body heights behind a visible person of '
                'the same depth who walks the same way at the same speed '
                '(the one in front only walks)'),
    ActionClass(12, 'push', 'person',
                'walking with both arms stretched onto a person of the '
                'same depth who walks backwards, facing the pusher '
                '(arms stretched with nobody in front is no push)'),
    ActionClass(13, 'wait', 'memory',
                'has been standing for the whole 3.5 s before the keyframe '
                '(needs the seconds before the clip)'),
    ActionClass(14, 'return', 'memory',
                'walked back into the frame at most 2 s ago after having '
                'been outside it for at least 1 s, having been seen before '
                '(a first entry is no return)'),
)

#: Class ids of each group, e.g. ``{'pose': [1, 2, 3, 4, 5, 6], ...}``.
SYNTHETIC_CLASS_GROUPS: Dict[str, List[int]] = {
    group: [c.id for c in CLASS_TABLE if c.group == group]
    for group in ('pose', 'object', 'person', 'memory')
}

#: Action id of each pose state (index = pose state).
POSE_CLASS_IDS = tuple(c.id for c in CLASS_TABLE if c.group == 'pose')
HOLD_ID, KICK_ID, THROW_ID = 7, 8, 9
TALK_ID, FOLLOW_ID, PUSH_ID = 10, 11, 12
WAIT_ID, RETURN_ID = 13, 14


def classes_of_groups(groups: Sequence[str]) -> List[ActionClass]:
    """The classes of the given groups, in id order.

    Args:
        groups (Sequence[str]): Group names, e.g. ``('pose', 'memory')``.
    """
    return [c for c in CLASS_TABLE if c.group in groups]


def label_map_text(classes: Sequence[ActionClass]) -> str:
    """AVA label-map (pbtxt) text of ``item { name: ... id: ... }`` blocks.

    Args:
        classes (Sequence[ActionClass]): Classes to list.
    """
    return ''.join(f'item {{\n  name: "{c.name}"\n  id: {c.id}\n}}\n'
                   for c in classes)
