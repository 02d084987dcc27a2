"""SkipReportHook: per-epoch report of skipped samples, from the records
that data samples carry, gathered across DDP ranks."""
import csv
import os
from types import SimpleNamespace

import torch.distributed as torch_dist
import torch.multiprocessing as mp

from mmaction_aia.engine.hooks import SkipReportHook, skip_records_of_batch
from mmaction_aia.structures import ActionDataSample


def record(video_id: str, timestamp: int, reason: str = 'truncated') -> dict:
    return dict(video_id=video_id, timestamp=timestamp,
                file=f'/videos/{video_id}.mp4', reason=reason)


def batch(*records_per_sample) -> dict:
    samples = []
    for records in records_per_sample:
        sample = ActionDataSample()
        if records:
            sample.set_metainfo(dict(skipped_samples=list(records)))
        samples.append(sample)
    return dict(inputs=[None] * len(samples), data_samples=samples)


def fake_runner(work_dir, issues=()) -> SimpleNamespace:
    loader = SimpleNamespace(dataset=SimpleNamespace(
        annotation_issues=list(issues)))
    return SimpleNamespace(work_dir=str(work_dir), epoch=0,
                           train_dataloader=loader, val_dataloader=loader)


def read_csv(path) -> list:
    with open(path) as f:
        return list(csv.DictReader(f))


def test_records_of_collated_and_uncollated_batches():
    data = batch([record('a', 902)], [], [record('b', 903), record('a', 902)])
    assert [(r['video_id'], r['timestamp'])
            for r in skip_records_of_batch(data)] == [
                ('a', 902), ('b', 903), ('a', 902)]
    uncollated = [dict(inputs=None, data_samples=s)
                  for s in data['data_samples']]
    assert len(skip_records_of_batch(uncollated)) == 3
    assert skip_records_of_batch(None) == []


def test_epoch_report_logs_table_and_appends_csv(tmp_path):
    issue = dict(kind='bad_row', file='train.csv', where='7',
                 reason='train.csv:7: expected 7 or 8 columns')
    runner = fake_runner(tmp_path, [issue])
    hook = SkipReportHook()
    hook.after_train_iter(runner, 0, batch([record('a', 902)], []))
    hook.after_train_iter(runner, 1, batch([record('a', 902)],
                                           [record('b', 905, 'garbage')]))
    text = hook._format('train', 1, hook._records['train'], [issue])
    assert 'train epoch 1: 3 samples skipped (2 distinct)' in text
    assert '  a,0902  x2  /videos/a.mp4: truncated' in text
    assert '  b,0905  x1  /videos/b.mp4: garbage' in text
    assert 'annotations: 1 problems' in text and 'train.csv:7' in text
    hook.after_train_epoch(runner)
    rows = read_csv(tmp_path / 'skipped_samples.csv')
    assert [(r['phase'], r['epoch'], r['kind'], r['video_id'], r['where'])
            for r in rows] == [('train', '1', 'sample', 'a', ''),
                               ('train', '1', 'sample', 'a', ''),
                               ('train', '1', 'sample', 'b', ''),
                               ('train', '1', 'bad_row', '', '7')]
    # next epoch: new records appended; annotation issues not repeated
    runner.epoch = 1
    hook.after_train_iter(runner, 0, batch([record('c', 904)]))
    hook.after_train_epoch(runner)
    hook.after_val_iter(runner, 0, batch([record('v', 902)]))
    hook.after_val_epoch(runner)
    rows = read_csv(tmp_path / 'skipped_samples.csv')
    assert [(r['phase'], r['epoch'], r['video_id']) for r in rows[4:]] == [
        ('train', '2', 'c'), ('val', '1', 'v'), ('val', '1', '')]
    assert rows[-1]['kind'] == 'bad_row'  # val's own first report


def _rank_main(rank: int, init_file: str, work_dir: str) -> None:
    torch_dist.init_process_group('gloo', init_method=f'file://{init_file}',
                                  rank=rank, world_size=2)
    hook = SkipReportHook()
    runner = fake_runner(work_dir)
    hook.after_train_iter(runner, 0, batch([record(f'rank{rank}', 902)]))
    hook.after_train_epoch(runner)
    torch_dist.barrier()
    torch_dist.destroy_process_group()


def test_records_gathered_from_all_ranks(tmp_path):
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    mp.spawn(_rank_main, args=(str(tmp_path / 'init'), str(tmp_path)),
             nprocs=2, join=True)
    rows = read_csv(tmp_path / 'skipped_samples.csv')
    # only rank 0 writes, and it holds both ranks' records
    assert sorted(r['video_id'] for r in rows) == ['rank0', 'rank1']
