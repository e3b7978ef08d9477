"""Format-aware repair of OCR reads."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gated.anpr.repair import repair
from gated.core.plates import is_valid


def test_stray_province_before_a_vietnamese_plate_is_dropped():
    assert repair("云51A05227") == "51A05227"
    assert repair("苏12") == "苏12"  # nothing valid within reach: unchanged


def test_stray_letter_at_an_end_of_a_vietnamese_plate_is_dropped():
    assert repair("E98D00615") == "98D00615"  # frame edge before the plate
    assert repair("30E92115E") == "30E92115"  # frame edge after it
    assert repair("1298D00615") == "1298D00615"  # a stray digit is not dropped: it may belong
    assert repair("皖A12345E") == "皖A12345E"  # Chinese plates may end with a letter: not ours to cut


def test_look_alikes_in_forced_positions():
    assert repair("5DZ1630") == "50Z1630"  # province digits
    assert repair("51G3169I") == "51G31691"  # number digits
    assert repair("51G3I69I") == "51G3I69I"  # two swaps: too many
    assert repair("518-12345".replace("-", "")) == "51B12345"  # series letter
    assert repair("皖8H712X") == "皖BH712X"  # Chinese city letter


def test_valid_and_hopeless_reads_are_unchanged():
    assert repair("29C12345") == "29C12345"
    assert repair("桂A1234挂") == "桂A1234挂"
    assert repair("ABC") == "ABC"
    assert repair("") == ""


@given(st.text(alphabet="0123456789ABDGILOSTZ云苏皖挂", max_size=11))
def test_property_repair_never_breaks_a_valid_read_and_only_returns_valid_changes(text):
    out = repair(text)
    if is_valid(text):
        assert out == text
    elif out != text:
        assert is_valid(out)
