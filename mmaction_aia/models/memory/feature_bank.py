"""The AIA memory: a bounded bank of person features keyed by keyframe."""
from collections import OrderedDict
from typing import Dict, Hashable, List, NamedTuple, Optional, Sequence, Tuple

import torch

Key = Tuple[Hashable, int]


class BankEntry(NamedTuple):
    """Person features of one keyframe.

    Args:
        features (Tensor): ``[k, C]`` detached person features.
        boxes (Tensor): ``[k, 4]`` boxes, normalised to the original frame.
        loss_tag (float): Training loss when written (staleness penalty).
    """

    features: torch.Tensor
    boxes: torch.Tensor
    loss_tag: float


class MemoryReadout(NamedTuple):
    """Memory of a batch of clips, padded to fixed slots.

    Args:
        features (Tensor): ``[B, S * max_per_sec, C]``.
        boxes (Tensor): ``[B, S * max_per_sec, 4]``.
        mask (Tensor): Bool ``[B, S * max_per_sec]``, True where filled.
        positions (Tensor): Long ``[S * max_per_sec]`` second index of each
            slot (0 is ``LENGTH[0]`` seconds before the keyframe).
        current_slot (int): Second index of the keyframe itself.
    """

    features: torch.Tensor
    boxes: torch.Tensor
    mask: torch.Tensor
    positions: torch.Tensor
    current_slot: int


