# SlowFast R50 8x8 (32x2 input; slow pathway every 4th frame, fast pathway
# every frame), Kinetics-400 pretrained, AVA v2.1: 25.5 mAP in mmaction2's
# model zoo (16 GPUs x 5 clips, lr 0.075).
_base_ = ['./slowfast_kinetics_pretrained_r50_4x16x1_20e_ava_rgb.py']

model = dict(
    backbone=dict(
        resample_rate=4, speed_ratio=4, slow_pathway=dict(fusion_kernel=7)),
    init_cfg=dict(
        checkpoint=('https://download.openmmlab.com/mmaction/recognition/'
                    'slowfast/slowfast_r50_8x8x1_256e_kinetics400_rgb/'
                    'slowfast_r50_8x8x1_256e_kinetics400_rgb_20200716-'
                    '73547d2b.pth')))

train_dataloader = dict(batch_size=5)
optim_wrapper = dict(optimizer=dict(lr=0.075))
auto_scale_lr = dict(base_batch_size=80)
