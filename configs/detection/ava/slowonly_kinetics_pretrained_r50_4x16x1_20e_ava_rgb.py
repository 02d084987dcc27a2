# SlowOnly R50 4x16, Kinetics-400 pretrained, AVA v2.1: 20.1 mAP in
# mmaction2's model zoo (8 GPUs x 16 clips). Same recipe and data paths.
_base_ = [
    '../../_base_/default_runtime.py', '../../_base_/models/slowonly_r50.py',
    '../../_base_/schedules/sgd_ava_20e.py',
    '../../_base_/datasets/ava21_rawframes.py'
]

model = dict(
    init_cfg=dict(
        type='Pretrained',
        checkpoint=('https://download.openmmlab.com/mmaction/recognition/'
                    'slowonly/slowonly_r50_4x16x1_256e_kinetics400_rgb/'
                    'slowonly_r50_4x16x1_256e_kinetics400_rgb_20200704-'
                    'a69556c6.pth')))

train_pipeline = [
    dict(type='SampleAVAFrames', clip_len=4, frame_interval=16),
    dict(type='RawFrameDecode'),
    dict(type='RandomRescale', scale_range=(256, 320)),
    dict(type='RandomCrop', size=256),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]
# The testing is w/o. any cropping / flipping
val_pipeline = [
    dict(
        type='SampleAVAFrames', clip_len=4, frame_interval=16, test_mode=True),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')
]

train_dataloader = dict(
    batch_size=16,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type={{_base_.dataset_type}},
        ann_file={{_base_.ann_file_train}},
        exclude_file={{_base_.exclude_file_train}},
        pipeline=train_pipeline,
        label_file={{_base_.label_file}},
        proposal_file={{_base_.proposal_file_train}},
        data_prefix=dict(img={{_base_.data_root}})))
val_dataloader = dict(
    batch_size=1,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type={{_base_.dataset_type}},
        ann_file={{_base_.ann_file_val}},
        exclude_file={{_base_.exclude_file_val}},
        pipeline=val_pipeline,
        label_file={{_base_.label_file}},
        proposal_file={{_base_.proposal_file_val}},
        data_prefix=dict(img={{_base_.data_root}}),
        test_mode=True))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='AVAMetric',
    ann_file={{_base_.ann_file_val}},
    label_file={{_base_.label_file}},
    exclude_file={{_base_.exclude_file_val}})
test_evaluator = val_evaluator
