# SlowOnly R101 8x8 pretrained with OmniSource, AVA v2.1: 25.9 mAP in
# mmaction2's model zoo. The Kinetics R101 recipe with the OmniSource
# recognizer as initialisation.
_base_ = ['./slowonly_kinetics_pretrained_r101_8x8x1_20e_ava_rgb.py']

model = dict(
    init_cfg=dict(
        checkpoint=('https://download.openmmlab.com/mmaction/recognition/'
                    'slowonly/omni/slowonly_r101_omni_8x8x1_kinetics400_rgb_'
                    '20200926-b5dbb701.pth')))
