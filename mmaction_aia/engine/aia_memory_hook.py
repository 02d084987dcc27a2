"""AIAMemoryHook: the asynchronous memory update of AIA training."""
from typing import Optional

import torch
from mmengine import dist
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from mmaction_aia.registry import HOOKS

CHECKPOINT_KEY = 'aia_memory'


def aia_roi_head(runner_or_model):
    """The AIA RoI head of a runner's (possibly wrapped) model, or None."""
    model = getattr(runner_or_model, 'model', runner_or_model)
    if is_model_wrapper(model):
        model = model.module
    head = getattr(model, 'roi_head', None)
    return head if getattr(head, 'memory_bank', None) is not None else None


def exchange_entries(entries: list) -> list:
    """All ranks' entries (only new ones are passed in), on every rank."""
    if dist.get_world_size() == 1:
        return entries
    gathered = dist.all_gather_object(entries)
    return [entry for rank_entries in gathered for entry in rank_entries]


@HOOKS.register_module()
class AIAMemoryHook(Hook):
    """Write each training iteration's person features into the AIA memory.

    After every training iteration (after the optimizer step) the features
    the AIA head pooled for this iteration's persons are gathered from all
    DDP ranks (only these new entries travel, through
    ``mmengine.dist.all_gather_object``) and written into every rank's
    :class:`FeatureBank`, tagged with the all-reduced loss; the loss also
    becomes the bank's current loss for the staleness penalty.

    On resume the bank is restored from the checkpoint when it was saved
    there (``save_in_checkpoint=True``), else it starts empty and refills
    within an epoch, as the published pool does at the start of training.

    Args:
        save_in_checkpoint (bool): Store the bank in training checkpoints
            (``checkpoint['aia_memory']``) so a resumed run restores it.
            Checkpoints grow by the bank's size. Defaults to False.
    """

    priority = 'BELOW_NORMAL'

    def __init__(self, save_in_checkpoint: bool = False) -> None:
        self.save_in_checkpoint = save_in_checkpoint

    @staticmethod
    def _reduced_loss(outputs: Optional[dict]) -> float:
        loss = (outputs or {}).get('loss')
        if loss is None:
            return 1.0
        if isinstance(loss, torch.Tensor):
            loss = loss.detach()
        loss = torch.as_tensor(float(loss), dtype=torch.float64)
        if dist.get_world_size() > 1:
            dist.all_reduce(loss, op='mean')
        return float(loss)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        head = aia_roi_head(runner)
        if head is None:
            return
        loss = self._reduced_loss(outputs)
        pending = head.pop_pending()
        entries = []
        if pending is not None:
            keys, feats, boxes, counts = pending
            entries = [(key, f, b) for key, f, b in zip(
                keys, feats.split(counts), boxes.split(counts))]
        bank = head.memory_bank
        for key, feats, boxes in exchange_entries(entries):
            bank.write(key[0], key[1], feats, boxes, loss, track_new=False)
        bank.current_loss = loss

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        head = aia_roi_head(runner)
        if head is not None and self.save_in_checkpoint:
            checkpoint[CHECKPOINT_KEY] = head.memory_bank.state_dict()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        head = aia_roi_head(runner)
        if head is None:
            return
        state = checkpoint.get(CHECKPOINT_KEY)
        if state is not None:
            head.memory_bank.load_state_dict(state)
            print_log(f'AIA memory restored from the checkpoint: '
                      f'{len(head.memory_bank)} keyframes', logger='current')
        else:
            head.memory_bank.clear()
            print_log('AIA memory not in the checkpoint: it starts empty and '
                      'is rebuilt by the training iterations',
                      logger='current')
