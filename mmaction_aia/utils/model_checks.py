"""Helpers for checking models against references (tests and benchmarks).

Randomly initialised networks have BatchNorm layers at the identity
(scale 1, shift 0, mean 0, variance 1), which hides mistakes in anything that
folds or reorders them and gives activations unlike a trained network's.
"""
from typing import Optional, Tuple

import torch


def as_tuple(out) -> tuple:
    """A model output as a tuple (one tensor, or a tuple / list of them)."""
    return tuple(out) if isinstance(out, (tuple, list)) else (out, )


def randomize_batchnorm(model: torch.nn.Module,
                        scale: Tuple[float, float] = (0.3, 1.0),
                        shift: float = 0.2,
                        variance: Tuple[float, float] = (0.5, 1.5),
                        seed: Optional[int] = 0) -> torch.nn.Module:
    """Give every BatchNorm non-trivial affine parameters and statistics.

    Args:
        model (nn.Module): Changed in place and returned in eval mode.
        scale (tuple[float, float]): Range of the BN weights.
        shift (float): BN biases and running means are drawn from
            ``[-shift, shift]``.
        variance (tuple[float, float]): Range of the running variances.
        seed (int, optional): Seed of the draws; None draws from the
            current random state.
    """
    if seed is not None:
        torch.manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                module.weight.uniform_(*scale)
                module.bias.uniform_(-shift, shift)
                module.running_mean.uniform_(-shift, shift)
                module.running_var.uniform_(*variance)
    return model.eval()
