"""Skipping samples that cannot be loaded, and carrying the record along.

A sample whose video or frames are missing, truncated or corrupt raises
:class:`~.transforms.base.SampleLoadError` in the pipeline. With
``on_error='skip'`` the dataset loads another sample in its place and puts a
record of the failure into the replacement's data sample metainfo
(:data:`SKIPPED_KEY`). The record therefore reaches the training loop from
any DataLoader worker process, where
:class:`~mmaction_aia.engine.hooks.SkipReportHook` collects it, gathers it
across DDP ranks and reports it at the end of the epoch.
"""
from typing import Dict, List

from mmengine.logging import print_log

from .transforms.base import SampleLoadError

#: Metainfo key of the replacement sample: a list of skip records
#: ``{'video_id', 'timestamp', 'file', 'reason'}``.
SKIPPED_KEY = 'skipped_samples'
#: Metainfo key set in test mode: the sample stands in for a skipped one
#: (its own turn comes too), so metrics must not count its predictions.
SUBSTITUTE_KEY = 'is_substitute'


def attach_skip_records(data: dict, records: List[Dict],
                        substitute: bool) -> None:
    """Put skip records on the packed sample that replaced the failures.

    Args:
        data (dict): The pipeline output (``data_samples`` from
            ``PackActionInputs``, or a plain dict without one).
        records (list[dict]): One record per failed sample.
        substitute (bool): Mark the sample as a stand-in (test mode).
    """
    meta = {SKIPPED_KEY: list(records)}
    if substitute:
        meta[SUBSTITUTE_KEY] = True
    data_sample = data.get('data_samples')
    if data_sample is not None and hasattr(data_sample, 'set_metainfo'):
        data_sample.set_metainfo(meta)
    else:
        data.update(meta)


class SkipOnLoadErrorMixin:
    """``__getitem__`` that raises or skips samples that cannot be loaded.

    For :class:`mmengine.dataset.BaseDataset` subclasses with an
    ``on_error`` attribute (``'raise'`` or ``'skip'``) whose
    ``get_data_info`` gives ``img_key``, ``video_id`` and ``timestamp``.
    With ``'raise'`` the :class:`SampleLoadError` is raised again with the
    sample named; with ``'skip'`` it is logged and another sample is loaded
    instead (a random one in training, as mmengine does, the next one in
    test mode), carrying the record (:func:`attach_skip_records`).

    Args:
        (none): the dataset's own arguments; see :class:`AVADataset`.
    """

    on_error: str = 'skip'

    def __getitem__(self, idx: int) -> dict:
        if not self._fully_initialized:
            self.full_init()
        # Samples that failed as stand-in candidates in this process: not
        # retried as candidates, and recorded once, on their own turn.
        known = self.__dict__.setdefault('_known_failures', {})
        own, skipped = idx, []
        failed = set(known)
        if idx in known:
            skipped.append(known.pop(idx))
        for _ in range(min(self.max_refetch + 1, len(self))):
            if idx in failed:
                if len(failed) >= len(self):
                    break
                idx = self._replacement(idx, failed)
            try:
                data = self.prepare_data(idx)
            except SampleLoadError as error:
                record = self._skip_record(idx, error)
                if idx == own:
                    skipped.append(record)
                else:
                    known[idx] = record
                failed.add(idx)
                continue
            if data is None:  # a transform dropped the sample
                if self.test_mode:
                    raise RuntimeError(
                        'the test pipeline returned None for sample '
                        f'{self.get_data_info(idx)["img_key"]}')
                idx = self._rand_another()
                continue
            if skipped:
                attach_skip_records(data, skipped, self.test_mode)
            return data
        raise RuntimeError(
            f'{len(failed)} samples could not be loaded in a row; the '
            f'first: {skipped[0] if skipped else "pipeline returned None"}. '
            'Check data_prefix and the video / frame files')

    def _skip_record(self, idx: int, error: SampleLoadError) -> dict:
        info = self.get_data_info(idx)
        if self.on_error == 'raise':
            raise SampleLoadError(
                error.path, f'sample {info["img_key"]}: {error.reason} '
                "(on_error='raise')") from error
        print_log(f'Skipping sample {info["img_key"]}: {error}',
                  logger='current', level=30)
        return dict(video_id=str(info['video_id']),
                    timestamp=int(info['timestamp']),
                    file=error.path, reason=error.reason)

    def _replacement(self, idx: int, failed: set) -> int:
        """The next sample in test mode, a random one in training."""
        while True:
            idx = (idx + 1) % len(self) if self.test_mode else \
                self._rand_another()
            if idx not in failed:
                return idx
