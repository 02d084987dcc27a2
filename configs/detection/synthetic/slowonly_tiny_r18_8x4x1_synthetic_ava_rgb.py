# The embedded default: a tiny SlowOnly (ResNet3d-18, 16 base channels, no
# pretraining) with a global-context RoI feature, trained from scratch on
# the bundled synthetic AVA-format dataset (generated on first use into
# data/synthetic_ava; see docs/synthetic_dataset.md). On 2 CPU cores:
# generation ~20 s, training ~11 min, validation mAP ~0.61 (14 classes).
_base_ = [
    '../../_base_/default_runtime.py', '../../_base_/models/slowonly_r50.py'
]

data_root = 'data/synthetic_ava'
synthetic_data = dict(out_dir=data_root, seed=0)

anno_root = f'{data_root}/annotations'
ann_file_train = f'{anno_root}/train.csv'
ann_file_val = f'{anno_root}/val.csv'
exclude_file_train = f'{anno_root}/excluded_timestamps_train.csv'
exclude_file_val = f'{anno_root}/excluded_timestamps_val.csv'
label_file = f'{anno_root}/action_list.pbtxt'
proposal_file_train = f'{anno_root}/proposals_train.pkl'
proposal_file_val = f'{anno_root}/proposals_val.pkl'
num_classes = 15  # 14 synthetic actions + background

# mmaction2's SlowOnly AVA detector, shrunk: ResNet3d-18 with 16 base
# channels and temporal kernels in every stage, plus a global context feature
model = dict(
    backbone=dict(depth=18, base_channels=16, inflate=(1, 1, 1, 1)),
    roi_head=dict(
        bbox_roi_extractor=dict(with_global=True),
        bbox_head=dict(
            in_channels=256, num_classes=num_classes, dropout_ratio=0.3)))

train_pipeline = [
    dict(type='SampleAVAFrames', clip_len=8, frame_interval=4),
    dict(type='RawFrameDecode'),
    dict(type='RandomRescale', scale_range=(112, 136)),
    dict(type='RandomCrop', size=112),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(
        type='SampleAVAFrames', clip_len=8, frame_interval=4, test_mode=True),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(-1, 120)),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='AVADataset',
        ann_file=ann_file_train,
        exclude_file=exclude_file_train,
        pipeline=train_pipeline,
        label_file=label_file,
        proposal_file=proposal_file_train,
        num_classes=num_classes,
        data_prefix=dict(img=f'{data_root}/rawframes')))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='AVADataset',
        ann_file=ann_file_val,
        exclude_file=exclude_file_val,
        pipeline=val_pipeline,
        label_file=label_file,
        proposal_file=proposal_file_val,
        num_classes=num_classes,
        data_prefix=dict(img=f'{data_root}/rawframes'),
        test_mode=True))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='AVAMetric',
    ann_file=ann_file_val,
    label_file=label_file,
    exclude_file=exclude_file_val,
    num_classes=num_classes,
    # per-group mAP over the synthetic classes (docs/synthetic_dataset.md)
    class_groups=dict(
        pose=[1, 2, 3, 4, 5, 6],
        object=[7, 8, 9],
        person=[10, 11, 12],
        memory=[13, 14]))
test_evaluator = val_evaluator

max_epochs = 15
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_begin=5,
    val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=0, by_epoch=True,
         begin=0, end=max_epochs, convert_to_iter_based=True)
]

optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=40, norm_type=2))

default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=5, max_keep_ckpts=2, save_best='auto'))
randomness = dict(seed=0)
