"""Parameters and FLOPs per clip of a config's detector.

    python tools/analysis/get_flops.py CONFIG [--shape T H W | --shape H W]
        [--num-rois 8] [--cfg-options k=v ...] [--json out.json]

The clip length defaults to the test pipeline's ``SampleAVAFrames``
``clip_len`` and the frame size to 256x256. Counting runs the model once on
CPU under ``torch.utils.flop_counter.FlopCounterMode`` (convolutions and
matrix products; element-wise operations are not counted). FLOPs are
``2 x`` multiply-accumulates (GMACs are printed too: mmaction2's
get_flops, built on fvcore-style counters, reports MACs as "FLOPs").
"""
import argparse
import json
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.config import DictAction
from mmengine.structures import InstanceData
from torch.utils.flop_counter import FlopCounterMode

from mmaction_aia.engine.runner_setup import load_config
from mmaction_aia.registry import MODELS
from mmaction_aia.structures import ActionDataSample


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Command-line arguments (see the module docstring).

    Args:
        argv (list[str], optional): Arguments; None reads ``sys.argv``.
    """
    parser = argparse.ArgumentParser(description='Count params and FLOPs')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--shape', type=int, nargs='+', default=None,
        help='clip shape: T H W, or H W (T from the test pipeline)')
    parser.add_argument('--num-rois', type=int, default=8,
                        help='person proposals per clip for the RoI head')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings, e.g. model.backbone.depth=101')
    parser.add_argument('--json', help='also write the numbers here')
    return parser.parse_args(argv)


def clip_shape(cfg, shape: Optional[Sequence[int]]) -> tuple:
    """``(T, H, W)`` from ``--shape`` and the config's test pipeline."""
    if shape is not None and len(shape) == 3:
        return tuple(shape)
    if shape is not None and len(shape) != 2:
        raise ValueError(f'--shape {shape}: expected T H W or H W')
    height, width = shape if shape else (256, 256)
    loader = cfg.get('test_dataloader') or cfg.get('val_dataloader')
    pipeline = loader.dataset.pipeline if loader else []
    samplers = [t for t in pipeline if t.get('type') == 'SampleAVAFrames']
    if not samplers:
        raise ValueError('the config has no SampleAVAFrames in its test '
                         'pipeline: give the clip length with --shape T H W')
    return samplers[0]['clip_len'], height, width


def _data_sample(height: int, width: int, num_rois: int) -> ActionDataSample:
    sample = ActionDataSample(metainfo=dict(img_shape=(height, width)))
    gen = torch.Generator().manual_seed(0)
    xy = torch.rand(num_rois, 2, generator=gen) * 0.5
    wh = torch.rand(num_rois, 2, generator=gen) * 0.4 + 0.1
    boxes = torch.cat([xy, xy + wh], 1) * torch.tensor(
        [width, height, width, height])
    sample.proposals = InstanceData(bboxes=boxes)
    return sample


def _millions(module: torch.nn.Module) -> float:
    return sum(p.numel() for p in module.parameters()) / 1e6


def count_complexity(cfg, shape: Sequence[int],
                     num_rois: int = 8) -> Dict[str, float]:
    """Parameters (millions) and GFLOPs of one clip of ``shape`` (T, H, W).

    Returns:
        dict: ``params_m``, ``backbone_params_m``, ``gflops`` (whole
        detector with ``num_rois`` proposals), ``backbone_gflops``,
        ``gmacs``, and the ``shape``.
    """
    model_cfg = cfg.model.copy()
    model_cfg.init_cfg = None  # no checkpoint download for counting
    model = MODELS.build(model_cfg).eval()
    clip_len, height, width = shape
    inputs = torch.zeros(1, 3, clip_len, height, width)
    with torch.no_grad():
        with FlopCounterMode(display=False) as backbone_counter:
            model.extract_feat(inputs)
        with FlopCounterMode(display=False) as counter:
            model(inputs, [_data_sample(height, width, num_rois)],
                  mode='predict')
    flops = counter.get_total_flops()
    return dict(shape=list(shape), num_rois=num_rois,
                params_m=_millions(model),
                backbone_params_m=_millions(model.backbone),
                gflops=flops / 1e9, gmacs=flops / 2e9,
                backbone_gflops=backbone_counter.get_total_flops() / 1e9)


def main(argv: Optional[List[str]] = None) -> Dict[str, float]:
    """Print (and optionally save as JSON) the counts; return them."""
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    shape = clip_shape(cfg, args.shape)
    result = count_complexity(cfg, shape, args.num_rois)
    line = '=' * 60
    print(f'{line}\nConfig: {args.config}\n'
          f'Input clip: 1x3x{shape[0]}x{shape[1]}x{shape[2]} '
          f'(N x C x T x H x W), {args.num_rois} proposals\n'
          f'Params: {result["params_m"]:.2f} M '
          f'(backbone {result["backbone_params_m"]:.2f} M)\n'
          f'FLOPs: {result["gflops"]:.2f} G per clip '
          f'({result["gmacs"]:.2f} GMACs; backbone '
          f'{result["backbone_gflops"]:.2f} GFLOPs)\n{line}')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == '__main__':
    main()
