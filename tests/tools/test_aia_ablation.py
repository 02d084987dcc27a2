"""tools/analysis/aia_ablation.py end to end on a tiny synthetic dataset."""
import math
import sys

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmaction_aia.registry import MODELS
from tests.scripts import load_script

from .conftest import write_tiny_config


def _rows(text):
    """``{name: [cells]}`` of the markdown rows printed by the script."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if line.startswith('| ') and not cells[0].startswith('head'):
            rows[cells[0]] = cells[1:]
    return rows


def test_ablation_trains_rows_and_reuses_its_feature_cache(
        tmp_path, tiny_data_root, monkeypatch, capsys):
    script = load_script('tools/analysis/aia_ablation.py')
    config = write_tiny_config(tmp_path, str(tiny_data_root))
    init_default_scope('mmaction_aia')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(config).model)
    checkpoint = tmp_path / 'backbone.pth'
    torch.save({'state_dict': model.state_dict()}, checkpoint)
    cache = tmp_path / 'ablation' / 'cache.pth'
    argv = ['aia_ablation.py', '--config', config, '--checkpoint',
            str(checkpoint), '--data-root', str(tiny_data_root), '--cache',
            str(cache), '--epochs', '2', '--dim-inner', '16',
            '--num-heads', '2', '--memory-seconds', '1', '--seeds', '0', '1',
            '--variants', 'baseline (2-FC, no AIA)', 'P+O+M']
    monkeypatch.setattr(sys, 'argv', argv)
    script.main()
    first = capsys.readouterr()
    rows = _rows(first.out)
    assert list(rows) == ['baseline (2-FC, no AIA)', 'P+O+M']
    for cells in rows.values():
        assert len(cells) == 6
        assert 0 <= float(cells[0]) <= 100  # mAP over the annotated classes
        assert '±' in cells[-1]  # spread over the two seeds
    assert 'P+O+M, seed 1: O+P+M' in first.err  # progress per run

    # the cache holds plain tensors only and pools the backbone's channels
    saved = torch.load(cache, weights_only=True)
    assert set(saved) == {'train', 'val'}
    assert saved['train'][0]['person'].shape[1] == 128
    assert saved['train'][0]['labels'].shape[1] == 15

    # a second run reads the cache: no backbone needed, same numbers
    argv[argv.index('--checkpoint') + 1] = str(tmp_path / 'missing.pth')
    script.main()
    assert _rows(capsys.readouterr().out) == rows
    assert not math.isnan(float(rows['P+O+M'][0]))
