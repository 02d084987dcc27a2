# SlowOnly R50 4x16 with non-local blocks, Kinetics-400 pretrained (the NL
# recognizer), AVA v2.1: 21.75 mAP in mmaction2's model zoo (8 GPUs x 12
# clips, 10 epochs, Nesterov SGD lr 0.3).
_base_ = [
    '../../_base_/default_runtime.py',
    '../../_base_/models/slowonly_r50_nl.py',
    '../../_base_/schedules/sgd_nesterov_ava_10e.py',
    '../../_base_/datasets/ava21_rawframes_loaders.py'
]

model = dict(
    init_cfg=dict(
        type='Pretrained',
        checkpoint=('https://download.openmmlab.com/mmaction/recognition/'
                    'slowonly/slowonly_nl_embedded_gaussian_r50_4x16x1_150e_'
                    'kinetics400_rgb/slowonly_nl_embedded_gaussian_r50_'
                    '4x16x1_150e_kinetics400_rgb_20210308-0d6e5a69.pth')))

train_dataloader = dict(batch_size=12)
