"""Geometric transforms that move images and boxes together (mmaction2 1.x
``Resize``, ``RandomRescale``, ``RandomCrop``, ``Flip``).

Images are a list of ``H x W x C`` arrays in ``results['imgs']``; boxes are
pixel x1, y1, x2, y2 arrays under :data:`~.base.BOX_KEYS`. Only eager
(``lazy=False``) operation is supported: lazy ``Fuse`` pipelines cannot
carry boxes in mmaction2 either.
"""
from typing import Sequence, Tuple, Union

import cv2
import numpy as np

from mmaction_aia.registry import TRANSFORMS

from .base import BaseTransform, map_boxes

INTERPOLATIONS = {
    'nearest': cv2.INTER_NEAREST,
    'bilinear': cv2.INTER_LINEAR,
    'bicubic': cv2.INTER_CUBIC,
    'area': cv2.INTER_AREA,
    'lanczos': cv2.INTER_LANCZOS4,
}


def _check_interpolation(interpolation: str) -> str:
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f'interpolation must be one of '
                         f'{sorted(INTERPOLATIONS)}, got {interpolation!r}')
    return interpolation


def _check_not_lazy(transform: str, lazy: bool) -> None:
    if lazy:
        raise ValueError(
            f'{transform}(lazy=True) is not supported by mmaction-aia '
            '(lazy ops cannot move boxes); use lazy=False.')


def _img_shape(results: dict) -> Tuple[int, int]:
    if 'img_shape' not in results:
        results['img_shape'] = tuple(results['imgs'][0].shape[:2])
    return results['img_shape']


def rescale_size(old_size: Tuple[int, int],
                 scale: Union[float, Tuple[float, float]]) -> Tuple[int, int]:
    """Size ``(w, h)`` of an image rescaled keeping its aspect ratio.

    Same rule as ``mmcv.rescale_size``: a number scales both sides; a pair
    makes the image as large as possible with its long side at most
    ``max(scale)`` and its short side at most ``min(scale)``.

    Args:
        old_size (tuple[int, int]): ``(w, h)`` of the image.
        scale (float | tuple[float, float]): Factor or edge limits.
    """
    width, height = old_size
    if isinstance(scale, (int, float)):
        factor = float(scale)
    else:
        factor = min(max(scale) / max(height, width),
                     min(scale) / min(height, width))
    return int(width * factor + 0.5), int(height * factor + 0.5)


@TRANSFORMS.register_module()
class Resize(BaseTransform):
    """Resize all frames and boxes to one size (mmaction2 semantics).

    With ``keep_ratio=True`` a float ``scale`` is a factor and a pair is the
    (long, short) edge limit of :func:`rescale_size`; ``(-1, 256)`` means
    "short side 256". With ``keep_ratio=False`` the pair is the output
    ``(w, h)``. ``scale_factor`` accumulates ``[sx, sy]`` over resizes.

    Required keys: ``imgs`` (optional), ``img_shape`` (or ``imgs``).
    Added or modified keys: ``imgs``, ``img_shape``, ``keep_ratio``,
    ``scale_factor``, ``gt_bboxes``, ``proposals``, ``objects``.

    Args:
        scale (float | tuple[int, int]): Factor, edge limits or ``(w, h)``.
        keep_ratio (bool): Keep the aspect ratio. Defaults to True.
        interpolation (str): ``'bilinear'``, ``'nearest'``, ``'bicubic'``,
            ``'area'`` or ``'lanczos'``. Defaults to ``'bilinear'``.
        lazy (bool): Must be False (kept for config compatibility).
    """

    _repr_fields = ('scale', 'keep_ratio', 'interpolation', 'lazy')

    def __init__(self, scale: Union[float, Sequence[int]],
                 keep_ratio: bool = True, interpolation: str = 'bilinear',
                 lazy: bool = False) -> None:
        _check_not_lazy('Resize', lazy)
        if isinstance(scale, (int, float)) and not isinstance(scale, bool):
            if scale <= 0:
                raise ValueError(f'Resize scale must be positive, got {scale}')
            if not keep_ratio:
                raise ValueError('Resize with keep_ratio=False needs a '
                                 f'(w, h) scale, got {scale}')
            scale = float(scale)
        elif isinstance(scale, (tuple, list)) and len(scale) == 2:
            scale = tuple(scale)
            if min(scale) == -1:
                # The long edge is unbounded: only the short edge counts.
                scale = (np.inf, max(scale))
        else:
            raise TypeError(f'Resize scale must be a number or a pair, got '
                            f'{scale!r}')
        self.scale = scale
        self.keep_ratio = keep_ratio
        self.interpolation = _check_interpolation(interpolation)
        self.lazy = lazy

    def _new_size(self, img_h: int, img_w: int) -> Tuple[int, int]:
        if self.keep_ratio:
            return rescale_size((img_w, img_h), self.scale)
        return int(self.scale[0]), int(self.scale[1])

    def transform(self, results: dict) -> dict:
        img_h, img_w = _img_shape(results)
        new_w, new_h = self._new_size(img_h, img_w)
        factor = np.array([new_w / img_w, new_h / img_h], dtype=np.float32)

        results['img_shape'] = (new_h, new_w)
        results['keep_ratio'] = self.keep_ratio
        results['scale_factor'] = results.get(
            'scale_factor', np.ones(2, dtype=np.float32)) * factor
        if 'imgs' in results and (new_h, new_w) != (img_h, img_w):
            flag = INTERPOLATIONS[self.interpolation]
            results['imgs'] = [
                cv2.resize(img, (new_w, new_h), interpolation=flag)
                for img in results['imgs']
            ]
        box_factor = np.tile(factor, 2)
        map_boxes(results, lambda boxes: boxes * box_factor)
        return results


