"""End to end: tools/train.py and tools/test.py on a tiny synthetic set."""
import csv
import os.path as osp

import pytest
import torch

from tests.scripts import load_script

from .conftest import REPO, write_tiny_config


def load_tool(name):
    return load_script(f'tools/{name}.py', f'tool_{name}')


train_tool, test_tool = load_tool('train'), load_tool('test')


def label_ids(data_root):
    from mmaction_aia.datasets import read_label_map
    return sorted(read_label_map(
        str(data_root / 'annotations' / 'action_list.pbtxt')))


@pytest.fixture(scope='module')
def trained(tiny_data_root, tmp_path_factory):
    tmp = tmp_path_factory.mktemp('train')
    config = write_tiny_config(tmp, tiny_data_root)
    work_dir = tmp / 'work'
    train_tool.main([config, '--work-dir', str(work_dir), '--validate',
                     '--seed', '0'])
    return config, work_dir


def test_training_writes_checkpoints_and_validation_csv(trained):
    _, work_dir = trained
    assert (work_dir / 'epoch_1.pth').is_file()
    assert (work_dir / 'epoch_2.pth').is_file()
    # the validation results CSV stays in the work dir
    assert list(work_dir.glob('**/*.csv'))


def test_checkpoint_loads_with_weights_only_default(trained):
    _, work_dir = trained
    checkpoint = torch.load(work_dir / 'epoch_2.pth')
    assert checkpoint['meta']['epoch'] == 2
    assert 'roi_head.bbox_head.fc_cls.weight' in checkpoint['state_dict']
    assert {'optimizer', 'param_schedulers', 'message_hub'} <= set(checkpoint)


def test_test_tool_writes_official_rows(trained, tiny_data_root, tmp_path,
                                        capsys):
    config, work_dir = trained
    out = tmp_path / 'results.csv'
    test_tool.main([config, str(work_dir / 'epoch_2.pth'), '--eval', 'mAP',
                    '--out', str(out), '--work-dir', str(tmp_path / 'w')])
    assert 'mAP' in capsys.readouterr().out
    rows = list(csv.reader(out.open()))
    assert rows
    ids = set(label_ids(tiny_data_root))
    for row in rows:
        assert len(row) == 8
        x1, y1, x2, y2 = map(float, row[2:6])
        assert 0 <= x1 <= x2 <= 1 and 0 <= y1 <= y2 <= 1
        assert int(row[6]) in ids
        assert 0 <= float(row[7]) <= 1


def test_resume_continues_at_saved_iteration(trained, tmp_path):
    config, work_dir = trained
    resumed = tmp_path / 'resumed'
    args = train_tool.parse_args([
        config, '--work-dir', str(resumed), '--resume',
        str(work_dir / 'epoch_1.pth'), '--no-validate'])
    cfg = train_tool.build_train_config(args)
    from mmengine.runner import Runner
    runner = Runner.from_cfg(cfg)
    runner.train()
    saved = torch.load(work_dir / 'epoch_1.pth')
    # resumed from epoch 1: only epoch 2 ran in the new work dir
    assert not (resumed / 'epoch_1.pth').exists()
    assert (resumed / 'epoch_2.pth').is_file()
    assert runner.iter == 2 * saved['meta']['iter']
    optim_state = runner.optim_wrapper.optimizer.state_dict()['state']
    assert optim_state, 'optimizer state restored and stepped'


@pytest.mark.parametrize('num_custom', [1, 3, 5])
def test_custom_classes_train_and_evaluate(tiny_data_root, tmp_path,
                                           num_custom):
    custom = label_ids(tiny_data_root)[:num_custom]
    # appended to the tiny config file itself, so update its dicts in place
    extra = f'''
custom_classes = {custom!r}
num_classes = len(custom_classes) + 1
model['roi_head']['bbox_head']['num_classes'] = num_classes
for loader in (train_dataloader, val_dataloader):
    loader['dataset'].update(custom_classes=custom_classes,
                             num_classes=num_classes)
val_evaluator.update(custom_classes=custom_classes, num_classes=num_classes)
train_cfg['max_epochs'] = 1
'''
    config = write_tiny_config(tmp_path, tiny_data_root, extra)
    work_dir = tmp_path / 'work'
    train_tool.main([config, '--work-dir', str(work_dir), '--validate'])
    out = tmp_path / 'results.csv'
    test_tool.main([config, str(work_dir / 'epoch_1.pth'), '--out', str(out),
                    '--work-dir', str(work_dir)])
    # the model's class indices are mapped back to the original label ids
    written = {int(row[6]) for row in csv.reader(out.open())}
    assert written and written <= set(custom)


