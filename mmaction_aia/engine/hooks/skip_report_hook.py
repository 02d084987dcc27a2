"""End-of-epoch report of the samples that could not be loaded.

Datasets with ``on_error='skip'`` (:class:`~mmaction_aia.datasets.AVADataset`)
replace a sample whose video or frames fail to load and put a record of the
failure on the replacement's metainfo (``skipped_samples``). The records
arrive here with the batch from whichever DataLoader worker loaded it; at
the end of each epoch they are gathered from all DDP ranks, logged as a
table and appended to ``work_dir/skipped_samples.csv``. Problems found in
the annotation files when the dataset was built (malformed CSV rows, bad pkl
entries, unknown label ids, keyframes without proposals) are added once per
phase.
"""
import csv
import os
import os.path as osp
from collections import Counter, defaultdict
from typing import Any, Dict, Iterable, Iterator, List, Optional

from mmengine.dist import all_gather_object, is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log

from mmaction_aia.datasets.sample_errors import SKIPPED_KEY
from mmaction_aia.registry import HOOKS

CSV_FIELDS = ('phase', 'epoch', 'kind', 'video_id', 'timestamp', 'file',
              'where', 'reason')


def skip_records_of_batch(data_batch: Any) -> List[dict]:
    """The skip records carried by the data samples of one batch.

    Args:
        data_batch (Any): A collated batch (``dict(inputs, data_samples)``)
            or a list of per-sample dicts.
    """
    if isinstance(data_batch, dict):
        samples = data_batch.get('data_samples') or []
        extra = data_batch.get(SKIPPED_KEY) or []
    elif isinstance(data_batch, (list, tuple)):
        samples, extra = data_batch, []
    else:
        return []
    records = list(extra)
    for sample in samples:
        if isinstance(sample, dict) and 'data_samples' in sample:
            sample = sample['data_samples']  # an uncollated sample
        meta = getattr(sample, 'metainfo', sample)
        if isinstance(meta, dict):
            records.extend(meta.get(SKIPPED_KEY) or [])
    return [dict(r) for r in records if isinstance(r, dict)]


def _datasets(dataset: Any) -> Iterator[Any]:
    """The dataset and those it wraps (Concat / Repeat / ClassBalanced)."""
    yield dataset
    for inner in getattr(dataset, 'datasets', None) or ():
        yield from _datasets(inner)
    inner = getattr(dataset, 'dataset', None)
    if inner is not None and inner is not dataset:
        yield from _datasets(inner)


@HOOKS.register_module()
class SkipReportHook(Hook):
    """Count, log and save the samples skipped in each epoch.

    In every phase (train, val, test) the hook collects the skip records of
    each batch; after the epoch it gathers them from all ranks
    (``mmengine.dist.all_gather_object``), logs one line per distinct
    skipped sample (video_id, timestamp, times skipped, file, reason) and
    appends them to ``work_dir/<out_file>``, so the list survives a later
    crash. Build-time annotation problems of the phase's datasets
    (``annotation_issues``) are logged and saved once per phase.

    Args:
        out_file (str): CSV file in the work dir. ``None`` logs only.
            Defaults to ``'skipped_samples.csv'``.
        max_logged (int): At most this many distinct samples are listed in
            the log (all of them go to the CSV). Defaults to 100.
    """

    priority = 'VERY_LOW'

    def __init__(self, out_file: Optional[str] = 'skipped_samples.csv',
                 max_logged: int = 100) -> None:
        self.out_file = out_file
        self.max_logged = max_logged
        self._records: Dict[str, List[dict]] = defaultdict(list)
        self._annotations_done = set()

    # ------------------------------------------------------------- collect
    def _collect(self, phase: str, data_batch: Any) -> None:
        self._records[phase].extend(skip_records_of_batch(data_batch))

    def after_train_iter(self, runner, batch_idx: int,
                         data_batch: Any = None, outputs: Any = None) -> None:
        self._collect('train', data_batch)

    def after_val_iter(self, runner, batch_idx: int, data_batch: Any = None,
                       outputs: Any = None) -> None:
        self._collect('val', data_batch)

    def after_test_iter(self, runner, batch_idx: int, data_batch: Any = None,
                        outputs: Any = None) -> None:
        self._collect('test', data_batch)

    # -------------------------------------------------------------- report
    def after_train_epoch(self, runner) -> None:
        self._report(runner, 'train', runner.epoch + 1,
                     lambda: runner.train_dataloader)

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._report(runner, 'val', runner.epoch,
                     lambda: runner.val_dataloader)

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._report(runner, 'test', runner.epoch,
                     lambda: runner.test_dataloader)

    def _report(self, runner, phase: str, epoch: int, get_loader) -> None:
        local = self._records.pop(phase, [])
        gathered = [r for rank in all_gather_object(local) for r in rank]
        if not is_main_process():
            return
        issues = []
        if phase not in self._annotations_done:
            self._annotations_done.add(phase)
            issues = self._annotation_issues(get_loader)
        rows = [dict(phase=phase, epoch=epoch, kind='sample', where='', **r)
                for r in gathered]
        rows += [dict(phase=phase, epoch=epoch, video_id='', timestamp='',
                      **issue) for issue in issues]
        print_log(self._format(phase, epoch, gathered, issues),
                  logger='current', level=30 if rows else 20)
        if rows and self.out_file:
            self._append_csv(osp.join(runner.work_dir, self.out_file), rows)

    @staticmethod
    def _annotation_issues(get_loader) -> List[dict]:
        try:
            loader = get_loader()
        except Exception:  # the phase has no dataloader to look at
            return []
        issues = []
        for dataset in _datasets(getattr(loader, 'dataset', None)):
            issues.extend(getattr(dataset, 'annotation_issues', None) or [])
        return issues

    def _format(self, phase: str, epoch: int, records: List[dict],
                issues: Iterable[dict]) -> str:
        counts = Counter((r.get('video_id', ''), r.get('timestamp', ''),
                          r.get('file', ''), r.get('reason', ''))
                         for r in records)
        lines = [f'SkipReport: {phase} epoch {epoch}: {len(records)} '
                 f'samples skipped ({len(counts)} distinct)']
        if counts:
            lines.append('  video_id,timestamp  times  file: reason')
        for (video_id, timestamp, path, reason), n in list(
                counts.items())[:self.max_logged]:
            stamp = (f'{timestamp:04d}' if isinstance(timestamp, int)
                     else str(timestamp))
            lines.append(f'  {video_id},{stamp}  x{n}  {path}: {reason}')
        if len(counts) > self.max_logged:
            lines.append(f'  ... {len(counts) - self.max_logged} more in '
                         f'{self.out_file}')
        issues = list(issues)
        if issues:
            kinds = Counter(issue.get('kind', '?') for issue in issues)
            lines.append(
                f'SkipReport: {phase} annotations: {len(issues)} problems '
                'found when the dataset was built (' + ', '.join(
                    f'{k}: {n}' for k, n in sorted(kinds.items())) + ')')
            lines += [f'  {issue.get("reason", "")}'
                      for issue in issues[:self.max_logged]]
        return '\n'.join(lines)

    @staticmethod
    def _append_csv(path: str, rows: List[dict]) -> None:
        new = not osp.isfile(path) or osp.getsize(path) == 0
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
        with open(path, 'a', newline='') as f:
            writer = csv.DictWriter(f, fieldnames=CSV_FIELDS,
                                    extrasaction='ignore')
            if new:
                writer.writeheader()
            writer.writerows(rows)
            f.flush()
            os.fsync(f.fileno())
