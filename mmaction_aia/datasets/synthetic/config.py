"""Parameters of the synthetic AVA-format dataset generator."""
from dataclasses import asdict, dataclass, fields
from typing import Any, Dict, Tuple

#: Bump whenever the generator's output changes for the same parameters, so
#: :func:`ensure_synthetic_ava` regenerates stale folders.
GENERATOR_VERSION = '1.0'

#: Class groups in their canonical order (see ``classes.CLASS_TABLE``).
ALL_GROUPS = ('pose', 'object', 'person', 'memory')


@dataclass(frozen=True)
class SyntheticAVAConfig:
    """What to generate. Every field is also a command-line option.

    The defaults make a dataset that renders in about half a minute on two
    CPU cores and that a tiny SlowOnly detector can learn in minutes.

    Args:
        seed (int): Seed of every random choice. The same seed and
            parameters recreate the same files byte for byte.
        num_train_videos (int): Videos of the ``train`` split.
        num_val_videos (int): Videos of the ``val`` split.
        seconds (int): Length of each video in seconds. Keyframes lie at
            ``timestamp_start + 2 ... timestamp_start + seconds - 2``.
        fps (int): Frames per second (AVA: 30).
        width (int): Frame width in pixels.
        height (int): Frame height in pixels.
        min_persons (int): Fewest people in a video (at least 2).
        max_persons (int): Most people in a video (at most 6).
        groups (tuple[str]): Class groups written to the annotations, a
            subset of ``('pose', 'object', 'person', 'memory')``. The scenes
            do not change; class ids stay those of the full table.
        timestamp_start (int): Second of the first frame (AVA: 900).
        noise (float): Standard deviation of the camera noise (grey levels).
        exclusion_prob (float): Chance that a video has one corrupted
            (blank or glitched) second whose keyframe is excluded.
        jpeg_quality (int): Quality of the extracted ``rawframes`` JPEGs.
        write_videos (bool): Write ``videos/{video_id}.mp4``.
        write_rawframes (bool): Write ``rawframes/{video_id}/img_*.jpg``.
    """

    seed: int = 0
    num_train_videos: int = 24
    num_val_videos: int = 8
    seconds: int = 30
    fps: int = 30
    width: int = 160
    height: int = 120
    min_persons: int = 3
    max_persons: int = 5
    groups: Tuple[str, ...] = ALL_GROUPS
    timestamp_start: int = 900
    noise: float = 4.0
    exclusion_prob: float = 0.5
    jpeg_quality: int = 90
    write_videos: bool = True
    write_rawframes: bool = True

    def __post_init__(self) -> None:
        groups = tuple(self.groups)
        unknown = [g for g in groups if g not in ALL_GROUPS]
        if unknown or not groups:
            raise ValueError(f'groups must be a non-empty subset of '
                             f'{ALL_GROUPS}, got {groups!r}')
        # canonical order and no duplicates, so equal sets compare equal
        object.__setattr__(self, 'groups',
                           tuple(g for g in ALL_GROUPS if g in groups))
        if self.seconds < 5:
            raise ValueError('seconds must be >= 5 (keyframes need 2 s of '
                             f'margin on each side), got {self.seconds}')
        if not 2 <= self.min_persons <= self.max_persons <= 6:
            raise ValueError('need 2 <= min_persons <= max_persons <= 6, got '
                             f'{self.min_persons}, {self.max_persons}')
        if self.width < 48 or self.height < 36:
            raise ValueError('frames must be at least 48x36, got '
                             f'{self.width}x{self.height}')
        if self.fps < 4:
            raise ValueError(f'fps must be >= 4, got {self.fps}')
        if self.num_train_videos < 0 or self.num_val_videos < 0:
            raise ValueError('video counts must be >= 0')
        if not self.write_videos and not self.write_rawframes:
            raise ValueError('write_videos and write_rawframes are both off')

    @property
    def keyframe_seconds(self) -> Tuple[int, ...]:
        """Keyframe times relative to the first frame (2 .. seconds-2)."""
        return tuple(range(2, self.seconds - 1))

    def to_dict(self) -> Dict[str, Any]:
        """The parameters as a JSON-ready dict (``groups`` as a list)."""
        params = asdict(self)
        params['groups'] = list(self.groups)
        return params

    @classmethod
    def from_dict(cls, params: Dict[str, Any]) -> 'SyntheticAVAConfig':
        """Build a config from :meth:`to_dict` output, ignoring unknown keys.

        Args:
            params (dict): Field values; ``groups`` may be a list.
        """
        names = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in params.items() if k in names}
        if 'groups' in kwargs:
            kwargs['groups'] = tuple(kwargs['groups'])
        return cls(**kwargs)
