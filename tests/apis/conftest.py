"""Tiny assets for the apis and demo tests: a small random-weight action
detector built from the synthetic config, a short generated video and
proposals-format boxes for it."""
import os.path as osp
import pickle

import cv2
import numpy as np
import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SYNTHETIC_CONFIG = osp.join(
    REPO, 'configs/detection/synthetic/'
    'slowonly_tiny_r18_8x4x1_synthetic_ava_rgb.py')
#: shrink the Quick start model further: 4 base channels, head in 2 x 32
TINY_OPTIONS = {'model.backbone.base_channels': 4,
                'model.roi_head.bbox_head.in_channels': 64}
#: two moving "persons" of the tiny video, normalised boxes per second
PERSON_BOXES = np.array([[0.1, 0.2, 0.3, 0.9, 0.95],
                         [0.6, 0.1, 0.8, 0.8, 0.90]], np.float32)


def write_video(path: str, num_frames: int = 48, size=(80, 60),
                fps: float = 30.0) -> str:
    """An MJPG AVI of moving rectangles (readable by any OpenCV build)."""
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'MJPG'), fps,
                             size)
    assert writer.isOpened()
    width, height = size
    for index in range(num_frames):
        frame = np.full((height, width, 3), 90, np.uint8)
        for box in PERSON_BOXES:
            x1, y1, x2, y2 = (box[:4] * [width, height, width, height]
                              ).astype(int)
            shift = index % 5
            cv2.rectangle(frame, (x1 + shift, y1), (x2 + shift, y2),
                          (40, 160, 220), -1)
        writer.write(frame)
    writer.release()
    return path


@pytest.fixture(scope='session')
def tiny_model_files(tmp_path_factory):
    """(config path, random-init checkpoint path) of a tiny detector."""
    from mmaction_aia.apis import init_detector
    root = tmp_path_factory.mktemp('tiny_model')
    torch.manual_seed(0)
    model = init_detector(SYNTHETIC_CONFIG, None, cfg_options=TINY_OPTIONS)
    model.cfg.dump(str(root / 'tiny.py'))
    checkpoint = root / 'tiny.pth'
    classes = [f'class{i}' for i in range(1, 15)]
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=dict(
                        classes=classes, class_ids=list(range(1, 15))))),
               str(checkpoint))
    return str(root / 'tiny.py'), str(checkpoint)


@pytest.fixture(scope='session')
def tiny_video(tmp_path_factory):
    """A 48-frame 80x60 30 fps video and its proposals pkl (id 'tiny')."""
    root = tmp_path_factory.mktemp('tiny_video')
    video = write_video(str(root / 'tiny.avi'))
    proposals = {f'tiny,{second:04d}': PERSON_BOXES for second in range(3)}
    proposal_file = root / 'proposals.pkl'
    proposal_file.write_bytes(pickle.dumps(proposals))
    return video, str(proposal_file)
