"""HOG people detection in PyTorch, equal to OpenCV's ``HOGDescriptor``.

OpenCV 5 dropped HOG from its main modules, so the descriptor is computed
here with OpenCV 4's default parameters (64x128 window, 16x16 blocks at
stride 8, 8x8 cells, 9 unsigned orientation bins, square-root gamma,
Gaussian block weighting with trilinear interpolation, L2-Hys) and the
same feature order, and scored with OpenCV's default people SVM
(:mod:`.hog_people_svm`). Every step is a tensor op: the block histograms
are one grouped convolution with stride 8 and the SVM another convolution,
so a whole pyramid level is scored at once.
"""
import math
from typing import Tuple

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from .hog_people_svm import people_svm

WIN_W, WIN_H = 64, 128
CELL, BLOCK, NBINS = 8, 16, 9
#: blocks per window (x, y)
WIN_BLOCKS = ((WIN_W - BLOCK) // CELL + 1, (WIN_H - BLOCK) // CELL + 1)


def _block_kernels() -> torch.Tensor:
    """``[4, 16, 16]`` weights of each pixel of a block for its 4 cells.

    Cell ``cx * 2 + cy`` (OpenCV's order); Gaussian of sigma 4 around the
    block centre times the bilinear weight of the pixel to the cell centre.
    """
    pos = torch.arange(BLOCK, dtype=torch.float64)
    sigma = BLOCK / 4  # OpenCV's winSigma: (16 + 16) / 8
    gauss_1d = torch.exp(-(pos - BLOCK / 2)**2 / (2 * sigma**2))
    cell = (pos + 0.5) / CELL - 0.5
    lower = torch.floor(cell)
    frac = cell - lower
    # weight of each pixel position for cell 0 and cell 1 of its axis
    axis = torch.zeros(2, BLOCK, dtype=torch.float64)
    for index in (0, 1):
        axis[index] += torch.where(lower == index, 1 - frac, 0)
        axis[index] += torch.where(lower + 1 == index, frac, 0)
    kernels = [
        torch.outer(gauss_1d * axis[cy], gauss_1d * axis[cx])
        for cx in (0, 1) for cy in (0, 1)
    ]
    return torch.stack(kernels).float()


def orientation_maps(image: np.ndarray) -> torch.Tensor:
    """``[9, H, W]`` gradient magnitude split between orientation bins.

    Args:
        image (np.ndarray): ``[H, W, 3]`` or ``[H, W]`` uint8 image.
    """
    pixels = torch.from_numpy(np.ascontiguousarray(image)).float().sqrt()
    pixels = pixels.reshape(pixels.shape[0], pixels.shape[1], -1)
    pixels = pixels.permute(2, 0, 1)[None]
    padded = F.pad(pixels, (1, 1, 1, 1), mode='reflect')[0]
    dx = padded[:, 1:-1, 2:] - padded[:, 1:-1, :-2]
    dy = padded[:, 2:, 1:-1] - padded[:, :-2, 1:-1]
    # per pixel, the first channel with the strongest gradient
    squared = dx * dx + dy * dy
    best_dx, best_dy, best = dx[0], dy[0], squared[0]
    for channel in range(1, len(squared)):
        stronger = squared[channel] > best
        best_dx = torch.where(stronger, dx[channel], best_dx)
        best_dy = torch.where(stronger, dy[channel], best_dy)
        best = torch.maximum(squared[channel], best)
    dx, dy, magnitude = best_dx, best_dy, best.sqrt()
    angle = torch.atan2(dy, dx).remainder(2 * math.pi)
    angle = angle * (NBINS / math.pi) - 0.5
    low = torch.floor(angle)
    frac = angle - low
    low = low.long().remainder(NBINS)
    maps = torch.zeros(NBINS, *magnitude.shape)
    maps.scatter_add_(0, low[None], (magnitude * (1 - frac))[None])
    maps.scatter_add_(0, ((low + 1) % NBINS)[None], (magnitude * frac)[None])
    return maps


class HOGFeatures:
    """Normalised HOG block features and OpenCV's people SVM as convolutions.

    Args:
        svm (np.ndarray, optional): 3781 SVM coefficients (3780 weights in
            OpenCV's descriptor order, then the bias); OpenCV's default
            people detector when omitted.
    """

    def __init__(self, svm: np.ndarray = None) -> None:
        svm = people_svm() if svm is None else np.asarray(svm, np.float32)
        kernels = _block_kernels()
        # grouped conv: output channel bin * 4 + cell
        self.block_weight = kernels.repeat(NBINS, 1, 1)[:, None]
        blocks_x, blocks_y = WIN_BLOCKS
        weights = torch.from_numpy(svm[:-1].copy()).view(
            blocks_x, blocks_y, 4 * NBINS)
        self.svm_weight = weights.permute(2, 1, 0)[None].contiguous()
        self.svm_bias = float(svm[-1])

    def blocks(self, image: np.ndarray) -> torch.Tensor:
        """``[36, By, Bx]`` L2-Hys normalised block histograms (stride 8)."""
        maps = orientation_maps(image)[None]
        hist = F.conv2d(maps, self.block_weight, stride=CELL, groups=NBINS)[0]
        # bin * 4 + cell  ->  cell * 9 + bin (OpenCV's order)
        hist = hist.view(NBINS, 4, *hist.shape[1:]).transpose(0, 1)
        hist = hist.reshape(4 * NBINS, *hist.shape[2:])
        hist = hist / (hist.norm(dim=0, keepdim=True) + 0.1 * 4 * NBINS)
        hist = hist.clamp(max=0.2)
        return hist / (hist.norm(dim=0, keepdim=True) + 1e-3)

    def window_descriptor(self, image: np.ndarray) -> np.ndarray:
        """The 3780-d descriptor of a 64x128 image (``HOGDescriptor.compute``
        of OpenCV 4 with its defaults)."""
        if image.shape[:2] != (WIN_H, WIN_W):
            raise ValueError(f'expected a {WIN_W}x{WIN_H} window, got '
                             f'{image.shape[1]}x{image.shape[0]}')
        return self.blocks(image).permute(2, 1, 0).reshape(-1).numpy()

    def score_map(self, image: np.ndarray) -> torch.Tensor:
        """SVM margins ``[Ny, Nx]`` of the windows at stride 8; window
        ``(i, j)`` covers ``x in [8j, 8j + 64)``, ``y in [8i, 8i + 128)``."""
        blocks = self.blocks(image)[None]
        return F.conv2d(blocks, self.svm_weight)[0, 0] + self.svm_bias


def detect_multiscale(features: HOGFeatures, image: np.ndarray,
                      scale: float = 1.05, hit_threshold: float = 0.0
                      ) -> Tuple[np.ndarray, np.ndarray]:
    """Windows scoring ``>= hit_threshold`` over an image pyramid.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``[N, 4]`` x1, y1, x2, y2 boxes in
        pixels of ``image`` and their ``[N]`` SVM margins.
    """
    if scale <= 1.0:
        raise ValueError(f'HOG pyramid scale must be > 1, got {scale}')
    height, width = image.shape[:2]
    boxes, margins = [], []
    level = 1.0
    while round(width / level) >= WIN_W and round(height / level) >= WIN_H:
        size = (round(width / level), round(height / level))
        resized = image if level == 1.0 else cv2.resize(
            image, size, interpolation=cv2.INTER_LINEAR)
        scores = features.score_map(resized)
        rows, cols = torch.nonzero(scores >= hit_threshold, as_tuple=True)
        if len(rows):
            x1 = cols.float() * CELL * level
            y1 = rows.float() * CELL * level
            boxes.append(torch.stack(
                [x1, y1, x1 + WIN_W * level, y1 + WIN_H * level], 1))
            margins.append(scores[rows, cols])
        level *= scale
    if not boxes:
        return np.zeros((0, 4), np.float32), np.zeros((0, ), np.float32)
    return torch.cat(boxes).numpy(), torch.cat(margins).numpy()
