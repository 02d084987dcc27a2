# SlowOnly R50 8x8 with non-local blocks, Kinetics-400 pretrained, AVA v2.1:
# 23.79 mAP in mmaction2's model zoo (16 GPUs x 6 clips, lr 0.15, warm-up
# over 1600 iterations).
_base_ = ['./slowonly_nl_kinetics_pretrained_r50_4x16x1_10e_ava_rgb.py']

model = dict(
    init_cfg=dict(
        checkpoint=('https://download.openmmlab.com/mmaction/recognition/'
                    'slowonly/slowonly_nl_embedded_gaussian_r50_8x8x1_150e_'
                    'kinetics400_rgb/slowonly_nl_embedded_gaussian_r50_'
                    '8x8x1_150e_kinetics400_rgb_20210308-e8dd9e82.pth')))

# 8 frames, every 8th
train_pipeline = _base_.train_pipeline
train_pipeline[0] = dict(type='SampleAVAFrames', clip_len=8, frame_interval=8)
val_pipeline = _base_.val_pipeline
val_pipeline[0] = dict(
    type='SampleAVAFrames', clip_len=8, frame_interval=8, test_mode=True)

train_dataloader = dict(batch_size=6, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader

param_scheduler = _base_.param_scheduler
param_scheduler[0] = dict(_base_.param_scheduler[0], end=1600)
optim_wrapper = dict(optimizer=dict(lr=0.15))
