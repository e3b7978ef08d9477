"""A stroke-drawn plate font for letters and digits, shaped like the Chinese plate font.

Real Chinese plates use one narrow, straight, evenly stroked typeface (character cell
45 x 90 mm, strokes ~10 mm; ``1`` is a plain bar with no base serif). No Debian font looks
like it, and stretched sans fonts taught the OCR the wrong ``1``/``J``/``T``. Here each glyph
is a few centre lines (polylines and elliptic arcs, in mm inside the 45 x 90 cell) drawn with
cv2 at a uniform stroke width. Nothing is downloaded or copied from a photo.
"""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np

CELL_W, CELL_H = 45.0, 90.0
STROKE = 10.0  # mm
_PX_PER_MM = 4


def arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float) -> list[tuple[float, float]]:
    """Points on an ellipse from angle ``a0`` to ``a1`` (degrees, y down: 90 = bottom)."""
    n = max(2, int(abs(a1 - a0) / 10) + 1)
    return [(cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
            for a in np.linspace(a0, a1, n)]


def _zero() -> list[list[tuple[float, float]]]:
    return [arc(22.5, 25, 17.5, 20, 180, 360) + arc(22.5, 65, 17.5, 20, 0, 180) + [(5, 25)]]


def _six() -> list[list[tuple[float, float]]]:
    return [arc(22.5, 64, 17.5, 21, 0, 360), arc(22.5, 27, 17.5, 22, -35, -180) + [(5, 64)]]


def _six_straight(top_x: float) -> list[list[tuple[float, float]]]:
    """The Chinese plate font's 6: the bowl and a straight slanted stroke from the top right
    (``_six`` curls over the top like a ``G``)."""
    return [arc(22.5, 64, 17.5, 21, 0, 360), [(top_x, 5), (6.5, 58)]]


def _p_bowl() -> list[tuple[float, float]]:
    return [(5, 85), (5, 5), (26, 5)] + arc(26, 25, 14, 20, -90, 90) + [(5, 45)]


def _rot180(strokes: list[list[tuple[float, float]]]) -> list[list[tuple[float, float]]]:
    return [[(CELL_W - x, CELL_H - y) for x, y in s] for s in strokes]


#: Centre lines per character, in mm inside the 45 x 90 cell.
STROKES: dict[str, list[list[tuple[float, float]]]] = {
    "0": _zero(),
    "1": [[(22.5, 5), (22.5, 85)]],
    "2": [arc(22.5, 24, 17.5, 19, 180, 385) + [(5, 85), (40, 85)]],
    "3": [[(6, 5), (40, 5), (20, 38)] + arc(22.5, 61, 17.5, 24, -100, 150)],
    "4": [[(30, 85), (30, 5), (5, 62), (41, 62)]],
    "5": [[(38, 5), (8, 5), (6, 43)] + arc(22.5, 61, 17.5, 24, -130, 150)],
    "6": _six(),
    "7": [[(5, 5), (40, 5), (18, 85)]],
    "8": [arc(22.5, 24, 15.5, 19, 0, 360), arc(22.5, 64.5, 17.5, 20.5, 0, 360)],
    "9": _rot180(_six()),
    "A": [[(5, 85), (18, 5), (27, 5), (40, 85)], [(11, 60), (34, 60)]],
    "B": [[(5, 5), (5, 85)], [(5, 5), (27, 5)] + arc(27, 24.5, 12, 19.5, -90, 90) + [(5, 44)],
          [(5, 44), (28, 44)] + arc(28, 64.5, 12, 20.5, -90, 90) + [(5, 85)]],
    "C": [arc(22.5, 25, 17.5, 20, -20, -180) + arc(22.5, 65, 17.5, 20, 180, 20)],
    "D": [[(5, 5), (5, 85), (18, 85)] + arc(18, 65, 22, 20, 90, 0) + arc(18, 25, 22, 20, 0, -90) + [(5, 5)]],
    "E": [[(40, 5), (5, 5), (5, 85), (40, 85)], [(5, 45), (35, 45)]],
    "F": [[(40, 5), (5, 5), (5, 85)], [(5, 45), (35, 45)]],
    "G": [arc(22.5, 25, 17.5, 20, -20, -180) + arc(22.5, 65, 17.5, 20, 180, 0) + [(40, 50), (24, 50)]],
    "H": [[(5, 5), (5, 85)], [(40, 5), (40, 85)], [(5, 45), (40, 45)]],
    "I": [[(22.5, 5), (22.5, 85)], [(12, 5), (33, 5)], [(12, 85), (33, 85)]],
    "J": [[(40, 5)] + arc(22.5, 65, 17.5, 20, 0, 180) + [(5, 60)]],
    "K": [[(5, 5), (5, 85)], [(40, 5), (5, 56)], [(16, 42), (40, 85)]],
    "L": [[(5, 5), (5, 85), (40, 85)]],
    "M": [[(5, 85), (5, 5), (22.5, 55), (40, 5), (40, 85)]],
    "N": [[(5, 85), (5, 5), (40, 85), (40, 5)]],
    "O": _zero(),
    "P": [_p_bowl()],
    "Q": _zero() + [[(26, 64), (41, 86)]],
    "R": [_p_bowl(), [(22, 45), (40, 85)]],
    "S": [arc(22.5, 24.5, 17.5, 19.5, -15, -250) + arc(22.5, 65, 17.5, 20, -110, 165)],
    "T": [[(4, 5), (41, 5)], [(22.5, 5), (22.5, 85)]],
    "U": [[(5, 5)] + arc(22.5, 65, 17.5, 20, 180, 0) + [(40, 5)]],
    "V": [[(5, 5), (22.5, 85), (40, 5)]],
    "W": [[(3, 5), (12, 85), (22.5, 30), (33, 85), (42, 5)]],
    "X": [[(5, 5), (40, 85)], [(40, 5), (5, 85)]],
    "Y": [[(5, 5), (22.5, 45), (40, 5)], [(22.5, 45), (22.5, 85)]],
    "Z": [[(5, 5), (40, 5), (5, 85), (40, 85)]],
}

#: Vietnamese plates use the same kind of lettering, but ``1`` has a flag and ``4`` is open
#: (its stem starts below the top of the diagonal).
VN_STROKES = {
    "1": [[(9, 20), (24, 5), (24, 85)]],
    "4": [[(25, 5), (5, 62), (41, 62)], [(31, 34), (31, 85)]],
}

#: Other shapes of the same character, because real plate lettering varies between makers
#: and years, and the real misreads sit exactly there: the depth of ``M``'s middle vertex
#: (M read as H or N), ``G``'s spur (G read as 6), the length of the Vietnamese ``1``'s
#: flag (1 read as 7) and the curl of ``2``'s top (2 read as Z). Variant 0 is ``STROKES``.
ALTERNATES: dict[str, list[list[list[tuple[float, float]]]]] = {
    "M": [[[(5, 85), (5, 5), (22.5, y), (40, 5), (40, 85)]] for y in (38, 70, 84)],
    "G": [[arc(22.5, 25, 17.5, 20, -20, -180) + arc(22.5, 65, 17.5, 20, 180, 0) + [(40, 48)]],
          [arc(22.5, 25, 17.5, 20, -25, -180) + arc(22.5, 65, 17.5, 20, 180, 0) + [(40, 50), (40, 85)],
           [(40, 50), (27, 50)]]],
    "2": [[arc(22.5, 22, 17.5, 17, 200, 360) + [(40, 30), (5, 85), (40, 85)]]],
}
#: Chinese plates only: the straight-stroked 6 and 9 of the Chinese plate font (real
#: misreads: a last 9 read as 2 on Chinese crops — no Debian font nor ``_six`` draws that tail).
CN_ALTERNATES: dict[str, list[list[list[tuple[float, float]]]]] = {
    "6": [_six_straight(x) for x in (30, 35)],
    "9": [_rot180(_six_straight(x)) for x in (30, 35)],
}
VN_ALTERNATES = {
    "1": [[[(x, 29 - x), (24, 5), (24, 85)]] for x in (13, 16)],  # shorter flags
    # the open 4 of motorbike plates drawn with an upright or barely slanted left stroke
    # (real misreads: 4 read as L or C)
    "4": [[[(x, 5), (6, 60), (41, 60)], [(31, 30), (31, 85)]] for x in (6, 13)],
}

#: Stroke weights (x STROKE) the renderer picks from.
WEIGHTS = (0.75, 0.9, 1.0, 1.15)


def shapes(char: str, style: str = "cn") -> list[list[list[tuple[float, float]]]]:
    """Every shape of ``char`` in ``style`` ("vn" takes the Vietnamese ``1`` and ``4``, "cn"
    the Chinese ``6`` and ``9``)."""
    if style == "vn" and char in VN_STROKES:
        return [VN_STROKES[char], *VN_ALTERNATES.get(char, [])]
    only_cn = CN_ALTERNATES.get(char, []) if style == "cn" else []
    return [STROKES[char], *ALTERNATES.get(char, []), *only_cn]


@functools.lru_cache(maxsize=1024)
def glyph(char: str, weight: float = 1.0, style: str = "cn", variant: int = 0) -> np.ndarray:
    """Ink mask (uint8 0..255) of shape ``variant`` of ``char`` (see ``shapes``), cropped to
    its ink box like ``glyphs.glyph``."""
    s = _PX_PER_MM
    img = np.zeros((int(CELL_H * s) + 8 * s, int(CELL_W * s) + 8 * s), np.uint8)
    thick = max(1, int(round(STROKE * weight * s)))
    strokes = shapes(char, style)[variant]
    for stroke in strokes:
        pts = np.array([[(x + 4) * s, (y + 4) * s] for x, y in stroke], np.int32)
        cv2.polylines(img, [pts], False, 255, thick, cv2.LINE_AA)
    return ink_box(img)


def ink_box(mask: np.ndarray) -> np.ndarray:
    """``mask`` cropped to its ink (pixels > 40); an inkless mask raises ValueError."""
    ys, xs = np.nonzero(mask > 40)
    if len(xs) == 0:
        raise ValueError("no ink")
    return np.ascontiguousarray(mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1])
