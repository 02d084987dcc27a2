"""Tiny AIA assets for the online-memory tests: a random-weight AIA model
(serial P-O-M blocks, memory of 3 s) built from the synthetic AIA config,
and a few-second generated video with proposals for every second."""
import os.path as osp
import pickle

import pytest
import torch

from tests.apis.conftest import PERSON_BOXES, REPO, write_video

AIA_CONFIG = osp.join(
    REPO, 'configs/detection/synthetic/'
    'aia_serial_slowonly_tiny_r18_8x4x1_synthetic_ava_rgb.py')
#: 4 base channels, 64-channel head, small AIA; the AIA output is not
#: zero-initialised so that the memory changes the scores of a random model
AIA_TINY_OPTIONS = {
    'model.backbone.base_channels': 4,
    'model.roi_head.bbox_head.in_channels': 64,
    'model.roi_head.bbox_head.aia_channels': 64,
    'model.roi_head.bbox_head.mlp_channels': 32,
    'model.roi_head.aia.dim_inner': 16,
    'model.roi_head.aia.zero_init_out': False,
    'model.roi_head.memory.length': (3, 3),
}
#: seconds of the generated video (30 fps)
VIDEO_SECONDS = 4


@pytest.fixture(scope='session')
def aia_model_files(tmp_path_factory):
    """(config path, random-init checkpoint path) of a tiny AIA model."""
    from mmaction_aia.apis import init_detector
    root = tmp_path_factory.mktemp('tiny_aia')
    torch.manual_seed(0)
    model = init_detector(AIA_CONFIG, None, cfg_options=AIA_TINY_OPTIONS)
    # random temporal positions too (zero-initialised), so slots differ
    for block in model.roi_head.aia.blocks.values():
        for name, param in block.named_parameters():
            if name.startswith('temporal_position'):
                torch.nn.init.normal_(param, std=0.5)
    model.cfg.dump(str(root / 'aia.py'))
    torch.save(dict(state_dict=model.state_dict()), str(root / 'aia.pth'))
    return str(root / 'aia.py'), str(root / 'aia.pth')


@pytest.fixture(scope='session')
def aia_video(tmp_path_factory):
    """A 4 s 80x60 30 fps video (id 'online') and its proposals pkl, used
    for the objects too."""
    root = tmp_path_factory.mktemp('aia_video')
    video = write_video(str(root / 'online.avi'),
                        num_frames=30 * VIDEO_SECONDS)
    proposals = {f'online,{second:04d}': PERSON_BOXES
                 for second in range(VIDEO_SECONDS + 1)}
    proposal_file = root / 'proposals.pkl'
    proposal_file.write_bytes(pickle.dumps(proposals))
    return video, str(proposal_file)
