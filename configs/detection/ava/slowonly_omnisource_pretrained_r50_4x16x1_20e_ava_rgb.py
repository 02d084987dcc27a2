# SlowOnly R50 4x16 pretrained with OmniSource (Kinetics-400 + web data),
# AVA v2.1: 21.8 mAP in mmaction2's model zoo. The Kinetics recipe with the
# OmniSource recognizer as initialisation.
_base_ = ['./slowonly_kinetics_pretrained_r50_4x16x1_20e_ava_rgb.py']

model = dict(
    init_cfg=dict(
        checkpoint=('https://download.openmmlab.com/mmaction/recognition/'
                    'slowonly/omni/slowonly_r50_omni_4x16x1_kinetics400_rgb_'
                    '20200926-51b1f7ea.pth')))