@TRANSFORMS.register_module()
class RandomRescale(BaseTransform):
    """Resize so that the short edge is a random length in a closed range.

    Each call draws ``short_edge`` uniformly from ``scale_range`` (both ends
    included) and applies ``Resize((-1, short_edge))``.

    Added or modified keys: those of :class:`Resize` and ``short_edge``.

    Args:
        scale_range (tuple[int, int]): Smallest and largest short edge.
        interpolation (str): As in :class:`Resize`. Defaults to
            ``'bilinear'``.
    """

    _repr_fields = ('scale_range', 'interpolation')

    def __init__(self, scale_range: Sequence[int],
                 interpolation: str = 'bilinear') -> None:
        scale_range = tuple(scale_range)
        if (len(scale_range) != 2
                or not all(isinstance(x, int) and x > 0 for x in scale_range)
                or scale_range[0] >= scale_range[1]):
            raise ValueError('scale_range must be two positive ints (low, '
                             f'high) with low < high, got {scale_range!r}')
        self.scale_range = scale_range
        self.keep_ratio = True
        self.interpolation = _check_interpolation(interpolation)

    def transform(self, results: dict) -> dict:
        short_edge = int(np.random.randint(self.scale_range[0],
                                           self.scale_range[1] + 1))
        resize = Resize((-1, short_edge), keep_ratio=True,
                        interpolation=self.interpolation)
        results = resize(results)
        results['short_edge'] = short_edge
        return results


def _random_offset(side: int, size: int) -> int:
    # randint's exclusive high, as in mmaction2: the last offset is unused.
    return int(np.random.randint(0, side - size)) if side > size else 0


@TRANSFORMS.register_module()
class RandomCrop(BaseTransform):
    """Crop a random ``size x size`` square from all frames (mmaction2).

    The offsets are drawn with ``randint(0, side - size)`` per axis (0 when
    the side equals ``size``). Boxes are shifted by the crop origin and
    clipped to ``[0, size - 1]``. ``crop_quadruple`` (x, y, w, h of the
    crop as fractions of the original frame) is composed with the previous
    one, so predictions can be mapped back to the original frame:
    ``orig = crop_xy + box / img_shape * crop_wh``.

    Required keys: ``img_shape`` (or ``imgs``), ``imgs`` (optional).
    Added or modified keys: ``imgs``, ``img_shape``, ``crop_bbox``,
    ``crop_quadruple``, ``gt_bboxes``, ``proposals``, ``objects``.

    Args:
        size (int): Side of the square crop.
        lazy (bool): Must be False (kept for config compatibility).
    """

    _repr_fields = ('size', 'lazy')

    def __init__(self, size: int, lazy: bool = False) -> None:
        _check_not_lazy('RandomCrop', lazy)
        if not isinstance(size, int):
            raise TypeError(f'RandomCrop size must be an int, got {size!r}')
        self.size = size
        self.lazy = lazy

    def transform(self, results: dict) -> dict:
        img_h, img_w = _img_shape(results)
        if self.size > img_h or self.size > img_w:
            raise ValueError(f'RandomCrop size {self.size} is larger than '
                             f'the image ({img_h} x {img_w})')
        y_off = _random_offset(img_h, self.size)
        x_off = _random_offset(img_w, self.size)
        crop_bbox = np.array(
            [x_off, y_off, x_off + self.size, y_off + self.size])
        apply_crop(results, crop_bbox)
        return results


