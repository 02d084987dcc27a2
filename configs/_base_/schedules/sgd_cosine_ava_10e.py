# mmaction2's AVA 2.2 SlowFast schedule: 10 epochs, linear warm-up over 2
# epochs from 10% of the lr, then cosine annealing to 0 (per iteration);
# lr 0.075 for 8 GPUs x 6 clips.
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=10, val_begin=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=2,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=8,
        eta_min=0,
        by_epoch=True,
        begin=2,
        end=10,
        convert_to_iter_based=True)
]

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.075, momentum=0.9, weight_decay=0.00001),
    clip_grad=dict(max_norm=40, norm_type=2))

# `--cfg-options auto_scale_lr.enable=True` rescales the lr linearly to your
# total batch size
auto_scale_lr = dict(enable=False, base_batch_size=48)
