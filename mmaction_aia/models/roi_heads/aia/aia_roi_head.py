"""AIARoIHead: RoI features -> interaction aggregation -> action scores."""
import warnings
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import torch
from mmengine.structures import InstanceData

from mmaction_aia.models.memory import FeatureBank
from mmaction_aia.registry import MODELS
from mmaction_aia.structures import bbox2roi

from ..bbox_head import normalise_to_original
from ..roi_head import AVARoIHead
from .blocks import pair_geometry
from .packing import jitter_boxes, mirror_boxes, pack
from .structures import AIAStructure


class ClipBatch(NamedTuple):
    """Pooled features of the persons and objects of a batch of clips.

    Args:
        person_feats (Tensor): ``[N, C]`` pooled person features.
        person_rois (Tensor): ``[N, 5]`` batch index and pixel box.
        person_counts (list[int]): Persons per clip.
        person_boxes (Tensor): ``[N, 4]`` boxes normalised to the original
            frame (what the memory stores).
        object_feats (Tensor): ``[M, C]`` pooled object features.
        object_counts (list[int]): Objects per clip.
        object_boxes (Tensor): ``[M, 4]`` normalised original boxes.
        keys (list[tuple]): ``(video_id, timestamp)`` per clip.
        flips (Tensor): Bool ``[B]``, clip was flipped horizontally.
    """

    person_feats: torch.Tensor
    person_rois: torch.Tensor
    person_counts: List[int]
    person_boxes: torch.Tensor
    object_feats: torch.Tensor
    object_counts: List[int]
    object_boxes: torch.Tensor
    keys: List[Tuple[str, int]]
    flips: torch.Tensor

    def to(self, device) -> 'ClipBatch':
        """The batch with every tensor on ``device``."""
        return self._replace(**{
            name: value.to(device)
            for name, value in self._asdict().items()
            if isinstance(value, torch.Tensor)
        })


def _clip_key(meta: dict) -> Tuple[str, int]:
    if 'video_id' not in meta or 'timestamp' not in meta:
        raise KeyError('AIA memory needs video_id and timestamp in the data '
                       "sample's metainfo (PackActionInputs meta_keys), got "
                       f'{sorted(meta)}')
    return str(meta['video_id']), int(round(float(meta['timestamp'])))


