"""Drawing person boxes and action labels, readable at any resolution.

Line widths and font sizes follow the frame's size; frames too small to
read (e.g. 160x120) are upscaled first by :func:`output_size`.
"""
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np

#: BGR colours cycled over persons (colour-blind friendly, Okabe-Ito).
PALETTE = ((0, 159, 230), (233, 180, 86), (115, 158, 0), (66, 228, 240),
           (178, 114, 0), (0, 94, 213), (167, 121, 204), (255, 255, 255))
FONT = cv2.FONT_HERSHEY_SIMPLEX


def output_size(width: int, height: int,
                min_short_side: int = 480) -> Tuple[int, int]:
    """``(width, height)`` upscaled so the short side is at least
    ``min_short_side`` (even sizes, as video codecs want)."""
    factor = max(1.0, min_short_side / max(1, min(width, height)))
    return (int(round(width * factor / 2)) * 2,
            int(round(height * factor / 2)) * 2)


def _style(frame: np.ndarray) -> Tuple[float, int]:
    """Font scale and line thickness for this frame size."""
    short = min(frame.shape[:2])
    scale = max(0.4, short / 720)
    return scale, max(1, int(round(short / 360)))


def _label(frame: np.ndarray, text: str, x: int, y: int,
           color: Sequence[int], scale: float, thickness: int) -> int:
    """Text on a filled box with its top-left at (x, y); returns the y
    below it."""
    (text_w, text_h), base = cv2.getTextSize(text, FONT, scale, thickness)
    pad = max(1, thickness)
    x = int(min(max(0, x), max(0, frame.shape[1] - text_w - 2 * pad)))
    bottom = y + text_h + base + 2 * pad
    cv2.rectangle(frame, (x, y), (x + text_w + 2 * pad, bottom), color, -1)
    luma = 0.114 * color[0] + 0.587 * color[1] + 0.299 * color[2]
    ink = (0, 0, 0) if luma > 140 else (255, 255, 255)
    cv2.putText(frame, text, (x + pad, y + pad + text_h), FONT, scale, ink,
                thickness, cv2.LINE_AA)
    return bottom


def draw_persons(frame: np.ndarray, persons: List[Dict],
                 top_k: int = 3) -> np.ndarray:
    """Draw each person's box and best ``top_k`` actions, in place.

    Args:
        frame (np.ndarray): BGR frame.
        persons (list[dict]): ``bbox`` (normalised x1, y1, x2, y2) and
            ``actions`` (``(id, name, score)`` best first) per person.
        top_k (int): Actions shown per person.
    """
    height, width = frame.shape[:2]
    scale, thickness = _style(frame)
    for index, person in enumerate(persons):
        color = PALETTE[index % len(PALETTE)]
        x1, y1, x2, y2 = (np.asarray(person['bbox']) *
                          [width, height, width, height]).astype(int)
        cv2.rectangle(frame, (x1, y1), (x2, y2), color, thickness + 1)
        actions = person['actions'][:top_k] or [(0, 'person', None)]
        lines = [name if score is None else f'{name} {score:.2f}'
                 for _, name, score in actions]
        line_h = cv2.getTextSize('Ag', FONT, scale, thickness)[0][1]
        # labels above the box when they fit, else inside its top
        needed = len(lines) * (line_h * 1.6 + 2 * thickness)
        y = int(y1 - needed) if y1 - needed >= 0 else y1 + thickness
        for line in lines:
            y = _label(frame, line, x1, y, color, scale, thickness)
    return frame


def draw_status(frame: np.ndarray, text: str) -> np.ndarray:
    """A status line (e.g. FPS and latency) in the bottom-left corner."""
    scale, thickness = _style(frame)
    text_h = cv2.getTextSize(text, FONT, scale * 0.8, thickness)[0][1]
    _label(frame, text, 0, frame.shape[0] - int(text_h * 1.6) - 4 *
           thickness, (40, 40, 40), scale * 0.8, thickness)
    return frame
