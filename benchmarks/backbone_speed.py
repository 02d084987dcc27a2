"""Backbone speed: our fast inference path against mmaction2 1.2.0's own
backbone in its default layout (fp32, contiguous), measured in one run.

Models: SlowFast-R50 8x8 (32 frames) and SlowOnly-R50 4x16 (4 frames), the
AVA configs' backbones, on 1 clip of 256x256 by default. The reference is
mmaction2's class (loaded as tests/models/test_mmaction2_compat.py does;
``pip install --no-deps mmaction2==1.2.0 mmcv-lite==2.1.0``) with the same
random weights. Variants of ours:

* ``fast fp32``: channels_last_3d + oneDNN conv3d (``FastInference`` with
  ``autocast_dtype=None``; the default on CPUs without AMX)
* ``fast bf16``: the same under bf16 autocast (fp16 on CUDA)

Rounds are interleaved (ref, variants, ref, ...) so load from other
processes hits all alike; the table gives the median wall time, the
process CPU time per call, the ratio of median wall times against the
reference, and the max abs / relative (to the output's max) difference of
each output against the reference's fp32 output.

Usage::

    python benchmarks/backbone_speed.py
    python benchmarks/backbone_speed.py --models slowfast --rounds 7
    python benchmarks/backbone_speed.py --device cuda
"""
import argparse
import copy
import importlib.util
import statistics
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional

import torch

from mmaction_aia.models.backbones import ResNet3dSlowFast, ResNet3dSlowOnly
from mmaction_aia.models.fast_inference import FastInference
from mmaction_aia.utils.model_checks import as_tuple, randomize_batchnorm

ROOT = Path(__file__).resolve().parents[1]


def _compat_module():
    spec = importlib.util.spec_from_file_location(
        'compat_test', ROOT / 'tests/models/test_mmaction2_compat.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _models(compat) -> Dict[str, tuple]:
    """name -> (our class, config, frames)."""
    slowfast_8x8 = copy.deepcopy(compat.SLOWFAST_R50_AVA)
    slowfast_8x8.update(resample_rate=4, speed_ratio=4)
    slowfast_8x8['slow_pathway']['fusion_kernel'] = 7
    return {
        'slowfast': (ResNet3dSlowFast, slowfast_8x8, 32),
        'slowonly': (ResNet3dSlowOnly, compat.SLOWONLY_R50_AVA, 4),
    }


def _trained_like(model: torch.nn.Module) -> torch.nn.Module:
    """Kaiming init, then BN scales and statistics like a trained network
    (every residual branch active, activations of moderate size)."""
    torch.manual_seed(0)
    model.init_weights()
    return randomize_batchnorm(model, scale=(0.2, 0.6), shift=0.1,
                               seed=None)


def _sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def _bench(runs: Dict[str, Callable], device: str, rounds: int
           ) -> Dict[str, Dict[str, float]]:
    """Interleaved rounds after one warm-up call each."""
    wall: Dict[str, List[float]] = {name: [] for name in runs}
    cpu: Dict[str, List[float]] = {name: [] for name in runs}
    for fn in runs.values():
        fn()
    for _ in range(rounds):
        for name, fn in runs.items():
            _sync(device)
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            _sync(device)
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    return {name: dict(wall=statistics.median(wall[name]),
                       cpu=statistics.median(cpu[name]))
            for name in runs}


def benchmark(name: str, compat, args) -> None:
    our_cls, cfg, frames = _models(compat)[name]
    device = args.device
    ours = _trained_like(our_cls(**copy.deepcopy(cfg))).to(device)
    theirs = getattr(compat._load_oracle(), our_cls.__name__)(
        **copy.deepcopy(cfg))
    theirs.load_state_dict(ours.state_dict())
    theirs.to(device).eval()  # mmaction2's train() returns None
    x = torch.randn(args.batch, 3, frames, args.size, args.size,
                    generator=torch.Generator().manual_seed(1)).to(device)

    low, short = (('float16', 'fp16') if device.startswith('cuda') else
                  ('bfloat16', 'bf16'))
    fast = {
        'ours fast fp32': FastInference(autocast_dtype=None),
        f'ours fast {short}': FastInference(autocast_dtype=low),
    }
    fast_models = {key: copy.deepcopy(ours) for key in fast}

    def make(key: str) -> Callable:
        return lambda: fast[key].run(fast_models[key], fast_models[key], x)

    runs = {'mmaction2 1.2.0 fp32': lambda: theirs(x)}
    runs.update({key: make(key) for key in fast})
    with torch.no_grad():
        reference = as_tuple(theirs(x))
        diffs = {}
        for key, fn in runs.items():
            outs = as_tuple(fn())
            diffs[key] = (
                max((o.float() - r).abs().max().item()
                    for o, r in zip(outs, reference)),
                max(((o.float() - r).abs().max() / r.abs().max()).item()
                    for o, r in zip(outs, reference)))
        results = _bench(runs, device, args.rounds)

    ref = results['mmaction2 1.2.0 fp32']
    print(f'\n{name}: input {tuple(x.shape)} on {device}, '
          f'{torch.get_num_threads()} threads, {args.rounds} rounds')
    print(f'  {"variant":24s} {"wall ms":>9s} {"cpu ms":>9s} '
          f'{"speed-up":>8s} {"max abs":>9s} {"max rel":>9s}')
    for key, res in results.items():
        print(f'  {key:24s} {res["wall"] * 1e3:9.1f} {res["cpu"] * 1e3:9.1f}'
              f' {ref["wall"] / res["wall"]:7.2f}x {diffs[key][0]:9.2e}'
              f' {diffs[key][1]:9.2e}')


def main(argv: Optional[list] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--models', nargs='+', default=['slowfast',
                                                        'slowonly'],
                        choices=['slowfast', 'slowonly'])
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--size', type=int, default=256)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--threads', type=int, default=None,
        help='torch CPU threads (default: torch\'s choice); 1 gives stable '
        'ratios on a machine shared with other jobs')
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    compat = _compat_module()
    for name in args.models:
        benchmark(name, compat, args)


if __name__ == '__main__':
    main()
