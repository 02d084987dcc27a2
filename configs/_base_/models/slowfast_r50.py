# SlowFast R50 4x16 AVA detector (mmaction2's AVA SlowFast configs): a
# 4-frame slow pathway (tau=16 on 32x2 input) and an 8x faster, 1/8-wide
# fast pathway with lateral connections; RoI feature 2048 + 256 channels.
# 8x8 variants set resample_rate=4, speed_ratio=4 and fusion_kernel=7.
_base_ = ['./slowonly_r50.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNet3dSlowFast',
        pretrained=None,
        resample_rate=8,
        speed_ratio=8,
        channel_ratio=8,
        slow_pathway=dict(
            type='resnet3d',
            depth=50,
            pretrained=None,
            lateral=True,
            conv1_kernel=(1, 7, 7),
            dilations=(1, 1, 1, 1),
            conv1_stride_t=1,
            pool1_stride_t=1,
            inflate=(0, 0, 1, 1),
            spatial_strides=(1, 2, 2, 1)),
        fast_pathway=dict(
            type='resnet3d',
            depth=50,
            pretrained=None,
            lateral=False,
            base_channels=8,
            conv1_kernel=(5, 7, 7),
            conv1_stride_t=1,
            pool1_stride_t=1,
            spatial_strides=(1, 2, 2, 1))),
    roi_head=dict(bbox_head=dict(in_channels=2304)))