@MODELS.register_module()
class AIARoIHead(AVARoIHead):
    """Asynchronous Interaction Aggregation RoI head (AlphAction, ECCV 2020).

    Persons are RoI-pooled (time mean, then spatial max) into one vector
    each; objects of the clip (``data_sample.objects``) likewise; memory
    comes from :class:`FeatureBank` (person features of neighbouring
    seconds). Persons, objects and memory of all clips are packed into
    padded tensors with masks and aggregated by :class:`AIAStructure`, then
    classified by :class:`AIABBoxHead`. Training uses the ground-truth
    persons of each clip (at most ``train_max_persons``, jittered) and
    leaves their detached features for :class:`AIAMemoryHook` to write.

    Args:
        bbox_roi_extractor (dict): e.g. ``SingleRoIExtractor3D``.
        bbox_head (dict): ``AIABBoxHead``.
        aia (dict, optional): :class:`AIAStructure` arguments except
            ``dim_person``; None gives the 2-FC baseline without AIA.
        memory (dict, optional): :class:`FeatureBank` arguments (``length``,
            ``rate``, ``max_per_sec``, ``penalty``, ``device``, ``online``).
        max_objects (int): Objects per clip (AlphAction: 5).
        train_max_persons (int): Ground-truth persons per training clip.
        box_jitter (bool): AlphAction's random jitter of training boxes.
        spatial_pool (str): ``'max'`` (AlphAction) or ``'avg'``.
        roi_dropout (float): Element-wise dropout on the RoI feature maps
            before the spatial pooling, as BBoxHeadAVA's
            ``dropout_before_pool`` (0: none, AlphAction).
        train_cfg, test_cfg, init_cfg, shared_head: As for AVARoIHead.
    """

    def __init__(self,
                 bbox_roi_extractor: dict,
                 bbox_head: dict,
                 aia: Optional[dict] = None,
                 memory: Optional[dict] = None,
                 max_objects: int = 5,
                 train_max_persons: int = 10,
                 box_jitter: bool = True,
                 spatial_pool: str = 'max',
                 roi_dropout: float = 0.,
                 shared_head: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(bbox_roi_extractor, bbox_head, shared_head,
                         train_cfg, test_cfg, init_cfg)
        if spatial_pool not in ('max', 'avg'):
            raise ValueError(f"spatial_pool must be 'max' or 'avg', got "
                             f'{spatial_pool!r}')
        self.spatial_pool = spatial_pool
        self.roi_dropout = torch.nn.Dropout(roi_dropout)
        self.max_objects = max_objects
        self.train_max_persons = train_max_persons
        self.box_jitter = box_jitter
        aia = dict(aia) if aia is not None else None
        uses_memory = aia is not None and any(
            'M' in (layer if isinstance(layer, str) else ''.join(layer))
            for layer in aia.get('block_list', ('P', 'O', 'M')))
        if memory is None and uses_memory:
            memory = {}
        self.memory_bank = (FeatureBank(**memory)
                            if memory is not None else None)
        self.memory_cfg = memory
        self.aia = None
        if aia is not None:
            aia.setdefault('dim_out', self.bbox_head.person_channels)
            if self.memory_bank is not None:
                aia.setdefault('num_memory_positions',
                               self.memory_bank.num_slots)
            self.aia = AIAStructure(self.bbox_head.person_channels, **aia)
        self._pending: Optional[tuple] = None

    @property
    def kinds(self) -> set:
        return self.aia.kinds if self.aia is not None else set()

    # ------------------------------------------------------------ features
    def pool_rois(self, x, rois: torch.Tensor) -> torch.Tensor:
        """One vector per RoI: ``[N, C]`` (time mean, spatial max/avg)."""
        if rois.shape[0] == 0:
            dim = self.bbox_head.person_channels
            return rois.new_zeros(0, dim)
        feats = self.roi_dropout(self.bbox_roi_extractor(x, rois)[0]).mean(2)
        return (feats.amax((-2, -1)) if self.spatial_pool == 'max' else
                feats.mean((-2, -1)))

    def extract(self, x, person_boxes: Sequence[torch.Tensor],
                data_samples: Sequence) -> ClipBatch:
        """Pool persons (given boxes) and objects of every clip."""
        metas = [s.metainfo for s in data_samples]
        person_rois = bbox2roi([b[:, :4] for b in person_boxes])
        person_feats = self.pool_rois(x, person_rois)
        if 'O' in self.kinds:
            object_boxes = []
            for sample in data_samples:
                if 'objects' not in sample:
                    raise KeyError(
                        f'sample {sample.metainfo.get("img_key", "?")} has '
                        'no objects: set object_file on the dataset for AIA '
                        "object ('O') blocks")
                object_boxes.append(sample.objects.bboxes[:, :4])
            object_rois = bbox2roi(object_boxes)
            object_feats = self.pool_rois(x, object_rois)
        else:
            object_boxes = [person_rois.new_zeros(0, 4) for _ in metas]
            object_feats = person_feats.new_zeros(0, person_feats.shape[1])

        def normalised(boxes: Sequence[torch.Tensor]) -> torch.Tensor:
            return torch.cat([normalise_to_original(b[:, :4], m)
                              for b, m in zip(boxes, metas)]).to(
                                  person_feats.device)

        return ClipBatch(
            person_feats, person_rois, [len(b) for b in person_boxes],
            normalised(person_boxes), object_feats,
            [len(b) for b in object_boxes], normalised(object_boxes),
            [_clip_key(m) for m in metas] if self.memory_bank is not None
            else [(str(m.get('video_id')), 0) for m in metas],
            torch.tensor([bool(m.get('flip', False)) for m in metas],
                         device=person_feats.device))

    # ---------------------------------------------------------- aggregation
    def _memory(self, batch: ClipBatch, persons: torch.Tensor):
        """Memory of each clip with the clip's own persons in its slot."""
        bank = self.memory_bank
        device, dim = persons.device, persons.shape[1]
        mem = bank.read(batch.keys, dim, device, random_subset=self.training,
                        apply_penalty=self.training)
        per_sec = bank.max_per_sec
        own = pack(persons.detach(), batch.person_counts, length=per_sec,
                   min_length=per_sec, shuffle=self.training)
        own_boxes = batch.person_boxes[own.index]
        span = slice(mem.current_slot * per_sec,
                     (mem.current_slot + 1) * per_sec)
        feats, boxes, mask = mem.features, mem.boxes, mem.mask
        feats[:, span] = own.data[:, :per_sec]
        mask[:, span] = own.mask[:, :per_sec]
        slot_boxes = boxes[:, span]
        slot_boxes[own.mask[:, :per_sec]] = own_boxes
        boxes[:, span] = slot_boxes
        return feats, mask, mem.positions, boxes

    def aggregate(self, batch: ClipBatch) -> torch.Tensor:
        """Class logits ``[N, num_classes]`` of the persons of ``batch``."""
        feats = batch.person_feats
        if self.aia is None or feats.shape[0] == 0:
            return self.bbox_head(feats)
        persons = pack(feats, batch.person_counts)
        key_mask = persons.mask & (torch.arange(
            persons.mask.shape[1], device=feats.device) <
                                   self.aia.max_persons)
        inputs = dict(person=persons.data, person_mask=persons.mask,
                      person_key_mask=key_mask)
        geometry = {}
        use_geometry = any(b.geometry is not None
                           for b in self.aia.blocks.values())
        if use_geometry:
            view = mirror_boxes(pack(batch.person_boxes,
                                     batch.person_counts).data, batch.flips)
            geometry['P'] = pair_geometry(view, view)
        if 'O' in self.kinds:
            fixed = 0 if self.aia.mask_padding else self.max_objects
            objects = pack(batch.object_feats, batch.object_counts,
                           self.max_objects, fixed, shuffle=self.training)
            inputs.update(objects=objects.data, object_mask=objects.mask)
            if use_geometry:
                obj_boxes = pack(batch.object_boxes, batch.object_counts,
                                 self.max_objects, fixed).data
                obj_boxes[objects.mask] = batch.object_boxes[objects.index]
                geometry['O'] = pair_geometry(
                    view, mirror_boxes(obj_boxes, batch.flips))
        if 'M' in self.kinds:
            mem, mem_mask, positions, mem_boxes = self._memory(batch, feats)
            inputs.update(memory=mem, memory_mask=mem_mask,
                          memory_positions=positions)
            if use_geometry:
                geometry['M'] = pair_geometry(
                    view, mirror_boxes(mem_boxes, batch.flips))
        out = self.aia(geometry=geometry or None, **inputs)
        return self.bbox_head(feats, out[persons.mask])

    # --------------------------------------------------------------- memory
    def pop_pending(self) -> Optional[tuple]:
        """``(keys, features, boxes, counts)`` of the last training batch."""
        pending, self._pending = self._pending, None
        return pending

    def write_memory(self, batch: ClipBatch, loss_tag: float = 1.0,
                     track_new: bool = True) -> None:
        """Write the persons of ``batch`` into the bank (test pass 1)."""
        self.memory_bank.write_batch(batch.keys, batch.person_feats.detach(),
                                     batch.person_boxes, batch.person_counts,
                                     loss_tag, track_new)

    def online_memory(self, max_entries: Optional[int] = None
                      ) -> Optional[FeatureBank]:
        """A fresh past-only bank for streams, or None without memory.

        Built from the head's memory config with ``online=True`` (``LENGTH
        = (L, 0)``: the slots of seconds ``-L .. 0`` keep the temporal
        positions the model learned). Bounded by default to the seconds one
        stream's keyframe can read, ``L * rate + 1`` (its own included):
        with increasing timestamps the oldest second is evicted first.

        Args:
            max_entries (int, optional): Another bound (several streams).
        """
        if self.memory_cfg is None or 'M' not in self.kinds:
            return None
        cfg = dict(self.memory_cfg, online=True)
        before = int(cfg.get('length', (30, 30))[0])
        cfg['max_entries'] = (max_entries if max_entries is not None else
                              before * int(cfg.get('rate', 1)) + 1)
        return FeatureBank(**cfg)

    @torch.no_grad()
    def predict_online(self, x, rpn_results_list: Sequence[InstanceData],
                       data_samples: Sequence) -> List[InstanceData]:
        """One step of the online (stream) test: pool the clips' persons and
        objects, write the persons into the past-only bank under
        ``(video_id, timestamp)``, then aggregate and classify. Feed
        keyframes in time order; a result never waits for later ones.
        """
        bank = self.memory_bank
        if bank is None or not bank.online:
            raise RuntimeError('predict_online needs a past-only memory '
                               'bank: set roi_head.memory_bank = '
                               'roi_head.online_memory() first')
        batch = self.extract(x, [r.bboxes for r in rpn_results_list],
                             data_samples)
        self.write_memory(batch, track_new=False)
        return self.predict_from_batch(batch, data_samples)

    # ---------------------------------------------------------- train/test
    def _training_boxes(self, data_samples: Sequence):
        boxes, labels = [], []
        for sample in data_samples:
            gt = sample.gt_instances
            valid = (gt.bboxes[:, 2] > gt.bboxes[:, 0]) & (
                gt.bboxes[:, 3] > gt.bboxes[:, 1])
            bxs, lbls = gt.bboxes[valid], gt.labels[valid]
            if len(bxs) > self.train_max_persons:
                keep = torch.randperm(len(bxs))[:self.train_max_persons]
                bxs, lbls = bxs[keep], lbls[keep]
            if self.box_jitter and len(bxs):
                bxs = jitter_boxes(bxs, sample.metainfo['img_shape'])
            boxes.append(bxs)
            labels.append(lbls)
        return boxes, torch.cat(labels)

    def loss(self, x, rpn_results_list: Sequence[InstanceData],
             data_samples: Sequence) -> Dict[str, torch.Tensor]:
        """Loss on the ground-truth persons of each clip."""
        boxes, labels = self._training_boxes(data_samples)
        batch = self.extract(x, boxes, data_samples)
        cls_score = self.aggregate(batch)
        if self.memory_bank is not None:
            if self._pending is not None:
                warnings.warn('AIARoIHead: the memory of the previous '
                              'iteration was never written; add '
                              "dict(type='AIAMemoryHook') to custom_hooks",
                              stacklevel=2)
            self._pending = (batch.keys, batch.person_feats.detach().cpu(),
                             batch.person_boxes.detach().cpu(),
                             list(batch.person_counts))
        return self.bbox_head.loss(cls_score, labels.to(cls_score))

    def predict_from_batch(self, batch: ClipBatch,
                           data_samples: Sequence) -> List[InstanceData]:
        """Scores of every person of ``batch`` (test pass 2)."""
        cls_scores = self.aggregate(batch)
        counts = batch.person_counts
        return self.bbox_head.predict_by_feat(
            batch.person_rois.split(counts), cls_scores.split(counts),
            [s.metainfo for s in data_samples])

    def predict(self, x, rpn_results_list: Sequence[InstanceData],
                data_samples: Sequence, **kwargs) -> List[InstanceData]:
        """Score every proposal with the memory the bank holds now."""
        batch = self.extract(x, [r.bboxes for r in rpn_results_list],
                             data_samples)
        return self.predict_from_batch(batch, data_samples)

    def forward(self, x, rpn_results_list: Sequence[InstanceData],
                data_samples: Sequence = None) -> torch.Tensor:
        """Raw logits of all proposals (``mode='tensor'``)."""
        batch = self.extract(x, [r.bboxes for r in rpn_results_list],
                             data_samples)
        return self.aggregate(batch)
