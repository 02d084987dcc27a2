# SlowFast R50 4x16 (32x2 input), Kinetics-400 pretrained, AVA v2.1: 24.4 mAP
# in mmaction2's model zoo (8 GPUs x 9 clips, lr 0.1125, 20 epochs).
_base_ = [
    '../../_base_/default_runtime.py', '../../_base_/models/slowfast_r50.py',
    '../../_base_/schedules/sgd_ava_20e.py',
    '../../_base_/datasets/ava21_rawframes_loaders.py'
]

model = dict(
    init_cfg=dict(
        type='Pretrained',
        checkpoint=('https://download.openmmlab.com/mmaction/recognition/'
                    'slowfast/slowfast_r50_4x16x1_256e_kinetics400_rgb/'
                    'slowfast_r50_4x16x1_256e_kinetics400_rgb_20200704-'
                    'bcde7ed7.pth')))

# 32 frames, every 2nd (the slow pathway keeps every 8th of them)
train_pipeline = _base_.train_pipeline
train_pipeline[0] = dict(type='SampleAVAFrames', clip_len=32, frame_interval=2)
val_pipeline = _base_.val_pipeline
val_pipeline[0] = dict(
    type='SampleAVAFrames', clip_len=32, frame_interval=2, test_mode=True)

train_dataloader = dict(batch_size=9, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(lr=0.1125))
auto_scale_lr = dict(base_batch_size=72)
