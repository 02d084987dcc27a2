# Train and evaluate a subset of AVA classes with SlowFast R50 4x16
# (mmaction2's custom_classes example): the 16 classes whose AP lies in
# (0.1, 0.3) for the 80-class SlowOnly model. 0.3785 mAP on these classes in
# mmaction2's model zoo (vs 0.1864 when trained on all 80). Label i > 0 of
# the model is AVA id custom_classes[i-1].
_base_ = ['./slowfast_kinetics_pretrained_r50_4x16x1_20e_ava_rgb.py']

custom_classes = [
    3, 6, 10, 27, 29, 38, 41, 48, 51, 53, 54, 59, 61, 64, 70, 72
]
num_classes = len(custom_classes) + 1

model = dict(roi_head=dict(bbox_head=dict(num_classes=num_classes)))

train_dataloader = dict(
    dataset=dict(custom_classes=custom_classes, num_classes=num_classes))
val_dataloader = dict(
    dataset=dict(custom_classes=custom_classes, num_classes=num_classes))
test_dataloader = val_dataloader

val_evaluator = dict(custom_classes=custom_classes, num_classes=num_classes)
test_evaluator = val_evaluator

# mmaction2's recipe for this model warms up from 5% of the lr
param_scheduler = _base_.param_scheduler
param_scheduler[0] = dict(_base_.param_scheduler[0], start_factor=0.05)
