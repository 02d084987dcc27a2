"""AIA ablation on the synthetic benchmark, on cached RoI features.

Training every head variant end to end costs ~12 CPU-minutes each; instead
the Quick start backbone (frozen) pools person and object features of every
keyframe once (persons: ground-truth boxes for train, proposals for val),
and each head variant trains on these cached features with the same
schedule. The memory is the cached person features of neighbouring
seconds, as in AIA's two-pass test (the backbone is frozen, so the
asynchronous memory equals the synchronous one). The real AIARoIHead
modules run on the cache; the per-group mAP comes from AVAMetric.

    python tools/analysis/aia_ablation.py \
        --checkpoint work_dirs/synthetic/epoch_15.pth \
        --data-root data/synthetic_ava --seeds 0 1 2
"""
import argparse
import os
import os.path as osp
import random
import sys
import time
from typing import Dict, List, Optional

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

from mmaction_aia.evaluation.metrics import AVAMetric
from mmaction_aia.models.roi_heads.aia import ClipBatch
from mmaction_aia.models.roi_heads.bbox_head import normalise_to_original
from mmaction_aia.registry import DATASETS, MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
QUICK_START = osp.join(REPO, 'configs/detection/synthetic/'
                       'slowonly_tiny_r18_8x4x1_synthetic_ava_rgb.py')
GROUPS = dict(pose=[1, 2, 3, 4, 5, 6], object=[7, 8, 9],
              person=[10, 11, 12], memory=[13, 14])
SEQ = ['P', 'O', 'M', 'P', 'O', 'M']
#: name -> AIA structure config (None: the 2-FC baseline without AIA)
VARIANTS = {
    'baseline (2-FC, no AIA)': None,
    'P': dict(block_list=['P'], structure='serial'),
    'P+O': dict(block_list=['P', 'O'], structure='serial'),
    'P+O+M': dict(block_list=['P', 'O', 'M'], structure='serial'),
    'serial POMPOM': dict(block_list=SEQ, structure='serial'),
    'parallel [POM,POM]': dict(block_list=[SEQ[:3], SEQ[3:]],
                               structure='parallel'),
    'dense serial POMPOM': dict(block_list=SEQ, structure='dense'),
    'dense serial, no geometry': dict(block_list=SEQ, structure='dense',
                                      geometry=False),
    'dense serial, 1 head (published)': dict(block_list=SEQ,
                                             structure='dense', num_heads=1),
}
#: rows printed by default (the issue's ablation); the others on request
DEFAULT_VARIANTS = list(VARIANTS)[:7]


def _pool(model, feats, boxes: List[torch.Tensor]) -> torch.Tensor:
    from mmaction_aia.structures import bbox2roi
    rois = bbox2roi(boxes)
    if rois.shape[0] == 0:
        return rois.new_zeros(0, model.roi_head.bbox_head.in_channels)
    roi_feats = model.roi_head.bbox_roi_extractor(feats, rois)[0]
    return roi_feats.mean(2).amax((-2, -1))


@torch.no_grad()
def extract_split(model, cfg: Config, split: str, data_root: str) -> list:
    """Pooled person / object features of every keyframe of a split."""
    anno = f'{data_root}/annotations'
    dataset_cfg = cfg.val_dataloader.dataset.copy()
    dataset_cfg.update(
        ann_file=f'{anno}/{split}.csv',
        exclude_file=f'{anno}/excluded_timestamps_{split}.csv',
        label_file=f'{anno}/action_list.pbtxt',
        proposal_file=f'{anno}/proposals_{split}.pkl',
        object_file=f'{anno}/objects_{split}.pkl',
        data_prefix=dict(img=f'{data_root}/rawframes'),
        pipeline=cfg.val_pipeline, test_mode=split == 'val')
    dataset = DATASETS.build(dataset_cfg)
    records = []
    for start in range(0, len(dataset), 8):
        batch = pseudo_collate(
            [dataset[i] for i in range(start, min(start + 8, len(dataset)))])
        data = model.data_preprocessor(batch, False)
        samples = data['data_samples']
        feats = model.extract_feat(data['inputs'])
        persons = [s.gt_instances.bboxes if split == 'train' else
                   s.proposals.bboxes for s in samples]
        objects = [s.objects.bboxes for s in samples]
        person_vec = _pool(model, feats, persons).split(
            [len(b) for b in persons])
        object_vec = _pool(model, feats, objects).split(
            [len(b) for b in objects])
        for i, sample in enumerate(samples):
            meta = sample.metainfo
            records.append(dict(
                key=(str(meta['video_id']), int(meta['timestamp'])),
                person=person_vec[i],
                person_boxes=normalise_to_original(persons[i], meta),
                labels=(sample.gt_instances.labels
                        if split == 'train' else None),
                objects=object_vec[i],
                object_boxes=normalise_to_original(objects[i], meta)))
        print(f'\r{split}: {len(records)}/{len(dataset)} keyframes', end='')
    print()
    return records


def clip_batch(records: list) -> ClipBatch:
    counts = [len(r['person']) for r in records]
    rois = torch.cat([torch.full((n, 1), float(i)) for i, n in
                      enumerate(counts)] + [torch.zeros(0, 1)])
    return ClipBatch(
        torch.cat([r['person'] for r in records]),
        torch.cat([rois, torch.cat([r['person_boxes'] for r in records])],
                  1), counts, torch.cat([r['person_boxes'] for r in records]),
        torch.cat([r['objects'] for r in records]),
        [len(r['objects']) for r in records],
        torch.cat([r['object_boxes'] for r in records]),
        [r['key'] for r in records],
        torch.zeros(len(records), dtype=torch.bool))


