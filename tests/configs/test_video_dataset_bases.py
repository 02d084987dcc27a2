"""The AVA dataset bases for reading the videos directly."""
import os.path as osp

import pytest

from mmaction_aia.engine.runner_setup import load_config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.mark.parametrize('version, label_map', [
    ('2.1', 'ava_action_list_v2.1_for_activitynet_2018.pbtxt'),
    ('2.2', 'ava_action_list_v2.2_for_activitynet_2019.pbtxt')])
def test_video_bases_point_at_segments_and_versioned_files(version,
                                                           label_map):
    tag = version.replace('.', '')
    cfg = load_config(osp.join(REPO, 'configs', '_base_', 'datasets',
                               f'ava{tag}_videos.py'))
    # the segments written by tools/data/ava/prepare_ava.py cut
    assert cfg.data_root == 'data/ava/videos_15min'
    assert cfg.video_ext == '.mp4'
    assert cfg.dataset_type == 'AVADataset'
    anno = 'data/ava/annotations/'
    assert cfg.ann_file_train == f'{anno}ava_train_v{version}.csv'
    assert cfg.ann_file_val == f'{anno}ava_val_v{version}.csv'
    assert cfg.exclude_file_val == (
        f'{anno}ava_val_excluded_timestamps_v{version}.csv')
    assert cfg.label_file == anno + label_map
    assert cfg.proposal_file_train == (
        f'{anno}ava_dense_proposals_train.FAIR.recall_93.9.pkl')
