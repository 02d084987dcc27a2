# SlowOnly R50 with non-local blocks (embedded Gaussian, sub-sampled) after
# blocks 0 and 2 of layer2 and blocks 0, 2 and 4 of layer3, as mmaction2's
# configs/detection/_base_/models/slowonly_r50_nl.py
_base_ = ['./slowonly_r50.py']

model = dict(
    backbone=dict(
        norm_cfg=dict(type='BN3d', requires_grad=True),
        non_local=((0, 0, 0), (1, 0, 1, 0), (1, 0, 1, 0, 1, 0), (0, 0, 0)),
        non_local_cfg=dict(
            sub_sample=True,
            use_scale=True,
            norm_cfg=dict(type='BN3d', requires_grad=True),
            mode='embedded_gaussian')))
