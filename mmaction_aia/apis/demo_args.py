"""Command-line options shared by the video and stream demos.

The defaults need nothing downloaded: the Quick start's synthetic config
and checkpoint, and the HOG person detector.
"""
import argparse
import os.path as osp
from typing import Optional, Tuple

from .inference import ActionPredictor, init_detector, resolve_label_names
from .person_detectors import build_person_detector

DEFAULT_CONFIG = ('configs/detection/synthetic/'
                  'slowonly_tiny_r18_8x4x1_synthetic_ava_rgb.py')
DEFAULT_CHECKPOINT = ('work_dirs/slowonly_tiny_r18_8x4x1_synthetic_ava_rgb/'
                      'epoch_15.pth')
#: the repository root of a source checkout (editable install)
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def add_model_args(parser: argparse.ArgumentParser) -> None:
    """``--config``, ``--checkpoint``, ``--label-map``, thresholds, device.
    """
    group = parser.add_argument_group('action model')
    group.add_argument('--config', default=DEFAULT_CONFIG,
                       help='action detector config (default: the Quick '
                       'start synthetic config)')
    group.add_argument('--checkpoint', default=DEFAULT_CHECKPOINT,
                       help='its weights (default: the Quick start\'s '
                       'epoch_15.pth)')
    group.add_argument('--label-map', help='class names: a pbtxt label map '
                       'or "<id> <name>" lines (default: the config\'s '
                       'label_file, else the checkpoint\'s class names)')
    group.add_argument('--action-score-thr', type=float, default=0.4,
                       help='keep actions scoring at least this')
    group.add_argument('--top-k', type=int, default=3,
                       help='actions drawn per person')
    group.add_argument('--device', default='cpu',
                       help='cpu, cuda or cuda:N')


def add_detector_args(parser: argparse.ArgumentParser) -> None:
    """Person detector options (``--det-*``)."""
    group = parser.add_argument_group(
        'person detector (default: HOG, no weights needed)')
    group.add_argument('--det-checkpoint', help='local weights of a '
                       'torchvision detector (COCO classes): selects '
                       'TorchvisionPersonDetector; never downloaded')
    group.add_argument('--det-config', default='fasterrcnn_resnet50_fpn',
                       help='torchvision arch of --det-checkpoint, or a '
                       'Python config file with person_detector=dict('
                       'type=..., ...) for any registered detector')
    group.add_argument('--det-score-thr', type=float, default=None,
                       help='minimum person score (default: the '
                       "detector's own: HOG 0.6, torchvision 0.5)")
    group.add_argument('--det-proposals', help='precomputed person boxes '
                       '(proposals pkl: {"video_id,%%04d": [k, 5]}): '
                       'selects PrecomputedPersonDetector')
    group.add_argument('--det-objects', help='precomputed object boxes (same '
                       'format) with --det-proposals')
    group.add_argument('--timestamp-start', type=float, default=0.0,
                       help='second of the first frame (AVA segments and '
                       'the synthetic videos: 900), for --det-proposals '
                       'keys and the output timestamps')


def _resolve(path: str) -> str:
    """``path`` as given, else relative to the repository root."""
    if osp.isabs(path) or osp.exists(path):
        return path
    candidate = osp.join(REPO_ROOT, path)
    return candidate if osp.exists(candidate) else path


def detector_cfg(args: argparse.Namespace) -> Optional[dict]:
    """The person detector config the ``--det-*`` options select."""
    cfg = None
    if args.det_config.endswith('.py'):
        from mmengine.config import Config
        loaded = Config.fromfile(_resolve(args.det_config))
        if 'person_detector' not in loaded:
            raise KeyError(f'{args.det_config}: expected a person_detector '
                           '= dict(type=..., ...) entry')
        cfg = dict(loaded['person_detector'])
    elif args.det_proposals:
        cfg = dict(type='PrecomputedPersonDetector',
                   proposal_file=args.det_proposals,
                   object_file=args.det_objects,
                   timestamp_start=args.timestamp_start)
    elif args.det_checkpoint:
        cfg = dict(type='TorchvisionPersonDetector',
                   checkpoint=args.det_checkpoint, arch=args.det_config,
                   device=args.device)
    if args.det_score_thr is not None:
        cfg = cfg or dict(type='HOGPersonDetector')
        cfg['score_thr'] = args.det_score_thr
    return cfg


def build_from_args(args: argparse.Namespace) -> Tuple[object,
                                                       ActionPredictor]:
    """The person detector and action predictor the options ask for.

    Raises:
        FileNotFoundError: naming the missing config or checkpoint, and
            how to produce the default checkpoint.
    """
    config = _resolve(args.config)
    checkpoint = _resolve(args.checkpoint)
    if not osp.isfile(config):
        raise FileNotFoundError(f'config not found: {args.config}')
    if not osp.isfile(checkpoint):
        hint = (' It is made by the Quick start (README.md): python '
                f'tools/train.py {DEFAULT_CONFIG} --validate (about 11 min '
                'on 2 CPU cores); or pass --checkpoint.'
                if args.checkpoint == DEFAULT_CHECKPOINT else '')
        raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}.'
                                + hint)
    model = init_detector(config, checkpoint, device=args.device)
    predictor = ActionPredictor(
        model, resolve_label_names(model, args.label_map),
        score_thr=args.action_score_thr)
    return build_person_detector(detector_cfg(args)), predictor

