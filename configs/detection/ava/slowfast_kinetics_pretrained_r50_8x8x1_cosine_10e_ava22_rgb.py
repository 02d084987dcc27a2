# SlowFast R50 8x8, Kinetics-400 pretrained, AVA v2.2 with a 10-epoch cosine
# schedule: 26.1 mAP in mmaction2's model zoo (8 GPUs x 6 clips, lr 0.075).
_base_ = [
    '../../_base_/default_runtime.py', '../../_base_/models/slowfast_r50.py',
    '../../_base_/schedules/sgd_cosine_ava_10e.py',
    '../../_base_/datasets/ava22_rawframes_loaders.py'
]

model = dict(
    backbone=dict(
        resample_rate=4, speed_ratio=4, slow_pathway=dict(fusion_kernel=7)),
    init_cfg=dict(
        type='Pretrained',
        checkpoint=('https://download.openmmlab.com/mmaction/recognition/'
                    'slowfast/slowfast_r50_8x8x1_256e_kinetics400_rgb/'
                    'slowfast_r50_8x8x1_256e_kinetics400_rgb_20200716-'
                    '73547d2b.pth')))

# 32 frames, every 2nd
train_pipeline = _base_.train_pipeline
train_pipeline[0] = dict(type='SampleAVAFrames', clip_len=32, frame_interval=2)
val_pipeline = _base_.val_pipeline
val_pipeline[0] = dict(
    type='SampleAVAFrames', clip_len=32, frame_interval=2, test_mode=True)

train_dataloader = dict(batch_size=6, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