def test_malformed_annotation_row_is_reported(tiny_data_root, tmp_path):
    bad = tmp_path / 'bad_val.csv'
    lines = (tiny_data_root / 'annotations' / 'val.csv').read_text()
    bad.write_text(lines + 'syn_val_000,0903,0.1,0.2,0.3\n')
    line_no = len(lines.splitlines()) + 1
    config = write_tiny_config(tmp_path, tiny_data_root)
    with pytest.raises(ValueError, match=f'bad_val.csv:{line_no}: expected 7 '
                       'or 8 comma-separated columns'):
        test_tool.main([config, __file__, '--cfg-options',
                        f'test_dataloader.dataset.ann_file={bad}',
                        '--work-dir', str(tmp_path / 'w')])


def test_test_tool_rejects_unknown_metric_and_output(trained, tmp_path):
    config, work_dir = trained
    ckpt = str(work_dir / 'epoch_2.pth')
    with pytest.raises(ValueError, match='unknown metric'):
        test_tool.build_test_config(test_tool.parse_args(
            [config, ckpt, '--eval', 'top_k_accuracy']))
    with pytest.raises(ValueError, match='expected a .csv'):
        test_tool.build_test_config(test_tool.parse_args(
            [config, ckpt, '--out', str(tmp_path / 'x.json')]))
    with pytest.raises(FileNotFoundError, match='checkpoint not found'):
        test_tool.build_test_config(test_tool.parse_args(
            [config, str(tmp_path / 'missing.pth')]))


def test_dist_scripts_run_two_cpu_processes(trained, tiny_data_root,
                                            tmp_path):
    """dist_train.sh / dist_test.sh: torchrun, 2 processes, gloo on CPU."""
    import subprocess
    config, work_dir = trained
    env = dict(__import__('os').environ, PORT='29633')
    train = subprocess.run(
        ['bash', osp.join(REPO, 'tools/dist_train.sh'), config, '2',
         '--work-dir', str(tmp_path / 'ddp'), '--no-validate',
         '--cfg-options', 'train_cfg.max_epochs=1'],
        env=env, capture_output=True, text=True, timeout=600)
    assert train.returncode == 0, train.stdout[-3000:] + train.stderr[-3000:]
    assert 'rank 1/2' in train.stdout + train.stderr
    assert (tmp_path / 'ddp' / 'epoch_1.pth').is_file()
    out = tmp_path / 'results.csv'
    test = subprocess.run(
        ['bash', osp.join(REPO, 'tools/dist_test.sh'), config,
         str(tmp_path / 'ddp' / 'epoch_1.pth'), '2', '--out', str(out),
         '--work-dir', str(tmp_path / 'ddp_test')],
        env=env, capture_output=True, text=True, timeout=600)
    assert test.returncode == 0, test.stdout[-3000:] + test.stderr[-3000:]
    assert 'Test results' in test.stdout
    # both ranks' predictions are gathered into one results file that
    # covers every evaluated keyframe of the validation set
    written = {tuple(row.split(',')[:2])
               for row in out.read_text().splitlines()}
    annotations = tiny_data_root / 'annotations'
    expected = {tuple(row.split(',')[:2]) for row in
                (annotations / 'val.csv').read_text().splitlines()}
    excluded = {tuple(row.split(',')) for row in (
        annotations / 'excluded_timestamps_val.csv').read_text().splitlines()}
    assert {(v, str(int(t))) for v, t in written} == {
        (v, str(int(t))) for v, t in expected - excluded}
