# mmaction2's AVA SlowOnly schedule: 20 epochs, linear warm-up over 5 epochs,
# lr x0.1 at epochs 10 and 15 (lr 0.2 for 8 GPUs x 16 clips).
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=20, val_begin=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=5),
    dict(
        type='MultiStepLR',
        begin=0,
        end=20,
        by_epoch=True,
        milestones=[10, 15],
        gamma=0.1)
]

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.2, momentum=0.9, weight_decay=0.00001),
    clip_grad=dict(max_norm=40, norm_type=2))

# lr above is for 8 GPUs x 16 clips; `--cfg-options auto_scale_lr.enable=True`
# rescales it linearly to your total batch size
auto_scale_lr = dict(enable=False, base_batch_size=128)
