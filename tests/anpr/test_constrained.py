"""Format-constrained CTC decoding (pure: synthetic column log-probabilities)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gated.anpr.constrained import Decoder
from gated.core.plates import CN_PROVINCES, is_valid, plausible

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" + CN_PROVINCES + "挂_"
BLANK = ALPHABET.index("_")
T = 64
DECODER = Decoder(ALPHABET, BLANK)


def columns(text: str, width: int = 2, floor: float = -12.0) -> np.ndarray:
    """Log-probabilities of a clean read of ``text``: each character ``width`` columns,
    a blank between characters and everywhere else."""
    lp = np.full((T, len(ALPHABET)), floor, np.float32)
    lp[:, BLANK] = -0.01
    t = 2
    for ch in text:
        for _ in range(width):
            lp[t, BLANK], lp[t, ALPHABET.index(ch)] = floor, -0.01
            t += 1
        t += 1
    return lp


def char_columns(text: str, index: int, width: int = 2) -> slice:
    start = 2 + index * (width + 1)
    return slice(start, start + width)


def test_a_valid_greedy_read_comes_back_unchanged():
    found = DECODER.decode(columns("29C12345"))
    assert found.text == "29C12345"
    assert abs(found.log_ratio) < 1e-3
    assert found.confidence > 0.98


def test_a_letter_where_a_digit_must_be_is_replaced_by_the_best_digit():
    lp = columns("51F02687")
    cols = char_columns("51F02687", 4)
    lp[cols, ALPHABET.index("2")] = -1.5
    lp[cols, ALPHABET.index("Z")] = -0.3  # greedy: 51F0Z687, invalid
    found = DECODER.decode(lp)
    assert found.text == "51F02687"
    assert -3.0 < found.log_ratio < -2.0  # two columns, each 1.2 less likely
    assert abs(found.char_probs[4] - np.exp(-1.5)) < 1e-4


def test_a_character_lost_to_a_blank_is_recovered():
    lp = columns("桂A12345")
    cols = char_columns("桂A12345", 5)
    lp[cols, ALPHABET.index("4")], lp[cols, BLANK] = -1.2, -0.4  # greedy: 桂A1235, too short
    found = DECODER.decode(lp)
    assert found.text == "桂A12345"
    assert found.log_ratio < 0


def test_a_one_row_crop_gets_no_two_row_vietnamese_plate():
    """The border of a one-row plate read as a last 1: 51G443131 spells the two-row 51-G4
    431.31, which a one-row crop cannot show; its one-row reading drops the 1 to a blank."""
    lp = columns("51G443131")
    lp[char_columns("51G443131", 8), BLANK] = -1.0  # the 1 from the border, less sure
    assert DECODER.decode(lp).text == "51G443131"
    found = DECODER.decode(lp, one_row=True)
    assert found.text == "51G44313" and found.log_ratio < 0
    assert DECODER.decode(columns("59T174443"), one_row=True) is None  # a clean two-row read: no one-row plate near it


def test_a_repeated_character_needs_a_blank_between_its_two_reads():
    # 桂A1234 is one character short of a plate. Its 3 is a long run with no blank inside:
    # CTC reads that as one 3, so the decoder may not split it into "33" (the cheap way to
    # a valid length); it has to put an unlikely character into a blank column instead.
    lp = columns("桂A1234", width=4)
    found = DECODER.decode(lp, max_drop=30.0)
    assert found is not None and is_valid(found.text)
    assert len(found.text) == 7 and "33" not in found.text
    assert found.log_ratio < -10  # paid for the unlikely character


def test_noise_gives_nothing_within_the_drop_limit():
    rng = np.random.default_rng(0)
    lp = np.log(rng.dirichlet(np.full(len(ALPHABET), 0.1), size=T)).astype(np.float32)
    assert DECODER.decode(lp, max_drop=4.0) is None


def test_only_templates_the_alphabet_can_spell_are_searched():
    latin = Decoder("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_", 36)
    assert len(latin.lengths) == 8  # the Vietnamese shapes; no province characters
    assert latin.decode(columns("29C12345")[:, [*range(36), BLANK]]).text == "29C12345"
    with pytest.raises(ValueError, match="spells no plate"):
        Decoder("0123456789_", 10)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(["30E92115", "14A45678", "59LD12345", "皖A05279",
                                                    "桂B1234挂", "云AD12345", "粤B12345F"]))
def test_the_result_is_valid_and_no_less_likely_than_a_planted_valid_path(seed, plate):
    rng = np.random.default_rng(seed)
    noise = np.log(rng.dirichlet(np.full(len(ALPHABET), 0.3), size=T)).astype(np.float32)
    planted = np.logaddexp(noise, columns(plate, floor=-30.0) - rng.uniform(0.5, 3.0))
    planted -= np.logaddexp.reduce(planted, axis=1, keepdims=True)
    found = DECODER.decode(planted, max_drop=1e6)
    assert found is not None and is_valid(found.text)
    assert found.log_ratio <= 1e-3
    greedy = float(planted.max(-1).sum())
    path_score = _score_of_clean_path(planted, plate)
    assert greedy + found.log_ratio >= path_score - 1e-2


def _score_of_clean_path(lp: np.ndarray, plate: str) -> float:
    clean = columns(plate)
    path = clean.argmax(-1)
    return float(lp[np.arange(T), path].sum())


def test_the_ocr_searches_a_read_its_crop_cannot_show():
    one_row, two_row = np.zeros((110, 470), np.uint8), np.zeros((100, 140), np.uint8)
    def fits(text: str, crop: np.ndarray) -> bool:
        return plausible(text, crop.shape[1], crop.shape[0])

    assert not fits("51G443131", one_row) and fits("51G443131", two_row)
    assert fits("51G44313", one_row) and not fits("51G443", one_row)  # too short: no plate
