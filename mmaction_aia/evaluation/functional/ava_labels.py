"""AVA's class list, class groups and label-map writer.

:data:`AVA_EVALUATED_CLASSES` are the 60 classes of AVA v2.1/v2.2 that
ActivityNet evaluates (``ava_action_list_v2.2_for_activitynet_2019.pbtxt``);
:data:`AVA_CLASS_GROUPS` is mmaction2's grouping of AVA's 80 ids by label
type (PERSON_MOVEMENT 1-14, OBJECT_MANIPULATION 15-63, PERSON_INTERACTION
64-80), used for the per-group means mmaction2 prints.
"""
from typing import Dict, List, Optional, Sequence, Tuple

AVA_CLASS_GROUPS: Dict[str, List[int]] = {
    'person_movement': list(range(1, 15)),
    'object_manipulation': list(range(15, 64)),
    'person_interaction': list(range(64, 81)),
}

#: The 60 classes of AVA v2.x evaluated by ActivityNet (id, name).
AVA_EVALUATED_CLASSES: List[Tuple[int, str]] = [
    (1, 'bend/bow (at the waist)'), (3, 'crouch/kneel'), (4, 'dance'),
    (5, 'fall down'), (6, 'get up'), (7, 'jump/leap'), (8, 'lie/sleep'),
    (9, 'martial art'), (10, 'run/jog'), (11, 'sit'), (12, 'stand'),
    (13, 'swim'), (14, 'walk'), (15, 'answer phone'),
    (17, 'carry/hold (an object)'), (20, 'climb (e.g., a mountain)'),
    (22, 'close (e.g., a door, a box)'), (24, 'cut'),
    (26, 'dress/put on clothing'), (27, 'drink'),
    (28, 'drive (e.g., a car, a truck)'), (29, 'eat'), (30, 'enter'),
    (34, 'hit (an object)'), (36, 'lift/pick up'),
    (37, 'listen (e.g., to music)'),
    (38, 'open (e.g., a window, a car door)'),
    (41, 'play musical instrument'), (43, 'point to (an object)'),
    (45, 'pull (an object)'), (46, 'push (an object)'), (47, 'put down'),
    (48, 'read'), (49, 'ride (e.g., a bike, a car, a horse)'),
    (51, 'sail boat'), (52, 'shoot'), (54, 'smoke'), (56, 'take a photo'),
    (57, 'text on/look at a cellphone'), (58, 'throw'),
    (59, 'touch (an object)'), (60, 'turn (e.g., a screwdriver)'),
    (61, 'watch (e.g., TV)'), (62, 'work on a computer'), (63, 'write'),
    (64, 'fight/hit (a person)'),
    (65, 'give/serve (an object) to (a person)'), (66, 'grab (a person)'),
    (67, 'hand clap'), (68, 'hand shake'), (69, 'hand wave'),
    (70, 'hug (a person)'), (72, 'kiss (a person)'), (73, 'lift (a person)'),
    (74, 'listen to (a person)'), (76, 'push (another person)'),
    (77, 'sing to (e.g., self, a person, a group)'),
    (78, 'take (an object) from (a person)'),
    (79, 'talk to (e.g., self, a person, a group)'), (80, 'watch (a person)'),
]


def write_label_map(path: str, classes: Sequence[Tuple[int, str]]) -> str:
    """Write a label map in AVA's pbtxt format.

    Args:
        path (str): Output file.
        classes (Sequence[tuple[int, str]]): ``(id, name)`` pairs.

    Returns:
        str: ``path``.
    """
    with open(path, 'w') as f:
        for class_id, name in classes:
            f.write(f'item {{\n  name: "{name}"\n  id: {class_id}\n}}\n')
    return path


_AVA_NAMES = dict(AVA_EVALUATED_CLASSES)


def default_class_groups(class_names: Optional[Dict[int, str]]
                         ) -> Dict[str, List[int]]:
    """AVA's groups for AVA label maps, none for other datasets.

    A label map counts as AVA's when it shares ids with AVA's evaluated
    classes and names at least half of them as AVA does; other label maps
    (e.g. the synthetic dataset's) would get meaningless AVA group means, so
    they get none.

    Args:
        class_names (dict[int, str], optional): Label-map names; None means
            unknown, which keeps AVA's groups.
    """
    if class_names:
        shared = [c for c in class_names if c in _AVA_NAMES]
        same = sum(class_names[c] == _AVA_NAMES[c] for c in shared)
        if not shared or 2 * same < len(shared):
            return {}
    return AVA_CLASS_GROUPS
