# AIA dense serial (P-O-M-P-O-M), SlowFast R50 4x16, AVA v2.2. Published
# (AlphAction, ECCV 2020): 30.0 frame-mAP. Its hyper-parameters: 16 clips per
# batch (8 GPUs x 2), SGD lr 4e-4 (bias x2, no bias decay), AIA parameters at
# 10x lr, weight decay 1e-7, linear warm-up over 2000 iterations from 0.25,
# steps at 70k and 90k, 110k iterations; grouped focal loss; memory of 30 s
# before and after, 5 persons per second; test boxes with score >= 0.8.
# The serial / parallel / R101 configs inherit this one.
_base_ = [
    '../../_base_/default_runtime.py', '../../_base_/models/slowfast_r50.py',
    '../../_base_/datasets/ava22_rawframes_loaders.py'
]

anno_root = 'data/ava/annotations'
# object boxes of a COCO detector per keyframe, proposal-pkl format
# (docs/aia.md, "Object boxes")
object_file_train = f'{anno_root}/ava_objects_train_v2.2.pkl'
object_file_val = f'{anno_root}/ava_objects_val_v2.2.pkl'
num_classes = 81

model = dict(
    init_cfg=dict(
        type='Pretrained',
        checkpoint=('https://download.openmmlab.com/mmaction/recognition/'
                    'slowfast/slowfast_r50_4x16x1_256e_kinetics400_rgb/'
                    'slowfast_r50_4x16x1_256e_kinetics400_rgb_20200704-'
                    'bcde7ed7.pth')),
    # res5 at stride 1 with dilation 2 (output stride 16), as AlphAction
    backbone=dict(
        slow_pathway=dict(dilations=(1, 1, 1, 2)),
        fast_pathway=dict(dilations=(1, 1, 1, 2))),
    roi_head=dict(
        _delete_=True,
        type='AIARoIHead',
        bbox_roi_extractor=dict(
            type='SingleRoIExtractor3D',
            roi_layer_type='RoIAlign',
            featmap_stride=16,
            output_size=7,
            with_temporal_pool=True),
        bbox_head=dict(
            type='AIABBoxHead',
            in_channels=2304,
            aia_channels=2304,
            fusion='add',
            mlp_channels=1024,
            num_classes=num_classes,
            dropout_ratio=0.2,
            loss_cls=dict(type='GroupedAVALoss', focal_gamma=2.0)),
        aia=dict(
            block_list=['P', 'O', 'M', 'P', 'O', 'M'],
            structure='dense',
            dim_inner=1024,
            dropout=0.2,
            use_layer_norm=True,
            zero_init_out=True,
            temporal_position=True,
            max_persons=25,
            # True: padding masked (ours); False: the published behaviour
            mask_padding=True,
            geometry=False),
        memory=dict(
            length=(30, 30), rate=1, max_per_sec=5, penalty=True,
            device='cpu'),
        max_objects=5,
        train_max_persons=10,
        box_jitter=True,
        spatial_pool='max'))

# 64 frames, every 2nd: 32 for the fast pathway, 4 for the slow one
train_pipeline = _base_.train_pipeline
train_pipeline[0] = dict(type='SampleAVAFrames', clip_len=32, frame_interval=2)
val_pipeline = _base_.val_pipeline
val_pipeline[0] = dict(
    type='SampleAVAFrames', clip_len=32, frame_interval=2, test_mode=True)

train_dataloader = dict(
    batch_size=2,
    dataset=dict(pipeline=train_pipeline, object_file=object_file_train))
val_dataloader = dict(
    dataset=dict(
        pipeline=val_pipeline,
        object_file=object_file_val,
        person_det_score_thr=0.8))
test_dataloader = val_dataloader

max_iters = 110000
train_cfg = dict(
    _delete_=True, type='IterBasedTrainLoop', max_iters=max_iters,
    val_interval=10000)
val_cfg = dict(type='AIAValLoop')
test_cfg = dict(type='AIATestLoop')

param_scheduler = [
    dict(type='LinearLR', start_factor=0.25, by_epoch=False, begin=0,
         end=2000),
    dict(type='MultiStepLR', milestones=[70000, 90000], gamma=0.1,
         by_epoch=False, begin=0, end=max_iters)
]
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=4e-4, momentum=0.9, weight_decay=1e-7),
    paramwise_cfg=dict(
        bias_lr_mult=2.0,
        bias_decay_mult=0.0,
        norm_decay_mult=0.0,
        custom_keys={'roi_head.aia': dict(lr_mult=10.0)}),
    clip_grad=None)
auto_scale_lr = dict(enable=False, base_batch_size=16)

custom_hooks = [
    dict(type='SkipReportHook'),
    dict(type='AIAMemoryHook', save_in_checkpoint=False)
]
default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=10000, max_keep_ckpts=3),
    logger=dict(interval=20))
log_processor = dict(by_epoch=False)
