"""Shared fixtures: tiny AVA-format annotation files written on the fly."""
import pickle

import numpy as np
import pytest

LABEL_MAP = """item {
  name: "stand"
  id: 1
}
item {
  name: "walk"
  id: 2
}
item {
  name: "talk to"
  id: 4
}
"""


@pytest.fixture
def ava_files(tmp_path):
    """A 2-keyframe AVA annotation set with proposals and an exclusion."""
    ann = tmp_path / 'train.csv'
    ann.write_text(
        'vid_a,0902,0.100,0.200,0.300,0.600,1,0\n'
        'vid_a,0902,0.100,0.200,0.300,0.600,4,0\n'
        'vid_a,0902,0.500,0.100,0.900,0.900,2,1\n'
        'vid_a,0903,0.100,0.200,0.300,0.600,1,0\n'
        'vid_b,0902,0.000,0.000,1.000,1.000,3,0\n'   # id 3 not in label map
        'vid_b,0904,0.200,0.200,0.400,0.800,2,5\n')
    labels = tmp_path / 'labels.pbtxt'
    labels.write_text(LABEL_MAP)
    excl = tmp_path / 'excluded.csv'
    excl.write_text('vid_a,0903\n')
    proposals = {
        'vid_a,0902': np.array([[0.1, 0.2, 0.3, 0.6, 0.99],
                                [0.5, 0.1, 0.9, 0.9, 0.95],
                                [0.0, 0.0, 0.2, 0.2, 0.30]], np.float32),
        'vid_b,0904': np.array([[0.2, 0.2, 0.4, 0.8, 0.5]], np.float32),
    }
    prop = tmp_path / 'proposals.pkl'
    prop.write_bytes(pickle.dumps(proposals))
    return dict(ann_file=str(ann), label_file=str(labels),
                exclude_file=str(excl), proposal_file=str(prop),
                root=tmp_path)
