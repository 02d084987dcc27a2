# AIA serial (P-O-M-P-O-M), SlowFast R50 4x16, AVA v2.2. Published: 29.8 mAP.
_base_ = [
    './aia_dense_serial_slowfast_kinetics_pretrained_r50_4x16x1_110k_ava22_rgb.py'  # noqa: E501
]

model = dict(roi_head=dict(aia=dict(structure='serial')))
