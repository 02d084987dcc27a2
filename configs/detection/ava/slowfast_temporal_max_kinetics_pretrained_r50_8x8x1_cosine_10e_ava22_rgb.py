# SlowFast R50 8x8 on AVA v2.2 with temporal max pooling of the RoI feature
# (instead of the mean): 26.4 mAP in mmaction2's model zoo.
_base_ = ['./slowfast_kinetics_pretrained_r50_8x8x1_cosine_10e_ava22_rgb.py']

model = dict(roi_head=dict(bbox_roi_extractor=dict(temporal_pool_mode='max')))
