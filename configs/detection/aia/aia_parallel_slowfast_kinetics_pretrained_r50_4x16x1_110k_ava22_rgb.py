# AIA parallel ([P, O, M] x 2 layers), SlowFast R50 4x16, AVA v2.2.
# Published: 29.0 mAP.
_base_ = [
    './aia_dense_serial_slowfast_kinetics_pretrained_r50_4x16x1_110k_ava22_rgb.py'  # noqa: E501
]

model = dict(
    roi_head=dict(
        aia=dict(
            structure='parallel',
            block_list=[['P', 'O', 'M'], ['P', 'O', 'M']])))
