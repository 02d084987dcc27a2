# AVA v2.2 from extracted frames: the v2.1 pipelines, dataloaders and metric
# (ava21_rawframes_loaders.py) pointed at the v2.2 annotations and label map
# (same frames and proposals as v2.1).
_base_ = ['./ava21_rawframes_loaders.py']

anno_root = 'data/ava/annotations'
ann_file_train = f'{anno_root}/ava_train_v2.2.csv'
ann_file_val = f'{anno_root}/ava_val_v2.2.csv'
exclude_file_train = f'{anno_root}/ava_train_excluded_timestamps_v2.2.csv'
exclude_file_val = f'{anno_root}/ava_val_excluded_timestamps_v2.2.csv'
label_file = f'{anno_root}/ava_action_list_v2.2_for_activitynet_2019.pbtxt'

train_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_train,
        exclude_file=exclude_file_train,
        label_file=label_file))
val_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_val,
        exclude_file=exclude_file_val,
        label_file=label_file))
test_dataloader = val_dataloader

val_evaluator = dict(
    ann_file=ann_file_val, label_file=label_file,
    exclude_file=exclude_file_val)
test_evaluator = val_evaluator
