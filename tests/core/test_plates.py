from hypothesis import given
from hypothesis import strategies as st

from gated.core import plates


def test_contract_examples():
    assert plates.normalise("29C-123.45") == "29C12345"
    assert plates.normalise("29-C1 / 123.45") == "29C112345"
    assert plates.normalise("桂A·12345") == "桂A12345"
    assert plates.normalise("桂A·1234挂") == "桂A1234挂"
    assert plates.normalise("ｇ桂ａ １２３４５") == "G桂A12345"  # full-width folded by NFKC


def test_formats_and_countries():
    assert plates.country_of("29C12345") == "VN"
    assert plates.country_of("29C1234") == "VN"  # old 4-digit plate
    assert plates.country_of("59T174443") == "VN"  # two-line motorbike plate
    assert plates.country_of("51LD12345") == "VN"
    assert plates.country_of("桂A12345") == "CN"
    assert plates.country_of("云AD12345") == "CN"  # new energy (small): D or F, then 5
    assert plates.country_of("粤BF1A234") == "CN"
    assert plates.country_of("粤B12345D") == "CN"  # new energy (large): 5 digits, then D or F
    assert plates.country_of("桂A1234挂") == "CN" and plates.is_trailer("桂A1234挂")
    for bad in ("", "ABC", "29C123", "桂I12345", "桂A12O45", "X9C12345", "29C1234567",
                "皖A6H2681", "云A123456", "粤B1234AD"):  # six after the city letter: new energy only
        assert plates.country_of(bad) is None, bad


def test_two_row_formats():
    assert plates.is_two_row("59T174443") and plates.is_two_row("29C112345")
    assert not plates.is_two_row("29C12345") and not plates.is_two_row("51LD12345")
    assert not plates.is_two_row("桂A12345") and not plates.is_two_row("??")


ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" + plates.CN_SUFFIXES


@given(st.sampled_from(["29C1234", "29C12345", "59T17444", "59T174443", "51LD1234", "桂A12345", "桂AD1234",
                        "桂A1234", "桂AB123", "粤BD12345", "29C123", "X"]))
def test_continuations_stand_for_every_character(prefix):
    """A valid plate longer by one or two characters starts with ``prefix`` exactly when one of
    its ``continuations`` is valid, for every character of the alphabet in those places."""
    by_sample = {len(t) - len(prefix) for t in plates.continuations(prefix) if plates.is_valid(t)}
    every = {n for n in (1, 2) for tail in _tails(n) if plates.is_valid(prefix + tail)}
    assert by_sample == every


def _tails(n: int) -> list[str]:
    return list(ALPHABET) if n == 1 else [a + b for a in ALPHABET for b in ALPHABET]


def test_a_two_row_format_does_not_fit_a_one_row_shape():
    assert plates.one_row_shaped(260, 100) and not plates.one_row_shaped(200, 100)
    assert not plates.fits_shape("51G443131", 470, 110) and plates.fits_shape("51G443131", 140, 100)
    assert plates.fits_shape("51G44313", 470, 110) and plates.fits_shape("桂A12345", 470, 110)


def test_display():
    assert plates.display("29C12345") == "29C-123.45"
    assert plates.display("29C112345") == "29-C1 123.45"
    assert plates.display("29C1234") == "29C-1234"
    assert plates.display("桂A1234挂") == "桂A·1234挂"
    assert plates.display("??") == "??"


def test_confusion_key_equates_ocr_confusions():
    k = plates.confusion_key
    assert k("29C12345") == k("Z9C1Z345") == k("29CI2345") == k("29C12B45".replace("B", "3"))
    assert k("80D") == k("B0O") == k("8DQ")
    assert k("5G") == k("S6")
    assert k("29C12345") != k("29C12346")


@given(st.text(max_size=20))
def test_normalise_is_idempotent(text):
    once = plates.normalise(text)
    assert plates.normalise(once) == once


@given(st.from_regex(r"\A[0-9]{2}[A-Z][0-9]{5}\Z"))
def test_display_round_trips(plate):
    assert plates.normalise(plates.display(plate)) == plate


def test_near_miss_is_a_confusion_or_another_province_never_an_equal_or_distant_plate():
    near = plates.is_near_miss
    assert near("皖A12345", "陕A12345")  # the OCR's weakest character on small plates
    assert near("桂A1Z345", "琼A12345")  # province and a confusion together
    assert near("29C12345", "29C1Z345")
    assert not near("桂A12345", "桂A12345")
    assert not near("桂A12345", "桂A12845")  # 4/8: different trucks
    assert not near("桂A12345", "桂B12345")  # the city letter is not waived
    assert not near("29C12345", "39C12345")  # Vietnamese provinces are digits: no waiver


@given(st.sampled_from(plates.CN_PROVINCES), st.sampled_from(plates.CN_PROVINCES),
       st.from_regex(r"\A[A-HJ-NP-Z][0-9]{5}\Z"))
def test_any_two_chinese_provinces_with_one_tail_are_near(a, b, tail):
    assert plates.is_near_miss(a + tail, b + tail) == (a != b)
