"""Hanzi redrawn at one even stroke width, as the Chinese plate typeface draws them.

The province characters on a Chinese plate are a heiti cut for the plate: tall (45 x 90 mm
cell), every stroke the same width, square ends. Debian's CJK fonts have the right
skeletons but their own stroke contrast and weight. Here a font glyph is thinned to its
centre lines (Zhang-Suen) and drawn again with a square pen of a chosen width: one
skeleton, many plate-like weights. (Run 10, the first trained with it at four heavy pens,
read the real ``皖`` as ``陕`` more often, on the crops where it is thin: see
models/plate_ocr.md; since run 11 the pen is drawn from a continuous range, thin to heavy,
and ``reweight`` varies the weight of the fonts' own strokes the same way.)
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: Pen widths the renderer draws from (uniformly), as a share of the glyph's height: from
#: the thin strokes of small, blurred real crops to the plate typeface's heavy ones.
PEN_RANGE = (0.045, 0.15)


def _neighbours(p: np.ndarray) -> list[np.ndarray]:
    """The 8 neighbours P2..P9 of every pixel (clockwise from north), zero outside."""
    q = np.pad(p, 1)
    h, w = p.shape
    at = lambda dy, dx: q[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]  # noqa: E731
    return [at(-1, 0), at(-1, 1), at(0, 1), at(1, 1), at(1, 0), at(1, -1), at(0, -1), at(-1, -1)]


def thin(mask: np.ndarray, max_iter: int = 200) -> np.ndarray:
    """Zhang-Suen thinning of a binary mask (nonzero = ink): a 1-px skeleton (uint8 0/1)."""
    p = (mask > 0).astype(np.uint8)
    for _ in range(max_iter):
        changed = False
        for first in (True, False):
            n = _neighbours(p)
            b = sum(x.astype(np.int32) for x in n)
            ring = n + n[:1]
            a = sum(((ring[i] == 0) & (ring[i + 1] == 1)).astype(np.int32) for i in range(8))
            p2, p4, p6, p8 = n[0], n[2], n[4], n[6]
            if first:
                c1, c2 = p2 * p4 * p6, p4 * p6 * p8
            else:
                c1, c2 = p2 * p4 * p8, p2 * p6 * p8
            drop = (p == 1) & (b >= 2) & (b <= 6) & (a == 1) & (c1 == 0) & (c2 == 0)
            if drop.any():
                p[drop] = 0
                changed = True
        if not changed:
            break
    return p


@dataclass(frozen=True, slots=True)
class Skeleton:
    """A glyph's centre lines (1-px, padded for the widest pen) and its mask's (h, w)."""

    lines: np.ndarray
    shape: tuple[int, int]


def skeletonise(mask: np.ndarray) -> Skeleton:
    """The slow half of ``restroke`` (thinning), done once per glyph and cached by the caller."""
    h, _ = mask.shape
    pad = max(2, int(h * PEN_RANGE[1]) + 1)
    up = cv2.copyMakeBorder(mask, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    return Skeleton(thin(up > 127), mask.shape)


def redraw(skeleton: Skeleton, pen_share: float) -> np.ndarray:
    """The skeleton drawn with a square pen ``pen_share`` x the glyph's height wide, at the
    glyph's size: uint8 0..255, anti-aliased."""
    h, w = skeleton.shape
    pen = max(1, int(round(h * pen_share)))
    drawn = cv2.dilate(skeleton.lines * 255, np.ones((pen, pen), np.uint8))
    drawn = cv2.GaussianBlur(drawn, (3, 3), 0)
    ys, xs = np.nonzero(drawn > 40)
    if len(xs) == 0:
        return np.zeros(skeleton.shape, np.uint8)
    out = drawn[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    return cv2.resize(out, (w, h), interpolation=cv2.INTER_AREA)


def restroke(mask: np.ndarray, pen_share: float) -> np.ndarray:
    """``mask`` (uint8 ink, cropped to its ink box) thinned and redrawn with a square pen
    ``pen_share`` x its height wide; same size as ``mask``, uint8 0..255, anti-aliased."""
    return redraw(skeletonise(mask), pen_share)


def reweight(mask: np.ndarray, level: float) -> np.ndarray:
    """``mask`` made heavier (``level`` < 0.5) or lighter (> 0.5) by a continuous amount:
    blurred by ~4% of its height and cut again at ``level``, with a soft edge. Unlike
    erosion by a whole kernel, any weight between the extremes can be drawn."""
    sigma = max(0.8, 0.04 * mask.shape[0])
    soft = cv2.GaussianBlur(mask.astype(np.float32) / 255.0, (0, 0), sigma)
    return (np.clip((soft - level) / 0.2 + 0.5, 0.0, 1.0) * 255).astype(np.uint8)
