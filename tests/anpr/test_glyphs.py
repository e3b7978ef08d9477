"""The training renderer's letter shapes: stroke-font alternates and glyph distortion."""

from __future__ import annotations

import random

import numpy as np
import pytest

from scripts.anpr import gb_font, glyphs


def _alternates() -> list[tuple[str, str]]:
    return ([(ch, "cn") for ch in {**gb_font.ALTERNATES, **gb_font.CN_ALTERNATES}]
            + [(ch, "vn") for ch in gb_font.VN_ALTERNATES])


@pytest.mark.parametrize(("char", "style"), _alternates())
def test_every_alternate_is_drawn_and_differs_from_the_main_shape(char, style):
    font = f"stroke:1.0:{style}"
    n = glyphs.variants(font, char)
    assert n >= 2
    main = glyphs.glyph(font, char, 0)
    for v in range(1, n):
        alt = glyphs.glyph(font, char, v)
        assert alt.max() == 255
        # the same character: a similar ink box, but not the same drawing
        assert 0.7 < alt.shape[0] / main.shape[0] < 1.3
        same_size = alt.shape == main.shape
        assert not (same_size and np.array_equal(alt, main))


def test_characters_without_alternates_have_one_shape():
    assert glyphs.variants("stroke:1.0:cn", "7") == 1
    assert glyphs.variants("stroke:1.0:vn", "7") == 1
    assert glyphs.variants("stroke:1.0:cn", "4") == 1  # the closed Chinese 4 has no alternates
    assert glyphs.variants("stroke:1.0:vn", "4") == 3  # the open Vietnamese 4: slanted, upright
    assert glyphs.variants("/usr/share/fonts/any.ttf", "M") == 1
    assert glyphs.variants("stroke:1.0:cn", "9") == 3  # the curled 9 and two straight-tailed ones
    assert glyphs.variants("stroke:1.0:vn", "9") == 1  # Vietnamese plates: the curled 9 only


def test_the_vietnamese_one_keeps_its_flag_in_every_shape():
    for v in range(glyphs.variants("stroke:1.0:vn", "1")):
        one = glyphs.glyph("stroke:1.0:vn", "1", v)
        top = one[: one.shape[0] // 8]
        # the flag makes the top of a flagged 1 wider than its stem
        assert (top > 40).any(axis=0).sum() > 1.3 * (one[one.shape[0] // 2] > 40).sum()


def test_distort_bends_the_glyph_but_keeps_its_ink():
    mask = glyphs.glyph("stroke:1.0:cn", "M")
    bent = [glyphs.distort(mask, random.Random(seed)) for seed in range(20)]
    for b in bent:
        assert b.dtype == np.uint8 and b.max() > 200
        ink_ratio = (b > 40).sum() / (mask > 40).sum()
        assert 0.7 < ink_ratio < 1.4
        assert 0.8 < b.shape[0] / mask.shape[0] < 1.25
    assert sum(not (b.shape == mask.shape and np.array_equal(b, mask)) for b in bent) == len(bent)


def test_distort_is_reproducible_from_the_seed():
    mask = glyphs.glyph("stroke:0.9:vn", "G")
    assert np.array_equal(glyphs.distort(mask, random.Random(3)), glyphs.distort(mask, random.Random(3)))
