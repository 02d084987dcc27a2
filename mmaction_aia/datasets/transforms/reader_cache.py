"""A small per-process cache of open video readers.

Opening a video with decord demuxes the whole file to index its frames,
which costs about as much as decoding a clip for a 15-minute AVA segment
(and grows with its length). Consecutive samples often come from the same
video (always at test time, where keyframes are read in file order), so
keeping the last few readers open saves that cost.
"""
import os
from collections import OrderedDict
from typing import Any, Callable, Hashable, Tuple


class VideoReaderCache:
    """Least-recently-used cache of open readers, keyed by file identity.

    A file is identified by its path, size and modification time, so a video
    rewritten on disk is opened again. The cache empties when pickled (sent
    to a DataLoader worker started with ``spawn``): readers do not pickle.

    Args:
        capacity (int): Readers kept open; 0 disables the cache.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 0:
            raise ValueError(f'capacity must be >= 0, got {capacity}')
        self.capacity = capacity
        self._readers: OrderedDict[Hashable, Any] = OrderedDict()

    @staticmethod
    def file_key(path: str) -> Tuple[str, int, int]:
        """``(path, size, mtime_ns)`` of a file on disk."""
        stat = os.stat(path)
        return path, stat.st_size, stat.st_mtime_ns

    def get(self, key: Hashable, open_reader: Callable[[], Any]) -> Any:
        """The cached reader of ``key``, or ``open_reader()`` (cached)."""
        if key in self._readers:
            self._readers.move_to_end(key)
            return self._readers[key]
        reader = open_reader()
        if self.capacity:
            self._readers[key] = reader
            while len(self._readers) > self.capacity:
                self._readers.popitem(last=False)
        return reader

    def __len__(self) -> int:
        return len(self._readers)

    def __getstate__(self) -> dict:
        return dict(capacity=self.capacity, _readers=OrderedDict())
