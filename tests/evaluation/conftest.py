"""Fixtures of the evaluation tests: the reference evaluators and cases."""
import types

import numpy as np
import pytest

from . import ava_reference
from .ava_cases import CaseConfig, make_case


@pytest.fixture(scope='session')
def reference() -> types.ModuleType:
    """:mod:`.ava_reference`, with both wheels found (else a clear error)."""
    ava_reference.tf_evaluation()
    ava_reference.mmaction2_ava_utils()
    return ava_reference


@pytest.fixture
def make_ava_case(tmp_path):
    """``make_ava_case(seed, **config)`` writes a random case (paths dict)."""

    def make(seed: int, **config) -> dict:
        folder = tmp_path / f'case{seed}'
        return make_case(np.random.default_rng(seed), str(folder),
                         CaseConfig(**config))

    return make
