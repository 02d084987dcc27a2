# SlowFast R50 8x8 on AVA v2.2 with temporal max pooling and a focal loss
# (alpha 3, gamma 1): 26.8 mAP in mmaction2's model zoo.
_base_ = [
    './slowfast_temporal_max_kinetics_pretrained_r50_8x8x1_cosine_10e_'
    'ava22_rgb.py'
]

model = dict(roi_head=dict(bbox_head=dict(focal_alpha=3.0, focal_gamma=1.0)))
