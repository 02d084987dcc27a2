"""Exact vectorised parsing of decimal CSV fields (numpy only).

A field of at most 15 digits is parsed as the integer of its digits divided
by a power of ten; both are exact doubles, so the one rounding of the
division gives the same double as Python's ``float()`` (Clinger's fast
path). Fields are read from a ``uint8`` buffer through fixed-width windows;
the buffer must have at least ``width`` readable bytes after every field and
8 before (see :mod:`.ava_csv`'s padding).

The ``strict_*`` parsers return None as soon as a field deviates from the
expected shape (the caller then takes a more general path);
:func:`parse_numbers` handles any field and raises ``path:line`` errors.
"""
from typing import Optional, Tuple

import numpy as np

POW10 = 10.0 ** np.arange(23)  # 10**0 .. 10**22 are exact doubles
MAX_DIGITS = 15
MAX_WIDTH = 24


def gather(buf: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    """Fixed-width windows of a byte buffer, one row per start.

    Args:
        buf (np.ndarray): uint8 buffer.
        starts (np.ndarray): Window starts; ``start + width <= buf.size``.
        width (int): Window width.

    Returns:
        np.ndarray: ``[n, width]`` uint8, row i is
        ``buf[starts[i]:starts[i] + width]``.
    """
    items = np.ndarray((buf.size - width + 1,), f'V{width}', buf, 0, (1,))
    return items[starts].view(np.uint8).reshape(-1, width)


def strict_fixed(chars: np.ndarray, integer: bool = False
                 ) -> Optional[np.ndarray]:
    """Equal-width unsigned fields with the dot (if any) in one column.

    Args:
        chars (np.ndarray): ``[n, width]`` field characters.
        integer (bool): Reject a dot and return int64.

    Returns:
        np.ndarray | None: float64 (or int64) values, None if any field
        differs in shape from the first.
    """
    width = chars.shape[1]
    if chars.shape[0] == 0:
        return np.zeros(0, np.int64 if integer else np.float64)
    dots = np.flatnonzero(chars[0] == 46)
    dot = int(dots[0]) if dots.size == 1 else -1
    num_digits = width - (dot >= 0)
    if (dots.size > 1 or (integer and dot >= 0) or num_digits < 1
            or num_digits > MAX_DIGITS):
        return None
    if dot >= 0 and not (chars[:, dot] == 46).all():
        return None
    mantissa = np.zeros(chars.shape[0], np.int32 if num_digits <= 9 else
                        np.int64)
    for j in range(width):  # column-wise: numpy is slow on short rows
        if j == dot:
            continue
        column = chars[:, j] - np.uint8(48)
        if not (column < 10).all():
            return None
        mantissa *= 10
        mantissa += column
    if integer:
        return mantissa.astype(np.int64)
    return mantissa / POW10[width - 1 - dot if dot >= 0 else 0]


def strict_int(buf: np.ndarray, ends: np.ndarray,
               lengths: np.ndarray) -> Optional[np.ndarray]:
    """Unsigned integers of 1-9 digits ending at ``ends`` (right-aligned).

    Args:
        buf (np.ndarray): The buffer.
        ends (np.ndarray): End offset (exclusive) of each field.
        lengths (np.ndarray): Length of each field.

    Returns:
        np.ndarray | None: int64 values, None if a field is not 1-9 digits.
    """
    if lengths.size == 0:
        return np.zeros(0, np.int64)
    width = int(lengths.max())
    if lengths.min() < 1 or width > 9:
        return None
    digits = gather(buf, ends - width, width) - np.uint8(48)
    value = np.zeros(lengths.size, np.int32)
    for j in range(width):  # column-wise: numpy is slow on short rows
        column = digits[:, j]
        if j < width - int(lengths.min()):
            column = np.where(lengths >= width - j, column, 0)
        if not (column < 10).all():
            return None
        value *= 10
        value += column
    return value.astype(np.int64)


def _general(chars: np.ndarray, lengths: np.ndarray
             ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fields of any width: (mantissa, frac digits, needs Python)."""
    width = chars.shape[1]
    valid = np.arange(width) < lengths[:, None]
    digits = chars - np.uint8(48)
    is_digit = (digits < 10) & valid
    is_dot = (chars == 46) & valid
    negative = (chars[:, 0] == 45) & (lengths > 1)
    other = valid & ~is_digit & ~is_dot
    other[:, 0] &= ~negative
    num_digits = is_digit.sum(1)
    bad = (other.any(1) | (is_dot.sum(1) > 1) | (num_digits == 0)
           | (num_digits > MAX_DIGITS) | (lengths > MAX_WIDTH))
    right = num_digits[:, None] - np.cumsum(is_digit, axis=1)
    np.clip(right, 0, MAX_DIGITS, out=right)
    mantissa = np.where(is_digit, digits * POW10[right], 0.0).sum(1)
    frac = (is_digit & (np.cumsum(is_dot, axis=1) > 0)).sum(1)
    mantissa[negative] *= -1.0
    return mantissa, frac, bad


def python_number(text: str, integer: bool, path: str, line: int,
                  what: str) -> float:
    """``int(text)`` or ``float(text)``, with a ``path:line`` error.

    Args:
        text (str): The field.
        integer (bool): Parse like ``int()`` (else ``float()``, finite).
        path (str): File name for the error.
        line (int): Line number for the error.
        what (str): Column name for the error.

    Returns:
        float: The value.
    """
    kind = 'an integer' if integer else 'a number'
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        raise ValueError(f'{path}:{line}: expected {kind} for {what}, got '
                         f'{text!r}') from None
    if not integer and not np.isfinite(value):
        raise ValueError(f'{path}:{line}: expected a finite number for '
                         f'{what}, got {text!r}')
    if integer and abs(value) >= 2**53:
        raise ValueError(f'{path}:{line}: {what} {text!r} is out of range')
    return float(value)


def parse_numbers(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                  integer: bool, path: str, lines: np.ndarray,
                  what: str) -> np.ndarray:
    """Parse any decimal fields ``buf[starts:ends]`` exactly like Python.

    Args:
        buf (np.ndarray): The padded buffer.
        starts (np.ndarray): Start offset of each field.
        ends (np.ndarray): End offset (exclusive) of each field.
        integer (bool): Parse like ``int()`` (else ``float()``).
        path (str): File name for error messages.
        lines (np.ndarray): Line number of each field for error messages.
        what (str): Column name for error messages.

    Returns:
        np.ndarray: float64 values (int64 when ``integer``).

    Raises:
        ValueError: ``path:line: expected a number for <what>, got '...'``.
    """
    lengths = ends - starts
    if lengths.size == 0:
        return np.zeros(0, np.int64 if integer else np.float64)
    shortest, longest = int(lengths.min()), int(lengths.max())
    if shortest == longest and 0 < longest <= MAX_DIGITS + 1:
        values = strict_fixed(gather(buf, starts, longest), integer)
        if values is not None:
            return values
    if integer:
        values = strict_int(buf, ends, lengths)
        if values is not None:
            return values
    width = max(min(longest, MAX_WIDTH), 1)
    mantissa, frac, bad = _general(gather(buf, starts, width), lengths)
    if integer:
        bad |= frac > 0
    values = mantissa / POW10[frac]
    for i in np.flatnonzero(bad):
        text = bytes(buf[starts[i]:ends[i]]).decode('utf-8', 'replace')
        values[i] = python_number(text, integer, path, int(lines[i]), what)
    return values.astype(np.int64) if integer else values
