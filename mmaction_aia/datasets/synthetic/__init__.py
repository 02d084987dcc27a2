"""Generator of small synthetic AVA-format datasets (videos, frames, CSVs,
proposal pickles, label map) for training and testing on a CPU.

Example::

    from mmaction_aia.datasets.synthetic import (SyntheticAVAConfig,
                                                 ensure_synthetic_ava)
    ensure_synthetic_ava('data/synthetic_ava', seed=0)

Command line: ``python -m mmaction_aia.datasets.synthetic --out DIR``.
See ``docs/synthetic_dataset.md`` for the classes and their rules.
"""
from .classes import CLASS_TABLE, SYNTHETIC_CLASS_GROUPS, ActionClass
from .config import GENERATOR_VERSION, SyntheticAVAConfig
from .generate import (
    STAMP_NAME,
    count_synthetic_labels,
    ensure_synthetic_ava,
    generate_synthetic_ava,
    is_complete,
)

__all__ = ['CLASS_TABLE', 'SYNTHETIC_CLASS_GROUPS', 'ActionClass',
           'GENERATOR_VERSION', 'STAMP_NAME', 'SyntheticAVAConfig',
           'count_synthetic_labels', 'ensure_synthetic_ava',
           'generate_synthetic_ava', 'is_complete']
