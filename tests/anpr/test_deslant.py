"""Straightening slanted one-row plate crops (gated.anpr.deslant): pure image logic."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from gated.anpr import deslant
from gated.anpr.routed import RoutedOCR
from scripts.anpr import gb_font
from tests.anpr.helpers import FakeOCR, FakeProvinces, crop


def upright_plate(text: str = "AH1K47", w: int = 188, h: int = 48) -> np.ndarray:
    """A one-row plate-like crop: the Chinese plate font's upright letters, light on a dark
    plate, BGR (``scripts.anpr.gb_font``: stroke-drawn, no font file needed)."""
    img = np.full((h, w, 3), (120, 40, 20), np.uint8)
    cell_w, cell_h, x = w // (len(text) + 1), int(h * 0.7), w // (2 * (len(text) + 1))
    y = (h - cell_h) // 2
    for ch in text:
        ink = cv2.resize(gb_font.glyph(ch), (int(cell_w * 0.8), cell_h), interpolation=cv2.INTER_AREA)
        cell = img[y : y + cell_h, x : x + ink.shape[1]]
        np.maximum(cell, ink[:, :, None], out=cell)
        x += cell_w
    return img


@pytest.mark.parametrize("s", [-0.4, -0.2, 0.2, 0.4])
def test_a_sheared_crop_is_sheared_back(s):
    leaning = deslant.shear(upright_plate(), s)
    assert deslant.estimate(leaning) == pytest.approx(-s, abs=0.1)
    back = deslant.straighten(leaning)
    assert abs(deslant.estimate(back)) <= 0.1


def test_an_upright_crop_is_left_as_it_is():
    plate = upright_plate()
    assert deslant.estimate(plate) == 0.0
    assert deslant.straighten(plate) is plate


def test_a_flat_crop_and_a_two_row_shaped_crop_are_left_as_they_are():
    flat = np.full((24, 94), 90, np.uint8)
    assert deslant.straighten(flat) is flat
    two_row = deslant.shear(cv2.resize(upright_plate(), (120, 60)), 0.4)  # 2:1, like a two-row plate
    assert deslant.straighten(two_row) is two_row
    assert deslant.straighten(np.zeros((3, 40), np.uint8)).shape == (3, 40)


def test_grey_and_colour_crops_give_the_same_estimate():
    leaning = deslant.shear(upright_plate(), 0.3)
    assert deslant.estimate(cv2.cvtColor(leaning, cv2.COLOR_BGR2GRAY)) == deslant.estimate(leaning)


def test_the_specialist_and_the_classifier_read_the_prepared_crop_the_general_model_does_not():
    general = FakeOCR({1: "陕A00E66", 2: "29C12345"})
    chinese = FakeOCR({11: "陕A00E66"})
    provinces = FakeProvinces("皖", 0.9)
    routed = RoutedOCR(general, chinese, provinces, prepare=lambda c: c + 10)
    assert [t for t, _ in routed.read([crop(1), crop(2)])] == ["皖A00E66", "29C12345"]
    assert general.calls == [([1, 2], False)] and chinese.calls == [([11], False)]
    assert provinces.seen == [[11]]
