# SlowOnly R50 4x16, Kinetics-400 pretrained, AVA v2.1: 20.1 mAP in
# mmaction2's model zoo (8 GPUs x 16 clips, lr 0.2). Same recipe and paths.
_base_ = [
    '../../_base_/default_runtime.py', '../../_base_/models/slowonly_r50.py',
    '../../_base_/schedules/sgd_ava_20e.py',
    '../../_base_/datasets/ava21_rawframes_loaders.py'
]

model = dict(
    init_cfg=dict(
        type='Pretrained',
        checkpoint=('https://download.openmmlab.com/mmaction/recognition/'
                    'slowonly/slowonly_r50_4x16x1_256e_kinetics400_rgb/'
                    'slowonly_r50_4x16x1_256e_kinetics400_rgb_20200704-'
                    'a69556c6.pth')))