class FeatureBank:
    """Bounded person-feature bank keyed by ``(video_id, timestamp)``.

    Lookups are dict lookups (O(1)); at most ``max_entries`` keyframes are
    kept, the least recently written evicted first. Features live on
    ``device`` (CPU by default) and are moved to the model's device when
    read. Entries written since the last :meth:`pop_new` are remembered so
    that DDP ranks exchange only new entries.

    Args:
        length (tuple[int, int]): Seconds of memory before and after the
            keyframe (AIA's ``LENGTH``); ``(L, 0)`` is the online mode.
        rate (int): Seconds between memory slots (``MEMORY_RATE``).
        max_per_sec (int): Persons kept per second (``MAX_PER_SEC``).
        penalty (bool): Scale read features by the staleness penalty
            ``min(tag / loss, loss / tag)`` when a current loss is set.
        max_entries (int): Bound on stored keyframes.
        device (str): Where features are stored.
        online (bool): Read only the past (streams), whatever ``length``
            says after the keyframe.
    """

    def __init__(self,
                 length: Sequence[int] = (30, 30),
                 rate: int = 1,
                 max_per_sec: int = 5,
                 penalty: bool = True,
                 max_entries: int = 1_000_000,
                 device: str = 'cpu',
                 online: bool = False) -> None:
        if len(length) != 2 or min(length) < 0:
            raise ValueError('memory length must be (seconds before, seconds '
                             f'after) >= 0, got {length!r}')
        if rate < 1 or max_per_sec < 1 or max_entries < 1:
            raise ValueError('memory rate, max_per_sec and max_entries must '
                             f'be >= 1, got {rate}, {max_per_sec}, '
                             f'{max_entries}')
        self.before, self.after = int(length[0]), int(length[1])
        if online:
            self.after = 0
        self.rate = int(rate)
        self.max_per_sec = int(max_per_sec)
        self.penalty = penalty
        self.max_entries = int(max_entries)
        self.device = torch.device(device)
        self.online = online
        self.current_loss: Optional[float] = None
        self._entries: OrderedDict[Key, BankEntry] = OrderedDict()
        self._new: Dict[Key, BankEntry] = {}

    @property
    def num_slots(self) -> int:
        """Seconds read per clip, the keyframe included."""
        return self.before + self.after + 1

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Key) -> bool:
        return self._key(*key) in self._entries

    @staticmethod
    def _key(video_id: Hashable, timestamp) -> Key:
        return str(video_id), int(round(float(timestamp)))

    def get(self, video_id: Hashable, timestamp) -> Optional[BankEntry]:
        """The entry of one keyframe, or None."""
        return self._entries.get(self._key(video_id, timestamp))

    def write(self, video_id: Hashable, timestamp, features: torch.Tensor,
              boxes: torch.Tensor, loss_tag: float = 1.0,
              track_new: bool = True) -> None:
        """Store (replace) the person features of one keyframe."""
        key = self._key(video_id, timestamp)
        if features.shape[0] != boxes.shape[0]:
            raise ValueError(f'memory write for {key}: {features.shape[0]} '
                             f'features but {boxes.shape[0]} boxes')
        entry = BankEntry(features.detach().to(self.device, torch.float32),
                          boxes.detach().to(self.device, torch.float32),
                          float(loss_tag))
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        if track_new:
            self._new[key] = entry

    def write_batch(self, keys: Sequence[Key], features: torch.Tensor,
                    boxes: torch.Tensor, counts: Sequence[int],
                    loss_tag: float = 1.0, track_new: bool = True) -> None:
        """Write several keyframes from one flat ``[N, C]`` tensor
        (``track_new=False``: not kept for :meth:`pop_new`, as streams,
        which never exchange entries, need to stay bounded)."""
        for key, feats, bxs in zip(keys, features.split(list(counts)),
                                   boxes.split(list(counts))):
            self.write(key[0], key[1], feats, bxs, loss_tag, track_new)

    def pop_new(self) -> List[Tuple[Key, BankEntry]]:
        """Entries written since the last call (to send to other ranks)."""
        new, self._new = list(self._new.items()), {}
        return new

    def merge(self, entries: Sequence[Tuple[Key, BankEntry]]) -> None:
        """Write entries received from other ranks (not re-sent)."""
        for key, entry in entries:
            self.write(key[0], key[1], entry.features, entry.boxes,
                       entry.loss_tag, track_new=False)

    def clear(self) -> None:
        self._entries.clear()
        self._new.clear()

    def state_dict(self) -> dict:
        """Plain tensors and lists, loadable with ``weights_only=True``."""
        keys = list(self._entries)
        entries = list(self._entries.values())
        return dict(
            video_ids=[k[0] for k in keys],
            timestamps=[k[1] for k in keys],
            features=[e.features.cpu() for e in entries],
            boxes=[e.boxes.cpu() for e in entries],
            loss_tags=[e.loss_tag for e in entries],
            current_loss=self.current_loss)

    def load_state_dict(self, state: dict) -> None:
        self.clear()
        for vid, ts, feats, boxes, tag in zip(
                state['video_ids'], state['timestamps'], state['features'],
                state['boxes'], state['loss_tags']):
            self.write(vid, ts, feats, boxes, tag, track_new=False)
        self.current_loss = state.get('current_loss')

    def _pick(self, n: int, generator_random: bool) -> torch.Tensor:
        if n <= self.max_per_sec:
            return torch.arange(n)
        if generator_random:
            return torch.randperm(n)[:self.max_per_sec]
        return torch.arange(self.max_per_sec)

    def read(self, clips: Sequence[Key], dim: int,
             device: Optional[torch.device] = None,
             random_subset: bool = False,
             apply_penalty: bool = True) -> MemoryReadout:
        """Memory of each clip: ``max_per_sec`` persons per second.

        The keyframe's own slot is left empty; the head fills it with the
        clip's current (detached) features. Missing seconds stay empty.

        Args:
            clips (Sequence[tuple]): ``(video_id, timestamp)`` per clip.
            dim (int): Feature channels (for empty banks).
            device (torch.device, optional): Device of the outputs.
            random_subset (bool): Random persons when a second has more
                than ``max_per_sec`` (training), else the first ones.
            apply_penalty (bool): Apply the staleness penalty (training).
        """
        device = device or self.device
        per_sec = self.max_per_sec
        width = self.num_slots * per_sec
        offsets = range(-self.before, self.after + 1)
        loss = self.current_loss
        use_penalty = apply_penalty and self.penalty and loss is not None
        feats, boxes, rows, cols, scales = [], [], [], [], []
        for b, (vid, ts) in enumerate(clips):
            vid, ts = self._key(vid, ts)
            for slot, offset in enumerate(offsets):
                if offset == 0:
                    continue
                entry = self._entries.get((vid, ts + offset * self.rate))
                if entry is None or entry.features.shape[0] == 0:
                    continue
                keep = self._pick(entry.features.shape[0], random_subset)
                feats.append(entry.features[keep])
                boxes.append(entry.boxes[keep])
                rows.append(torch.full((len(keep), ), b))
                cols.append(slot * per_sec + torch.arange(len(keep)))
                scale = 1.0
                if use_penalty and entry.loss_tag > 0 and loss > 0:
                    scale = min(entry.loss_tag / loss, loss / entry.loss_tag)
                scales.append(torch.full((len(keep), ), scale))
        out_feats = torch.zeros(len(clips), width, dim, device=device)
        out_boxes = torch.zeros(len(clips), width, 4, device=device)
        mask = torch.zeros(len(clips), width, dtype=torch.bool, device=device)
        if feats:
            rows_t, cols_t = torch.cat(rows), torch.cat(cols)
            scale_t = torch.cat(scales).unsqueeze(1)
            out_feats[rows_t, cols_t] = (torch.cat(feats) * scale_t).to(
                device)
            out_boxes[rows_t, cols_t] = torch.cat(boxes).to(device)
            mask[rows_t, cols_t] = True
        positions = torch.arange(self.num_slots,
                                 device=device).repeat_interleave(per_sec)
        return MemoryReadout(out_feats, out_boxes, mask, positions,
                             self.before)
