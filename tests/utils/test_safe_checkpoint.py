import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer

import mmaction_aia  # noqa: F401  (registers the allow-list)
from mmaction_aia.utils.safe_checkpoint import _history_buffer_getattr


def test_mmengine_checkpoint_contents_load_with_weights_only(tmp_path):
    buffer = HistoryBuffer()
    buffer.update(0.5)
    buffer.update(1.5)
    checkpoint = dict(
        meta=dict(epoch=3, iter=120, seed=np.int64(7),
                  dataset_meta=dict(classes=['stand'])),
        state_dict={'w': torch.ones(2)},
        message_hub=dict(log_scalars={'train/loss': buffer},
                         runtime_info=dict(iter=120, lr=np.float64(0.1))),
        array=np.arange(3, dtype=np.float32))
    path = tmp_path / 'ckpt.pth'
    torch.save(checkpoint, path)
    loaded = torch.load(path)  # default weights_only=True on torch >= 2.6
    assert loaded['meta']['iter'] == 120
    assert loaded['message_hub']['log_scalars']['train/loss'].mean() == 1.0
    np.testing.assert_array_equal(loaded['array'], np.arange(3))


def test_arbitrary_globals_are_still_rejected(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'obj': pickle.PicklingError('x')}, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)


def test_getattr_stand_in_is_restricted():
    assert _history_buffer_getattr(HistoryBuffer, 'mean') is \
        HistoryBuffer.mean
    with pytest.raises(RuntimeError, match='Refusing'):
        _history_buffer_getattr(HistoryBuffer, '__init__')
    with pytest.raises(RuntimeError, match='Refusing'):
        _history_buffer_getattr(np, 'load')
