# AIA dense serial, SlowFast R101 8x8 (64 frames; tau 8, alpha 4), AVA v2.2.
# Published: 32.4 mAP. Kinetics-pretrained R101 8x8 SlowFast weights are not
# in mmaction2's zoo: set load_from / init_cfg to a converted checkpoint
# (tools/convert/alphaction_to_mmaction_aia.py).
_base_ = [
    './aia_dense_serial_slowfast_kinetics_pretrained_r50_4x16x1_110k_ava22_rgb.py'  # noqa: E501
]

model = dict(
    init_cfg=None,
    backbone=dict(
        resample_rate=4,
        speed_ratio=4,
        slow_pathway=dict(depth=101, fusion_kernel=5),
        fast_pathway=dict(depth=101)))
