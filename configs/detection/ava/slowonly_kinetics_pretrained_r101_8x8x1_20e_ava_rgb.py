# SlowOnly R101 8x8, Kinetics-400 pretrained, AVA v2.1: 24.6 mAP in
# mmaction2's model zoo (16 GPUs x 6 clips, lr 0.075).
_base_ = ['./slowonly_kinetics_pretrained_r50_4x16x1_20e_ava_rgb.py']

model = dict(
    backbone=dict(depth=101),
    init_cfg=dict(
        checkpoint=('https://download.openmmlab.com/mmaction/recognition/'
                    'slowonly/omni/slowonly_r101_without_omni_8x8x1_'
                    'kinetics400_rgb_20200926-0c730aef.pth')))

# 8 frames, every 8th
train_pipeline = _base_.train_pipeline
train_pipeline[0] = dict(type='SampleAVAFrames', clip_len=8, frame_interval=8)
val_pipeline = _base_.val_pipeline
val_pipeline[0] = dict(
    type='SampleAVAFrames', clip_len=8, frame_interval=8, test_mode=True)

train_dataloader = dict(batch_size=6, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(lr=0.075))
auto_scale_lr = dict(base_batch_size=96)
