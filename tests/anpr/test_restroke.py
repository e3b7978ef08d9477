"""Hanzi redrawn at an even stroke width (training renderer, scripts/anpr/restroke.py)."""

from __future__ import annotations

import cv2
import numpy as np

from scripts.anpr import glyphs, restroke

from .conftest import needs_fonts


def _bar_mask() -> np.ndarray:
    mask = np.zeros((60, 40), np.uint8)
    mask[5:55, 12:28] = 255  # a 16 px wide vertical bar
    return mask


def test_thinning_leaves_a_one_pixel_centre_line_inside_the_ink():
    thin_bar = restroke.thin(_bar_mask())
    assert set(np.unique(thin_bar)) <= {0, 1}
    assert (thin_bar[_bar_mask() == 0] == 0).all()  # never outside the ink
    rows = thin_bar[15:45].sum(axis=1)
    assert (rows == 1).all()  # one pixel wide along the bar's length
    assert abs(np.flatnonzero(thin_bar[30])[0] - 19.5) <= 1  # in the middle of the bar


def test_thinning_keeps_a_ring_closed():
    ring = np.zeros((50, 50), np.uint8)
    cv2.circle(ring, (25, 25), 15, 255, 6)
    skeleton = restroke.thin(ring)
    n, _ = cv2.connectedComponents(skeleton)
    holes, _ = cv2.connectedComponents((1 - skeleton).astype(np.uint8), connectivity=4)
    assert n - 1 == 1 and holes - 1 == 2  # one curve, inside and outside still apart


@needs_fonts
def test_restroke_redraws_a_hanzi_at_the_pen_width_asked():
    font = glyphs.available(glyphs.CJK_FONTS)[0]
    mask = glyphs.glyph(font, "皖")
    lo, hi = restroke.PEN_RANGE
    inks = []
    for pen in np.linspace(lo, hi, 5):
        out = restroke.restroke(mask, pen)
        assert out.shape == mask.shape and out.dtype == np.uint8 and out.max() > 200
        inks.append(int((out > 127).sum()))
    assert inks == sorted(inks) and inks[-1] > 2 * inks[0]  # a wider pen, more ink
    # the pseudo-font gives the same drawing at any pen (only the skeleton is cached)
    for pen in (lo, 0.0931, hi):
        again = glyphs.glyph(glyphs.restroked(font, pen), "皖")
        assert np.array_equal(again, restroke.restroke(mask, pen))


@needs_fonts
def test_reweight_draws_any_weight_between_thin_and_heavy():
    mask = glyphs.glyph(glyphs.available(glyphs.CJK_FONTS)[0], "陕")
    inks = [int((restroke.reweight(mask, level) > 127).sum()) for level in (0.2, 0.35, 0.5, 0.65, 0.75)]
    assert inks == sorted(inks, reverse=True)  # a higher cut, less ink
    assert inks[0] > 1.5 * inks[2] and inks[-1] < 0.5 * inks[2]  # clearly heavier / lighter
    middle = restroke.reweight(mask, 0.5)
    assert abs(int((middle > 127).sum()) - int((mask > 127).sum())) < 0.15 * (mask > 127).sum()