def apply_crop(results: dict, crop_bbox: np.ndarray) -> None:
    """Crop images and boxes to ``crop_bbox`` and update ``crop_quadruple``.

    Args:
        results (dict): The results dict (modified in place).
        crop_bbox (np.ndarray): Integer pixel ``[x1, y1, x2, y2]``.
    """
    img_h, img_w = _img_shape(results)
    x1, y1, x2, y2 = (int(v) for v in crop_bbox)
    new_w, new_h = x2 - x1, y2 - y1

    old_x, old_y, old_w, old_h = results.get(
        'crop_quadruple', np.array([0, 0, 1, 1], dtype=np.float32))
    results['crop_quadruple'] = np.array([
        old_x + x1 / img_w * old_w, old_y + y1 / img_h * old_h,
        new_w / img_w * old_w, new_h / img_h * old_h
    ], dtype=np.float32)
    results['crop_bbox'] = np.asarray(crop_bbox)
    results['img_shape'] = (new_h, new_w)
    if 'imgs' in results:
        results['imgs'] = [img[y1:y2, x1:x2] for img in results['imgs']]

    def crop_boxes(boxes: np.ndarray) -> np.ndarray:
        cropped = boxes.copy()
        cropped[:, 0::2] = np.clip(boxes[:, 0::2] - x1, 0, new_w - 1)
        cropped[:, 1::2] = np.clip(boxes[:, 1::2] - y1, 0, new_h - 1)
        return cropped

    map_boxes(results, crop_boxes)


@TRANSFORMS.register_module()
class Flip(BaseTransform):
    """Flip all frames and boxes with probability ``flip_ratio``.

    Boxes follow mmaction2's convention ``x1' = W - x2, x2' = W - x1``
    (``y`` likewise for vertical flips), so flipping twice is the identity.
    ``flip`` and ``flip_direction`` are always set; put Flip after crops so
    that ``crop_quadruple`` stays in unflipped coordinates.

    Required keys: ``img_shape`` (or ``imgs``), ``imgs`` (optional).
    Added or modified keys: ``imgs``, ``flip``, ``flip_direction``,
    ``gt_bboxes``, ``proposals``, ``objects``.

    Args:
        flip_ratio (float): Probability of flipping. Defaults to 0.5.
        direction (str): ``'horizontal'`` or ``'vertical'``. Defaults to
            ``'horizontal'``.
        lazy (bool): Must be False (kept for config compatibility).
    """

    _repr_fields = ('flip_ratio', 'direction', 'lazy')
    _directions = ('horizontal', 'vertical')

    def __init__(self, flip_ratio: float = 0.5,
                 direction: str = 'horizontal', lazy: bool = False) -> None:
        _check_not_lazy('Flip', lazy)
        if direction not in self._directions:
            raise ValueError(f'Flip direction must be one of '
                             f'{self._directions}, got {direction!r}')
        self.flip_ratio = flip_ratio
        self.direction = direction
        self.lazy = lazy

    def transform(self, results: dict) -> dict:
        flip = bool(np.random.rand() < self.flip_ratio)
        results['flip'] = flip
        results['flip_direction'] = self.direction
        if not flip:
            return results

        img_h, img_w = _img_shape(results)
        horizontal = self.direction == 'horizontal'
        if 'imgs' in results:
            index = (slice(None), slice(None, None, -1)) if horizontal else (
                slice(None, None, -1), )
            results['imgs'] = [
                np.ascontiguousarray(img[index]) for img in results['imgs']
            ]
        start, extent = (0, img_w) if horizontal else (1, img_h)

        def flip_boxes(boxes: np.ndarray) -> np.ndarray:
            flipped = boxes.copy()
            flipped[:, start] = extent - boxes[:, start + 2]
            flipped[:, start + 2] = extent - boxes[:, start]
            return flipped

        map_boxes(results, flip_boxes)
        return results
