"""Shared pieces of the data pipeline: the transform base class, the error
raised for unreadable samples, file reading and the box-key helper."""
from abc import ABCMeta, abstractmethod
from typing import Callable, Optional, Tuple

import numpy as np

#: Results keys holding ``[N, 4]`` x1, y1, x2, y2 boxes that every geometric
#: transform must move together with the images. ``objects`` is ours (object
#: boxes for AIA's object interaction); the other two are mmaction2's.
BOX_KEYS: Tuple[str, ...] = ('gt_bboxes', 'proposals', 'objects')


class SampleLoadError(Exception):
    """A frame or video of one sample is missing, unreadable or corrupt.

    Raised by the loading transforms so that the dataset can log and skip
    the sample (its ``on_error`` policy) instead of crashing a long run.
    The message names the file and what was wrong with it.

    Args:
        path (str): The file (frame image or video) that failed.
        reason (str): What went wrong, e.g. ``'frame file not found'``.
    """

    def __init__(self, path: str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f'{reason}: {self.path}')

    def __reduce__(self):
        # Keep the two-argument constructor working across process
        # boundaries (DataLoader workers pickle exceptions).
        return (self.__class__, (self.path, self.reason))


class BaseTransform(metaclass=ABCMeta):
    """Base class of all data transforms (mmcv's ``BaseTransform`` API).

    A transform is called with the results dict of one sample and returns
    the (modified) dict. Subclasses implement :meth:`transform` and list the
    constructor arguments shown by ``repr`` in ``_repr_fields``.

    Args:
        (none): subclasses document their own constructor arguments.
    """

    _repr_fields: Tuple[str, ...] = ()

    def __call__(self, results: dict) -> Optional[dict]:
        return self.transform(results)

    @abstractmethod
    def transform(self, results: dict) -> Optional[dict]:
        """Transform the results dict of one sample and return it."""

    def __repr__(self) -> str:
        args = ', '.join(f'{name}={getattr(self, name)!r}'
                         for name in self._repr_fields)
        return f'{self.__class__.__name__}({args})'


def read_bytes(path: str, io_backend: str = 'disk',
               backend_kwargs: Optional[dict] = None) -> bytes:
    """Read a whole file through mmengine's file backends.

    Args:
        path (str): File path or URI.
        io_backend (str): ``'disk'`` or any mmengine backend name
            (``'petrel'``, ``'http'``, ...).
        backend_kwargs (dict, optional): Extra backend arguments.

    Raises:
        SampleLoadError: If the file does not exist or cannot be read.
    """
    try:
        if io_backend == 'disk' and not backend_kwargs:
            with open(path, 'rb') as f:
                return f.read()
        from mmengine import fileio
        backend_args = dict(backend=io_backend, **(backend_kwargs or {}))
        return fileio.get(path, backend_args=backend_args)
    except FileNotFoundError as exc:
        raise SampleLoadError(path, 'file not found') from exc
    except OSError as exc:
        raise SampleLoadError(path, f'cannot read file ({exc})') from exc


def map_boxes(results: dict, fn: Callable[[np.ndarray], np.ndarray]) -> None:
    """Apply ``fn`` in place to every box array of :data:`BOX_KEYS`.

    Keys that are absent or ``None`` are skipped. Each array must have four
    columns (x1, y1, x2, y2); a proposal array that still carries its score
    column is an error of the dataset, reported here.

    Args:
        results (dict): The results dict of one sample.
        fn (callable): Maps an ``[N, 4]`` array to the new ``[N, 4]`` array.
    """
    for key in BOX_KEYS:
        boxes = results.get(key)
        if boxes is None:
            continue
        boxes = np.asarray(boxes)
        if boxes.size == 0:
            boxes = boxes.reshape(0, 4)
        if boxes.ndim != 2 or boxes.shape[1] != 4:
            raise ValueError(
                f'results[{key!r}] must be an [N, 4] array of x1, y1, x2, '
                f'y2 boxes, got shape {boxes.shape}')
        results[key] = fn(boxes)
