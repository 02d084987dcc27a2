"""tools/analysis/print_config.py and tools/analysis/get_flops.py."""
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from tests.scripts import REPO, load_script

TINY = osp.join(REPO, 'configs/detection/synthetic/'
                'slowonly_tiny_r18_8x4x1_synthetic_ava_rgb.py')
NL_8X8 = osp.join(REPO, 'configs/detection/ava/'
                  'slowonly_nl_kinetics_pretrained_r50_8x8x1_10e_ava_rgb.py')


def _tool(name: str):
    return load_script(f'tools/analysis/{name}.py')


def test_print_config_resolves_bases_and_options(tmp_path, capsys):
    saved = tmp_path / 'resolved.py'
    text = _tool('print_config').main([
        NL_8X8, '--cfg-options', 'model.backbone.depth=101',
        'train_dataloader.batch_size=2', '--save-path', str(saved)
    ])
    assert text in capsys.readouterr().out
    cfg = Config.fromfile(str(saved))
    # inherited from three levels of _base_ files, plus the overrides
    assert cfg.model.backbone.depth == 101
    assert cfg.model.backbone.non_local_cfg.mode == 'embedded_gaussian'
    assert cfg.train_dataloader.batch_size == 2
    assert cfg.optim_wrapper.optimizer.lr == 0.15
    assert cfg.train_dataloader.dataset.pipeline[0].clip_len == 8
    assert cfg.default_scope == 'mmaction_aia'
    with pytest.raises(ValueError, match='.py'):
        _tool('print_config').main([NL_8X8, '--save-path', 'x.json'])


def test_get_flops_counts_convolutions_and_params(tmp_path, capsys):
    tool = _tool('get_flops')
    out = tmp_path / 'flops.json'
    result = tool.main([TINY, '--shape', '8', '64', '64', '--num-rois', '4',
                        '--json', str(out)])
    assert 'GFLOPs' in capsys.readouterr().out
    assert json.loads(out.read_text()) == result
    cfg = tool.load_config(TINY)
    cfg.model.init_cfg = None
    model = tool.MODELS.build(cfg.model)
    assert result['params_m'] == pytest.approx(
        sum(p.numel() for p in model.parameters()) / 1e6)
    # the stem alone: 2 * (3*1*7*7) MACs per output element of conv1
    stem = model.backbone.conv1.conv
    with torch.no_grad():
        stem_out = stem(torch.zeros(1, 3, 8, 64, 64))
    stem_gflops = 2 * stem_out.numel() * 3 * 7 * 7 * \
        stem.kernel_size[0] / 1e9
    assert result['backbone_gflops'] > stem_gflops
    assert result['gflops'] >= result['backbone_gflops']
    assert result['gmacs'] == pytest.approx(result['gflops'] / 2)
    # convolutions scale with the number of pixels
    bigger = tool.count_complexity(cfg, (8, 128, 128), num_rois=4)
    assert bigger['backbone_gflops'] == pytest.approx(
        4 * result['backbone_gflops'], rel=1e-6)


def test_get_flops_shape_defaults_to_test_clip_length():
    tool = _tool('get_flops')
    cfg = tool.load_config(NL_8X8)
    assert tool.clip_shape(cfg, None) == (8, 256, 256)
    assert tool.clip_shape(cfg, [128, 160]) == (8, 128, 160)
    assert tool.clip_shape(cfg, [4, 64, 64]) == (4, 64, 64)
    with pytest.raises(ValueError, match='T H W'):
        tool.clip_shape(cfg, [1, 2, 3, 4])
