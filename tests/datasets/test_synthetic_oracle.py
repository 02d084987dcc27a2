"""Oracle check of the synthetic benchmark (tools/analysis/synthetic_oracle.py
and mmaction_aia.datasets.synthetic.oracle) on a tiny, unrendered dataset."""
import contextlib
import io
import json

import numpy as np
import pytest

from mmaction_aia.datasets.synthetic import (
    SYNTHETIC_CLASS_GROUPS,
    SyntheticAVAConfig,
)
from mmaction_aia.datasets.synthetic.generate import make_video
from mmaction_aia.datasets.synthetic.oracle import LEVELS, oracle_features
from mmaction_aia.datasets.synthetic.writer import write_annotation_csv
from tests.scripts import load_script

TINY = dict(seed=0, num_train_videos=8, num_val_videos=4, seconds=20)


@pytest.fixture(scope='module')
def tool():
    return load_script('tools/analysis/synthetic_oracle.py')


@pytest.fixture(scope='module')
def oracle_run(tool, tmp_path_factory):
    """One run of the tool on the tiny dataset: (work dir, JSON, stdout)."""
    work = tmp_path_factory.mktemp('oracle')
    params = [f'--param={k}={v}' for k, v in TINY.items() if k != 'seed']
    out_json = work / 'oracle.json'
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = tool.main(['--seed', '0', *params, '--work-dir', str(work),
                          '--steps', '300', '--per-class', '--json',
                          str(out_json)])
    assert code == 0
    return work, json.loads(out_json.read_text()), buf.getvalue()


def test_every_level_gives_per_group_ap(oracle_run):
    _, report, printed = oracle_run
    assert list(report['results']) == list(LEVELS)
    assert report['params']['num_val_videos'] == TINY['num_val_videos']
    for level, res in report['results'].items():
        assert set(res['groups']) == set(SYNTHETIC_CLASS_GROUPS), level
        for group, ap in res['groups'].items():
            assert ap is not None and 0.0 <= ap <= 1.0, (level, group)
        assert res['class_groups'] == {
            g: [c for c in ids if str(c) in res['per_class']]
            for g, ids in SYNTHETIC_CLASS_GROUPS.items()}
    header = next(line for line in printed.splitlines() if 'mAP' in line
                  and 'pose' in line)
    assert header.split() == [*SYNTHETIC_CLASS_GROUPS, 'mAP']
    full = report['results']['memory']
    assert f'{full["mAP"]:6.3f}' in printed


def test_full_oracle_needs_interactions_and_memory(oracle_run):
    """Own-box features suffice for poses; the person and memory groups
    need the other people and the seconds around the clip."""
    results = oracle_run[1]['results']
    own, full = results['own']['groups'], results['memory']['groups']
    assert own['pose'] > 0.95 and full['pose'] > 0.95
    assert full['person'] > own['person'] + 0.05
    assert full['memory'] > own['memory'] + 0.3
    assert min(full.values()) > 0.75
    # follow looks like any walk from the own box; wait like any stand
    own_ap, full_ap = results['own']['per_class'], results['memory'][
        'per_class']
    for class_id in ('11', '13', '14'):
        assert full_ap[class_id] > own_ap[class_id] + 0.2, class_id


def test_oracle_rows_are_the_generator_ground_truth(oracle_run, tmp_path):
    """The oracle samples are exactly the annotated persons the generator
    writes (same CSV bytes), so its predictions sit on the true boxes."""
    work = oracle_run[0]
    cfg = SyntheticAVAConfig(**TINY)
    rows = [r for k in range(cfg.num_val_videos)
            for r in make_video(cfg, 'val', k).rows]
    expected = tmp_path / 'val.csv'
    write_annotation_csv(str(expected), rows, cfg.width, cfg.height)
    assert (work / 'gt' / 'val.csv').read_bytes() == expected.read_bytes()
    def keys(path):  # (video, second, box text) of every row
        return [(v, int(t), ','.join(box)) for v, t, *box in (
            line.split(',')[:6] for line in path.read_text().splitlines())]

    pred = keys(work / 'oracle_own_val.csv')
    gt_boxes = set(keys(expected))
    assert set(pred) == gt_boxes
    assert len(pred) == len(gt_boxes) * 14


def test_features_are_deterministic_and_cumulative():
    cfg = SyntheticAVAConfig(seed=3, num_train_videos=0, num_val_videos=1,
                             seconds=8)
    a, b = oracle_features(cfg, 'val'), oracle_features(cfg, 'val')
    assert len(a.videos) > 0 and a.labels.shape == (len(a.videos), 14)
    for level in LEVELS:
        np.testing.assert_array_equal(a.features[level], b.features[level])
        assert np.isfinite(a.features[level]).all(), level
    own, inter, mem = (a.features[k] for k in LEVELS)
    assert own.shape[1] < inter.shape[1] < mem.shape[1]
    np.testing.assert_array_equal(inter[:, :own.shape[1]], own)
    np.testing.assert_array_equal(mem[:, :inter.shape[1]], inter)
    # every sample has exactly one pose label, as the generator writes
    assert (a.labels[:, :6].sum(1) == 1).all()


@pytest.mark.parametrize('argv, message', [
    (['--param', 'num_val_videos'], 'expected FIELD=VALUE'),
    (['--param', 'colour=red'], 'expected FIELD=VALUE'),
    (['--baseline', 'results.csv'], '--baseline needs --data'),
    (['--data', 'no/such/folder'], 'generator.json'),
])
def test_bad_arguments_name_the_problem(tool, argv, message, capsys):
    assert tool.main(argv) == 1
    err = capsys.readouterr().err
    assert message in err


def test_data_folder_and_baseline(tool, oracle_run, tmp_path):
    """``--data`` reads the parameters from generator.json and evaluates
    against its annotations; ``--baseline`` scores a results CSV there."""
    work, report, _ = oracle_run
    data = tmp_path / 'data'
    (data / 'annotations').mkdir(parents=True)
    for name in ('val.csv', 'action_list.pbtxt',
                 'excluded_timestamps_val.csv'):
        (data / 'annotations' / name).write_bytes(
            (work / 'gt' / name).read_bytes())
    (data / 'generator.json').write_text(json.dumps(
        {'params': SyntheticAVAConfig(**TINY).to_dict()}))
    out_json = tmp_path / 'r.json'
    assert tool.main(['--data', str(data), '--levels', 'own', '--steps',
                      '20', '--work-dir', str(tmp_path / 'w'), '--baseline',
                      str(work / 'oracle_memory_val.csv'), '--json',
                      str(out_json)]) == 0
    rows = json.loads(out_json.read_text())['results']
    assert list(rows) == ['own', 'baseline']
    assert rows['baseline']['groups'] == report['results']['memory'][
        'groups']
