"""Backbone forward speed, as ratios against a reference in the same run.

Reference: mmaction2 1.2.0's own implementation of the same config (loaded
as in tests/models/test_mmaction2_compat.py; needs ``mmaction2==1.2.0`` and
``mmcv-lite==2.1.0``). If it is not installed, our fp32 contiguous model is
the reference. Variants: ours fp32, ours channels_last_3d, ours under
autocast (bf16 on CPU, fp16 on CUDA).

Usage::

    python benchmarks/backbone_speed.py --model slowonly_nl --batch 2
    python benchmarks/backbone_speed.py --model slowfast --device cuda
"""
import argparse
import copy
import importlib.util
import time
from pathlib import Path
from typing import Callable, Dict, Optional

import torch

from mmaction_aia.models.backbones import ResNet3dSlowFast, ResNet3dSlowOnly

ROOT = Path(__file__).resolve().parents[1]


def _configs() -> Dict[str, tuple]:
    spec = importlib.util.spec_from_file_location(
        'compat_test', ROOT / 'tests/models/test_mmaction2_compat.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, {
        'slowfast': (ResNet3dSlowFast, module.SLOWFAST_R50_AVA, 32),
        'slowonly': (ResNet3dSlowOnly, module.SLOWONLY_R50_AVA, 4),
        'slowonly_nl': (ResNet3dSlowOnly, module.SLOWONLY_R50_NL_AVA, 4),
    }


def _time(fn: Callable[[], object], device: str, repeats: int) -> float:
    """Median seconds per call after two warm-up calls."""
    times = []
    for i in range(repeats + 2):
        if device == 'cuda':
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device == 'cuda':
            torch.cuda.synchronize()
        if i >= 2:
            times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main(argv: Optional[list] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--model', default='slowonly_nl',
                        choices=['slowfast', 'slowonly', 'slowonly_nl'])
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--size', type=int, default=128)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--device', default='cpu')
    args = parser.parse_args(argv)

    compat, configs = _configs()
    our_cls, cfg, frames = configs[args.model]
    device = args.device
    x = torch.randn(args.batch, 3, frames, args.size, args.size,
                    device=device)
    ours = our_cls(**copy.deepcopy(cfg)).to(device).eval()

    runs = {}
    try:
        oracle = compat._load_oracle()
        theirs = getattr(oracle, our_cls.__name__)(**copy.deepcopy(cfg))
        theirs.load_state_dict(ours.state_dict())
        theirs.to(device).eval()  # mmaction2's train() returns None
        runs['mmaction2 1.2.0 fp32'] = (theirs, x, False)
    except (AssertionError, ImportError) as err:
        print(f'mmaction2 reference unavailable ({err}); using ours fp32')
    runs['ours fp32'] = (ours, x, False)
    runs['ours channels_last_3d'] = (
        copy.deepcopy(ours).to(memory_format=torch.channels_last_3d),
        x.contiguous(memory_format=torch.channels_last_3d), False)
    runs['ours autocast'] = (ours, x, True)

    amp_dtype = torch.float16 if device == 'cuda' else torch.bfloat16
    results = {}
    for name, (model, inputs, amp) in runs.items():

        def step(model=model, inputs=inputs, amp=amp):
            with torch.no_grad(), torch.autocast(
                    device.split(':')[0], dtype=amp_dtype, enabled=amp):
                return model(inputs)

        results[name] = _time(step, device, args.repeats)

    reference = next(iter(results.values()))
    print(f'{args.model} input {tuple(x.shape)} on {device} '
          f'({torch.get_num_threads()} threads)')
    for name, seconds in results.items():
        print(f'  {name:26s} {seconds * 1e3:9.1f} ms  '
              f'x{reference / seconds:5.2f} vs {next(iter(results))}')


if __name__ == '__main__':
    main()
