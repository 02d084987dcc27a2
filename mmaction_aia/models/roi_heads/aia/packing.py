"""Pack per-clip variable-length sets into padded tensors with masks."""
from typing import NamedTuple, Optional, Sequence, Tuple

import torch


class Packed(NamedTuple):
    """A padded batch of per-clip sets.

    Args:
        data (Tensor): ``[B, L, ...]`` zero-padded.
        mask (Tensor): Bool ``[B, L]``, True for real elements.
        index (Tensor): Long ``[n]`` flat index of each packed element in
            the input (elements dropped by ``length`` are absent).
    """

    data: torch.Tensor
    mask: torch.Tensor
    index: torch.Tensor


def clip_index(counts: Sequence[int], device: torch.device
               ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Clip id and position within the clip of each flat element."""
    counts_t = torch.as_tensor(list(counts), device=device, dtype=torch.long)
    clip = torch.repeat_interleave(
        torch.arange(len(counts_t), device=device), counts_t)
    starts = torch.cumsum(counts_t, 0) - counts_t
    pos = torch.arange(clip.numel(), device=device) - starts[clip]
    return clip, pos


def pack(flat: torch.Tensor, counts: Sequence[int],
         length: Optional[int] = None, min_length: int = 0,
         shuffle: bool = False) -> Packed:
    """Scatter ``flat`` (clips concatenated) into ``[B, L, ...]``.

    Args:
        flat (Tensor): ``[N, ...]`` elements of all clips, clip by clip.
        counts (Sequence[int]): Elements per clip (sum ``N``).
        length (int, optional): Keep at most this many per clip.
        min_length (int): Pad to at least this length (published unmasked
            attention pads to a fixed size).
        shuffle (bool): Keep a random subset (not the first ones) when a
            clip has more than ``length`` elements.
    """
    device = flat.device
    clip, pos = clip_index(counts, device)
    index = torch.arange(clip.numel(), device=device)
    if shuffle and clip.numel():
        # sort by clip, randomly within a clip: a random subset per clip
        order = torch.argsort(clip.double() + torch.rand(
            clip.numel(), device=device, dtype=torch.double))
        index = index[order]  # clip ids stay sorted, so clip / pos hold
    width = max(counts) if len(counts) and max(counts) > 0 else 0
    if length is not None:
        width = min(width, length)
        keep = pos < length
        index, pos, clip = index[keep], pos[keep], clip[keep]
    width = max(width, min_length)
    data = flat.new_zeros((len(counts), width) + tuple(flat.shape[1:]))
    mask = torch.zeros(len(counts), width, dtype=torch.bool, device=device)
    data[clip, pos] = flat[index]
    mask[clip, pos] = True
    return Packed(data, mask, index)


def mirror_boxes(boxes: torch.Tensor, flip: torch.Tensor) -> torch.Tensor:
    """Mirror normalised ``[..., 4]`` boxes horizontally where ``flip``.

    Args:
        boxes (Tensor): ``[B, L, 4]`` normalised boxes.
        flip (Tensor): Bool ``[B]``.
    """
    mirrored = torch.stack([1 - boxes[..., 2], boxes[..., 1],
                            1 - boxes[..., 0], boxes[..., 3]], dim=-1)
    return torch.where(flip.view(-1, 1, 1), mirrored, boxes)


def jitter_boxes(boxes: torch.Tensor, img_shape: Sequence[int]
                 ) -> torch.Tensor:
    """AlphAction's training box jitter, clipped to the image.

    Each x edge moves up to 0.2 w outward or 0.1 w inward, each y edge up
    to 0.1 h outward or 0.05 h inward.
    """
    w = (boxes[:, 2] - boxes[:, 0]).unsqueeze(1)
    h = (boxes[:, 3] - boxes[:, 1]).unsqueeze(1)
    rand = torch.rand(boxes.shape[0], 4, device=boxes.device)
    out_in = boxes.new_tensor([[0.2, 0.1, 0.2, 0.1]])
    in_ = boxes.new_tensor([[0.1, 0.05, 0.1, 0.05]])
    span = torch.cat([w, h, w, h], 1)
    delta = (rand * (out_in + in_) - out_in) * span  # outward is negative
    sign = boxes.new_tensor([[1., 1., -1., -1.]])
    jittered = boxes + delta * sign
    img_h, img_w = img_shape[:2]
    limit = boxes.new_tensor([[img_w, img_h, img_w, img_h]])
    return torch.minimum(jittered.clamp(min=0), limit)
