"""Two-pass AIA evaluation loops (features of the whole set, then heads)."""
from typing import List, Tuple

import torch
from mmengine.model import is_model_wrapper
from mmengine.runner import TestLoop, ValLoop
from mmengine.utils import ProgressBar

from mmaction_aia.models.memory import FeatureBank
from mmaction_aia.registry import LOOPS

from .aia_memory_hook import aia_roi_head, exchange_entries


@torch.no_grad()
def extract_pass(runner, dataloader, head, bank: FeatureBank,
                 keep_device: str = 'cpu') -> List[Tuple]:
    """Pass 1: backbone + RoI pooling of every clip; persons into ``bank``.

    Returns the pooled batches (on ``keep_device``) with their data samples
    for pass 2. Every rank's new entries are exchanged at the end, so each
    rank's bank holds the whole set.
    """
    model = runner.model
    if is_model_wrapper(model):
        model = model.module
    cache = []
    progress = ProgressBar(len(dataloader)) if runner.rank == 0 else None
    for data_batch in dataloader:
        data = model.data_preprocessor(data_batch, False)
        samples = data['data_samples']
        feats = model.extract_feat(data['inputs'])
        batch = head.extract(feats, [s.proposals.bboxes for s in samples],
                             samples)
        head.write_memory(batch)
        cache.append((batch.to(keep_device), samples, data_batch))
        if progress is not None:
            progress.update()
    bank.merge(exchange_entries(bank.pop_new()))
    return cache


@torch.no_grad()
def two_pass_evaluate(loop, hook_prefix: str) -> dict:
    """AlphAction's two-pass test inside an mmengine loop.

    Pass 1 fills a fresh memory bank with the person features of the whole
    set; pass 2 runs only the AIA head and classifier on the cached
    features with the complete memory (past and future, no penalty). The
    training bank is put back afterwards.
    """
    runner = loop.runner
    runner.call_hook(f'before_{hook_prefix}')
    runner.call_hook(f'before_{hook_prefix}_epoch')
    runner.model.eval()
    head = aia_roi_head(runner)
    if head is None:
        raise TypeError(f'AIA{hook_prefix.title()}Loop needs a model whose '
                        'roi_head has a memory bank (AIARoIHead with memory)')
    train_bank = head.memory_bank
    head.memory_bank = FeatureBank(**(head.memory_cfg or {}))
    try:
        device = next(runner.model.parameters()).device
        cache = extract_pass(runner, loop.dataloader, head, head.memory_bank)
        for idx, (batch, samples, data_batch) in enumerate(cache):
            runner.call_hook(f'before_{hook_prefix}_iter', batch_idx=idx,
                             data_batch=data_batch)
            results = head.predict_from_batch(batch.to(device), samples)
            for sample, result in zip(samples, results):
                sample.pred_instances = result
            loop.evaluator.process(data_samples=samples,
                                   data_batch=data_batch)
            runner.call_hook(f'after_{hook_prefix}_iter', batch_idx=idx,
                             data_batch=data_batch, outputs=samples)
    finally:
        head.memory_bank = train_bank
    metrics = loop.evaluator.evaluate(len(loop.dataloader.dataset))
    runner.call_hook(f'after_{hook_prefix}_epoch', metrics=metrics)
    runner.call_hook(f'after_{hook_prefix}')
    return metrics


@LOOPS.register_module()
class AIAValLoop(ValLoop):
    """Validation with AIA's two passes (see :func:`two_pass_evaluate`).

    Args: as mmengine's ``ValLoop`` (``runner``, ``dataloader``,
        ``evaluator``, ``fp16``).
    """

    def run(self) -> dict:
        return two_pass_evaluate(self, 'val')


@LOOPS.register_module()
class AIATestLoop(TestLoop):
    """Testing with AIA's two passes (see :func:`two_pass_evaluate`).

    Args: as mmengine's ``TestLoop`` (``runner``, ``dataloader``,
        ``evaluator``, ``fp16``).
    """

    def run(self) -> dict:
        return two_pass_evaluate(self, 'test')
