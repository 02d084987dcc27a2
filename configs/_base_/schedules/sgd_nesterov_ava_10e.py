# mmaction2 0.x's schedule of the non-local SlowOnly AVA models: 10 epochs,
# SGD with Nesterov momentum, linear warm-up over 800 iterations from 1% of
# the lr, lr x0.1 at epochs 4, 6 and 8 (lr 0.3 for 8 GPUs x 12 clips).
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=10, val_begin=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=800),
    dict(
        type='MultiStepLR',
        begin=0,
        end=10,
        by_epoch=True,
        milestones=[4, 6, 8],
        gamma=0.1)
]

optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.3, momentum=0.9, weight_decay=1e-6, nesterov=True),
    clip_grad=dict(max_norm=40, norm_type=2))

# `--cfg-options auto_scale_lr.enable=True` rescales the lr linearly to your
# total batch size
auto_scale_lr = dict(enable=False, base_batch_size=96)
