# AIA (dense serial P-O-M-P-O-M) on the Quick start's tiny SlowOnly, trained
# from scratch on the synthetic AVA-format dataset on CPU. Differences from
# the Quick start config: the AIARoIHead (2-FC head + AIA with memory of
# 6 s before and after), object boxes from objects_{train,val}.pkl, the
# memory hook and the two-pass validation / test loops. The box-geometry
# embedding (our extension, docs/aia.md) is on: the synthetic person and
# memory classes depend on where the others are, which RoI-pooled features
# do not carry.
_base_ = ['./slowonly_tiny_r18_8x4x1_synthetic_ava_rgb.py']

data_root = 'data/synthetic_ava'
anno_root = f'{data_root}/annotations'
num_classes = 15
aia_structure = 'dense'
aia_block_list = ['P', 'O', 'M', 'P', 'O', 'M']

model = dict(
    roi_head=dict(
        _delete_=True,
        type='AIARoIHead',
        bbox_roi_extractor=dict(
            type='SingleRoIExtractor3D',
            roi_layer_type='RoIAlign',
            output_size=8,
            with_temporal_pool=True,
            with_global=True),
        bbox_head=dict(
            type='AIABBoxHead',
            in_channels=256,
            aia_channels=256,
            fusion='add',
            mlp_channels=256,
            num_classes=num_classes,
            dropout_ratio=0.3),
        aia=dict(
            block_list=aia_block_list,
            structure=aia_structure,
            dim_inner=128,
            dropout=0.2,
            use_layer_norm=True,
            zero_init_out=True,
            mask_padding=True,
            geometry=True),
        memory=dict(length=(6, 6), rate=1, max_per_sec=5, penalty=True),
        max_objects=5,
        train_max_persons=10))

train_dataloader = dict(
    dataset=dict(object_file=f'{anno_root}/objects_train.pkl'))
val_dataloader = dict(
    dataset=dict(object_file=f'{anno_root}/objects_val.pkl'))
test_dataloader = val_dataloader

val_cfg = dict(type='AIAValLoop')
test_cfg = dict(type='AIATestLoop')
custom_hooks = [
    dict(type='SkipReportHook'),
    dict(type='AIAMemoryHook', save_in_checkpoint=False)
]
