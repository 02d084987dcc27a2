import numpy as np
import pytest

from mmaction_aia.datasets import AnnotationError, AVADataset, read_label_map


def build(ava_files, **kwargs):
    args = dict(ann_file=ava_files['ann_file'],
                exclude_file=ava_files['exclude_file'],
                label_file=ava_files['label_file'],
                proposal_file=ava_files['proposal_file'],
                pipeline=[], num_classes=5,
                data_prefix=dict(img=str(ava_files['root'] / 'frames')))
    args.update(kwargs)
    return AVADataset(**args)


def test_keyframes_boxes_and_multilabels(ava_files):
    dataset = build(ava_files)
    # vid_a,0903 excluded; vid_b,0902 only has an id missing from the map
    keys = [dataset.get_data_info(i)['img_key'] for i in range(len(dataset))]
    assert keys == ['vid_a,0902', 'vid_b,0904']
    info = dataset.get_data_info(0)
    np.testing.assert_allclose(info['gt_bboxes'],
                               [[0.1, 0.2, 0.3, 0.6], [0.5, 0.1, 0.9, 0.9]])
    # the two rows of the same box merge into one multi-hot label row
    np.testing.assert_array_equal(info['gt_labels'][0], [0, 1, 0, 0, 1])
    np.testing.assert_array_equal(info['gt_labels'][1], [0, 0, 1, 0, 0])
    np.testing.assert_array_equal(info['entity_ids'], [0, 1])
    assert info['frame_dir'].endswith('frames/vid_a')
    assert info['timestamp'] == 902 and info['fps'] == 30
    assert info['shot_info'] == (0, 900 * 30)


def test_proposals_score_threshold_and_fallback(ava_files):
    dataset = build(ava_files, person_det_score_thr=0.9)
    info = dataset.get_data_info(0)
    assert info['proposals'].shape == (2, 4)
    np.testing.assert_allclose(info['scores'], [0.99, 0.95])
    # no proposal reaches 0.9 in vid_b,0904: the best one is kept
    info = dataset.get_data_info(1)
    np.testing.assert_allclose(info['proposals'], [[0.2, 0.2, 0.4, 0.8]])


def test_missing_proposals_fall_back_to_whole_frame(ava_files, tmp_path):
    import pickle
    empty = tmp_path / 'empty.pkl'
    empty.write_bytes(pickle.dumps({}))
    dataset = build(ava_files, proposal_file=str(empty))
    np.testing.assert_allclose(dataset.get_data_info(0)['proposals'],
                               [[0, 0, 1, 1]])


def test_custom_classes_remap_labels(ava_files):
    dataset = build(ava_files, custom_classes=[4], num_classes=2)
    keys = [dataset.get_data_info(i)['img_key'] for i in range(len(dataset))]
    assert keys == ['vid_a,0902']  # only keyframes with class 4 remain
    info = dataset.get_data_info(0)
    np.testing.assert_array_equal(info['gt_labels'], [[0, 1]])
    assert dataset.metainfo['classes'] == ['talk to']


def test_custom_classes_checked(ava_files):
    with pytest.raises(ValueError, match='num_classes'):
        build(ava_files, custom_classes=[1, 2], num_classes=5)
    with pytest.raises(ValueError, match='not in the label map'):
        build(ava_files, custom_classes=[7], num_classes=2)
    with pytest.raises(ValueError, match='background'):
        build(ava_files, custom_classes=[0], num_classes=2)


@pytest.mark.parametrize('row, problem', [
    ('vid_a,0902,0.1,0.2,0.3', 'expected 7 or 8'),
    ('vid_a,0902,0.1,abc,0.3,0.6,1,0', 'non-numeric'),
    ('vid_a,0902,0.1,0.2,1.3,0.6,1,0', 'outside \\[0, 1\\]'),
    ('vid_a,0902,0.5,0.2,0.3,0.6,1,0', 'x2 < x1'),
])
def test_malformed_row_names_file_line_and_problem(ava_files, row, problem):
    path = ava_files['root'] / 'bad.csv'
    path.write_text('vid_a,0902,0.1,0.2,0.3,0.6,1,0\n' + row + '\n')
    with pytest.raises(AnnotationError, match=f'bad.csv:2: .*{problem}'):
        build(ava_files, ann_file=str(path), test_mode=True)


def test_malformed_row_skipped_in_training(ava_files):
    path = ava_files['root'] / 'bad.csv'
    path.write_text('vid_a,0902,0.1,0.2,0.3,0.6,1,0\n'
                    'vid_a,0902,0.1,0.2\n'
                    'vid_b,0904,0.2,0.2,0.4,0.8,2,5\n')
    dataset = build(ava_files, ann_file=str(path), on_error='skip')
    assert len(dataset) == 2


def test_label_id_beyond_num_classes(ava_files):
    with pytest.raises(AnnotationError, match='num_classes'):
        build(ava_files, label_file=None, num_classes=3)


def test_label_map_reader(ava_files, tmp_path):
    assert read_label_map(ava_files['label_file']) == {
        1: 'stand', 2: 'walk', 4: 'talk to'}
    bad = tmp_path / 'bad.pbtxt'
    bad.write_text('item {\n  name: "x"\n}\n')
    with pytest.raises(AnnotationError, match='bad.pbtxt:1'):
        read_label_map(str(bad))


def test_proposal_pkl_must_be_dict_of_arrays(ava_files, tmp_path):
    import pickle
    bad = tmp_path / 'bad.pkl'
    bad.write_bytes(pickle.dumps({'vid_a,0902': np.zeros((2, 3))}))
    with pytest.raises(AnnotationError, match="'vid_a,0902'"):
        build(ava_files, proposal_file=str(bad), on_error='raise')
    bad.write_bytes(pickle.dumps([1, 2]))
    with pytest.raises(AnnotationError, match='expected a dict'):
        build(ava_files, proposal_file=str(bad))
