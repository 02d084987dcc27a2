"""A tiny synthetic dataset and config for end-to-end tool tests."""
import os.path as osp

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BASE_CONFIG = osp.join(
    REPO, 'configs/detection/synthetic/'
    'slowonly_tiny_r18_8x4x1_synthetic_ava_rgb.py')

TINY_DATA = dict(seed=3, num_train_videos=2, num_val_videos=1, seconds=6,
                 width=64, height=48, fps=10)


def write_tiny_config(tmp_path, data_root, extra: str = '') -> str:
    """A config inheriting the Quick start one, shrunk to run in seconds."""
    text = f'''
_base_ = [{BASE_CONFIG!r}]
data_root = {str(data_root)!r}
synthetic_data = dict(out_dir=data_root, **{TINY_DATA!r})
anno_root = data_root + '/annotations'
clip = dict(clip_len=4, frame_interval=2)
model = dict(backbone=dict(base_channels=8), roi_head=dict(
    bbox_roi_extractor=dict(output_size=4), bbox_head=dict(in_channels=128)))
train_pipeline = [
    dict(type='SampleAVAFrames', **clip),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(-1, 48)),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')]
val_pipeline = [
    dict(type='SampleAVAFrames', test_mode=True, **clip),
    dict(type='RawFrameDecode'),
    dict(type='Resize', scale=(-1, 48)),
    dict(type='FormatShape', input_format='NCTHW', collapse=True),
    dict(type='PackActionInputs')]
dataset_files = dict(
    fps={TINY_DATA['fps']}, timestamp_end=900 + {TINY_DATA['seconds']},
    label_file=anno_root + '/action_list.pbtxt',
    data_prefix=dict(img=data_root + '/rawframes'))
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(
        ann_file=anno_root + '/train.csv',
        exclude_file=anno_root + '/excluded_timestamps_train.csv',
        proposal_file=anno_root + '/proposals_train.pkl',
        pipeline=train_pipeline, **dataset_files))
val_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(
        ann_file=anno_root + '/val.csv',
        exclude_file=anno_root + '/excluded_timestamps_val.csv',
        proposal_file=anno_root + '/proposals_val.pkl',
        pipeline=val_pipeline, **dataset_files))
test_dataloader = val_dataloader
val_evaluator = dict(
    ann_file=anno_root + '/val.csv',
    exclude_file=anno_root + '/excluded_timestamps_val.csv',
    label_file=anno_root + '/action_list.pbtxt')
test_evaluator = val_evaluator
train_cfg = dict(max_epochs=2, val_begin=1, val_interval=1)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True)]
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=1, max_keep_ckpts=3))
{extra}
'''
    path = tmp_path / 'tiny_config.py'
    path.write_text(text)
    return str(path)


@pytest.fixture(scope='session')
def tiny_data_root(tmp_path_factory):
    from mmaction_aia.datasets.synthetic import ensure_synthetic_ava
    root = tmp_path_factory.mktemp('synthetic') / 'data'
    ensure_synthetic_ava(str(root), **TINY_DATA)
    return root