def build_head(aia: Optional[dict], dim: int, args) -> torch.nn.Module:
    if aia is not None:
        aia = {**dict(dim_inner=args.dim_inner, geometry=True,
                      num_heads=args.num_heads), **aia}
    return MODELS.build(dict(
        type='AIARoIHead',
        bbox_roi_extractor=dict(type='SingleRoIExtractor3D'),
        bbox_head=dict(type='AIABBoxHead', in_channels=dim,
                       aia_channels=dim if aia else 0, mlp_channels=dim,
                       num_classes=15, dropout_ratio=0.3),
        aia=aia,
        memory=dict(length=(args.memory_seconds, args.memory_seconds),
                    max_per_sec=5, penalty=False) if aia else None))


def fill_bank(head, records: list) -> None:
    if head.memory_bank is None:
        return
    head.memory_bank.clear()
    for r in records:
        head.memory_bank.write(*r['key'], r['person'], r['person_boxes'])


def evaluate(head, records: list, data_root: str, out_dir: str
             ) -> Dict[str, float]:
    anno = f'{data_root}/annotations'
    metric = AVAMetric(ann_file=f'{anno}/val.csv',
                       exclude_file=f'{anno}/excluded_timestamps_val.csv',
                       label_file=f'{anno}/action_list.pbtxt',
                       num_classes=15, class_groups=GROUPS, out_dir=out_dir)
    head.eval()
    fill_bank(head, records)
    with torch.no_grad():
        for start in range(0, len(records), 32):
            chunk = records[start:start + 32]
            batch = clip_batch(chunk)
            scores = head.aggregate(batch).sigmoid().split(
                batch.person_counts)
            metric.process(None, [
                dict(video_id=r['key'][0], timestamp=r['key'][1],
                     pred_instances=dict(bboxes=r['person_boxes'],
                                         scores=s))
                for r, s in zip(chunk, scores)])
    return metric.compute_metrics(metric.results)


def train_head(head, records: list, args, seed: int) -> None:
    torch.manual_seed(seed)
    rng = random.Random(seed)
    fill_bank(head, records)
    optim = torch.optim.AdamW(head.parameters(), lr=args.lr,
                              weight_decay=1e-4)
    steps = args.epochs * ((len(records) + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(optim, args.lr, steps,
                                                pct_start=0.1)
    head.train()
    for _ in range(args.epochs):
        order = list(range(len(records)))
        rng.shuffle(order)
        for start in range(0, len(order), args.batch):
            chunk = [records[i] for i in order[start:start + args.batch]]
            labels = torch.cat([r['labels'] for r in chunk])
            losses = head.bbox_head.loss(head.aggregate(clip_batch(chunk)),
                                         labels)
            optim.zero_grad()
            sum(v for k, v in losses.items() if 'loss' in k).backward()
            optim.step()
            sched.step()


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=QUICK_START)
    parser.add_argument('--checkpoint', required=True)
    parser.add_argument('--data-root', required=True)
    parser.add_argument('--cache', default='work_dirs/aia_ablation/cache.pth')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument('--epochs', type=int, default=90)
    parser.add_argument('--batch', type=int, default=16)
    parser.add_argument('--lr', type=float, default=1e-3)
    parser.add_argument('--dim-inner', type=int, default=128)
    parser.add_argument('--num-heads', type=int, default=8,
                        help='attention heads of the AIA blocks')
    parser.add_argument('--memory-seconds', type=int, default=6)
    parser.add_argument('--variants', nargs='+', default=DEFAULT_VARIANTS,
                        choices=list(VARIANTS), metavar='NAME',
                        help=f'rows to run, of {list(VARIANTS)}')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    init_default_scope('mmaction_aia')
    if not MMLogger.check_instance_created('aia_ablation'):
        # the current logger: keeps AVAMetric's per-class tables quiet
        MMLogger.get_instance('aia_ablation', log_level='WARNING')
    out_dir = osp.dirname(osp.abspath(args.cache))
    os.makedirs(out_dir, exist_ok=True)
    if osp.isfile(args.cache):
        # plain tensors, tuples and strings: no pickled code is needed
        cache = torch.load(args.cache, weights_only=True)
    else:
        cfg = Config.fromfile(args.config)
        model = MODELS.build(cfg.model)
        load_checkpoint(model, args.checkpoint, map_location='cpu')
        model.eval()
        cache = {split: extract_split(model, cfg, split, args.data_root)
                 for split in ('train', 'val')}
        torch.save(cache, args.cache)
    dim = cache['train'][0]['person'].shape[1]
    names = ['mAP', 'pose', 'object', 'person', 'memory', 'O+P+M']
    print(f'| head ({len(args.seeds)} seeds) | ' + ' | '.join(names) + ' |')
    print('|---' * (len(names) + 1) + '|')
    for name in args.variants:
        runs = []
        for seed in args.seeds:
            start = time.time()
            torch.manual_seed(seed)  # the initial weights, too
            head = build_head(VARIANTS[name], dim, args)
            train_head(head, cache['train'], args, seed)
            res = evaluate(head, cache['val'], args.data_root, out_dir)
            n = {g: len(c) for g, c in GROUPS.items()}
            res['O+P+M'] = sum(res[g] * n[g] for g in
                               ('object', 'person', 'memory')) / 8
            runs.append([res[k] for k in names])
            print(f'{name}, seed {seed}: O+P+M {res["O+P+M"] * 100:.1f} '
                  f'({time.time() - start:.0f} s)', file=sys.stderr,
                  flush=True)
        mean = np.mean(runs, 0) * 100
        cells = [f'{v:.1f}' for v in mean]
        if len(runs) > 1:  # spread over seeds of the headline column
            cells[-1] += f' ± {np.std(runs, 0)[-1] * 100:.1f}'
        print(f'| {name} | ' + ' | '.join(cells) + ' |', flush=True)


if __name__ == '__main__':
    main()
