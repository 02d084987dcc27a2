# AVA v2.1 from extracted frames: mmaction2's pipelines (4x16 sampling),
# dataloaders and AVAMetric. Configs with other sampling replace the first
# transform of each pipeline, e.g.
#     train_pipeline = _base_.train_pipeline
#     train_pipeline[0] = dict(type='SampleAVAFrames', clip_len=8,
#                              frame_interval=8)
#     train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
_base_ = ['./ava21_rawframes.py']

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
