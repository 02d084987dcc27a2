"""Fast inference path: same results within stated tolerances, same state
dict, training unaffected, switched on from configs and tools/test.py."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmaction_aia.models.backbones import ResNet3dSlowFast, ResNet3dSlowOnly
from mmaction_aia.models.fast_inference import (
    FastInference,
    FoldedConvModule,
    OneDNNConv3d,
    build_fast_inference,
    cpu_has_fast_bf16,
    cpu_supports_bf16,
)
from mmaction_aia.registry import MODELS
from mmaction_aia.utils import adapt_mmaction2_config
from mmaction_aia.utils.model_checks import as_tuple, randomize_batchnorm
from tests.scripts import load_script

from .test_detector import CONFIG, make_batch
from .test_mmaction2_compat import TINY_SLOWFAST

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: fp32 fast path: only summation order changes (oneDNN, folded BN)
FP32_RTOL = 1e-5
#: bf16 autocast: ~3 significant digits per op, errors grow with depth
BF16_RTOL = 0.05


def _max_rel(actual, expected) -> float:
    return max(((a.float() - e).abs().max() / e.abs().max()).item()
               for a, e in zip(as_tuple(actual), as_tuple(expected)))


BACKBONES = {
    'slowfast': (lambda: ResNet3dSlowFast(**copy.deepcopy(TINY_SLOWFAST)),
                 (1, 3, 16, 32, 32)),
    'slowonly_nl': (lambda: ResNet3dSlowOnly(
        depth=18, base_channels=8, non_local=(0, 1, 1, 0),
        non_local_cfg=dict(sub_sample=True, zeros_init=False)),
                    (2, 3, 4, 32, 32)),
}


@pytest.mark.parametrize('name', sorted(BACKBONES))
def test_fp32_fast_path_matches_eager_and_keeps_state_dict(name):
    build, shape = BACKBONES[name]
    model = randomize_batchnorm(build())
    x = torch.randn(shape)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        expected = model(x)
        fast = FastInference(autocast_dtype=None)
        actual = fast.run(model, model, x)
    assert _max_rel(actual, expected) < FP32_RTOL
    types = {type(m) for m in model.modules()}
    assert OneDNNConv3d in types and FoldedConvModule in types
    assert torch.nn.Conv3d not in types
    assert list(model.state_dict()) == list(state)
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key
    assert model.slow_path.conv1.conv.weight.is_contiguous(
        memory_format=torch.channels_last_3d) if name == 'slowfast' else \
        model.conv1.conv.weight.is_contiguous(
            memory_format=torch.channels_last_3d)


def test_bf16_autocast_within_tolerance_or_refused():
    build, shape = BACKBONES['slowfast']
    model = randomize_batchnorm(build())
    x = torch.randn(shape)
    fast = FastInference(autocast_dtype='bfloat16')
    with torch.no_grad():
        expected = model(x)
        if not cpu_supports_bf16():
            with pytest.raises(RuntimeError, match='AVX512-BF16'):
                fast.run(model, model, x)
            return
        actual = fast.run(model, model, x)
    assert all(a.dtype == torch.float32 for a in actual)
    assert _max_rel(actual, expected) < BF16_RTOL


def test_auto_dtype_uses_bf16_only_where_it_is_faster():
    fast = FastInference()
    expected = torch.bfloat16 if cpu_has_fast_bf16() else None
    assert fast.resolve_dtype(torch.device('cpu')) == expected
    assert FastInference(autocast_dtype=None).resolve_dtype(
        torch.device('cpu')) is None
    with pytest.raises(ValueError, match='autocast_dtype'):
        FastInference(autocast_dtype='int8')


def test_training_after_fast_inference_stays_exact():
    """Folded BN tensors are recomputed after an optimizer step; training
    itself runs the ordinary modules (gradients enabled)."""
    build, shape = BACKBONES['slowfast']
    model = randomize_batchnorm(build())
    x = torch.randn(shape)
    fast = FastInference(autocast_dtype=None)
    with torch.no_grad():
        fast.run(model, model, x)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = sum(out.square().mean() for out in model(x))
    loss.backward()
    optimizer.step()
    model.eval()
    with torch.no_grad():
        expected = model(x)
        assert torch.is_grad_enabled() is False
        actual = fast.run(model, model, x)
    assert _max_rel(actual, expected) < FP32_RTOL


def _detector(fast_inference):
    cfg = adapt_mmaction2_config(Config.fromfile(osp.join(REPO, CONFIG)))
    cfg.model.fast_inference = fast_inference
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return randomize_batchnorm(model)


def test_detector_fast_inference_gives_fp32_scores():
    plain, fast = _detector(None), _detector(dict(autocast_dtype=None))
    fast.load_state_dict(plain.state_dict())
    batch = make_batch(num_clips=2)
    with torch.no_grad():
        expected = plain.test_step(copy.deepcopy(batch))
        actual = fast.test_step(copy.deepcopy(batch))
    for exp, act in zip(expected, actual):
        assert act.pred_instances.scores.dtype == torch.float32
        torch.testing.assert_close(act.pred_instances.scores,
                                   exp.pred_instances.scores,
                                   atol=1e-5, rtol=1e-4)
    # training mode never takes the fast path
    fast.train()
    data = fast.data_preprocessor(copy.deepcopy(batch), training=True)
    assert torch.isfinite(fast(**data, mode='loss')['loss_action_cls'])


def test_build_fast_inference_values():
    assert build_fast_inference(None) is None
    assert build_fast_inference(False) is None
    assert build_fast_inference(dict(enabled=False)) is None
    assert isinstance(build_fast_inference(True), FastInference)
    built = build_fast_inference(dict(channels_last=False, fold_bn=False))
    assert not built.channels_last and not built.fold_bn
    with pytest.raises(TypeError, match='fast_inference'):
        build_fast_inference('bf16')


def test_test_tool_fast_flag(tmp_path):
    tool = load_script('tools/test.py', 'test_tool')
    checkpoint = tmp_path / 'model.pth'
    checkpoint.write_bytes(b'')
    config = osp.join(REPO, CONFIG)
    argv = [config, str(checkpoint), '--work-dir', str(tmp_path)]
    cfg = tool.build_test_config(tool.parse_args(argv + ['--fast']))
    assert cfg.model.fast_inference == {}
    assert cfg.env_cfg.cudnn_benchmark is True
    cfg = tool.build_test_config(tool.parse_args(argv + [
        '--fast', '--cfg-options',
        'model.fast_inference.autocast_dtype=bfloat16']))
    assert cfg.model.fast_inference == dict(autocast_dtype='bfloat16')
    assert 'fast_inference' not in tool.build_test_config(
        tool.parse_args(argv)).model
