"""Let ``torch.load(weights_only=True)`` (torch >= 2.6 default) read mmengine
checkpoints, by allow-listing exactly the globals mmengine stores.

mmengine 0.10 checkpoints hold a ``message_hub`` with
:class:`~mmengine.logging.HistoryBuffer` objects (numpy arrays inside, and a
dict of its statistics methods pickled as ``getattr(HistoryBuffer, name)``).
We allow-list ``HistoryBuffer``, the numpy array / scalar / dtype
reconstructors (under both numpy 1.x and 2.x module paths, so checkpoints
written on either load), and a *restricted* stand-in for ``builtins.getattr``
that only returns HistoryBuffer's statistics methods. Arbitrary code is never
executed and ``weights_only`` is never switched off.
"""
from typing import Any, List

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

# HistoryBuffer._set_default_statistics registers these on every instance
_DEFAULT_STATISTICS = frozenset({'mean', 'max', 'min', 'current'})


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """``getattr`` limited to what HistoryBuffer pickles."""
    allowed = _DEFAULT_STATISTICS | set(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and name in allowed:
        return getattr(obj, name)
    raise RuntimeError(
        f'Refusing getattr({obj!r}, {name!r}) while loading a checkpoint with '
        'weights_only=True: only HistoryBuffer statistics methods are '
        'allow-listed by mmaction_aia. Load the file with torch.load('
        'weights_only=False) yourself only if you trust it.')


def _numpy_globals() -> List[Any]:
    core = np._core if hasattr(np, '_core') else np.core
    reconstruct = core.multiarray._reconstruct
    scalar = core.multiarray.scalar
    entries = [np.ndarray, np.dtype]
    for prefix in ('numpy.core', 'numpy._core'):
        entries.append((reconstruct, f'{prefix}.multiarray._reconstruct'))
        entries.append((scalar, f'{prefix}.multiarray.scalar'))
    # numpy >= 1.25 pickles dtypes of arrays through their DType classes
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        for name in dir(dtypes):
            if name.endswith('DType'):
                entries.append((getattr(dtypes, name), f'numpy.dtypes.{name}'))
    return entries


def register_safe_globals() -> None:
    """Allow-list mmengine's checkpoint contents for ``weights_only`` loads.

    Idempotent; a no-op on torch versions without ``add_safe_globals``.
    """
    add_safe_globals = getattr(torch.serialization, 'add_safe_globals', None)
    if add_safe_globals is None:
        return
    add_safe_globals([HistoryBuffer,
                      (_history_buffer_getattr, 'builtins.getattr')] +
                     _numpy_globals())
