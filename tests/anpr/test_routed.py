"""The Chinese specialist behind the general OCR (gated.anpr.routed): pure routing, fakes."""

from __future__ import annotations

import numpy as np

from gated.anpr.routed import RoutedOCR, is_chinese


class FakeOCR:
    """Reads a crop as the text written in its first pixel's lookup table; records calls."""

    def __init__(self, texts: dict[int, str]) -> None:
        self.texts, self.calls = texts, []

    def read(self, crops, search=False):
        self.calls.append(([int(c[0, 0]) for c in crops], search))
        return [(self.texts[int(c[0, 0])], 0.9) for c in crops]


def crop(n: int) -> np.ndarray:
    return np.full((4, 8), n, np.uint8)


def test_vietnamese_reads_never_reach_the_specialist():
    general, chinese = FakeOCR({1: "29C12345", 2: "51G67890"}), FakeOCR({})
    assert RoutedOCR(general, chinese).read([crop(1), crop(2)]) == [("29C12345", 0.9), ("51G67890", 0.9)]
    assert chinese.calls == []


def test_chinese_reads_are_read_again_by_the_specialist_in_order():
    general = FakeOCR({1: "陕A00E66", 2: "29C12345", 3: "桂A1234挂"})
    chinese = FakeOCR({1: "皖A00E66", 3: "桂A1234挂"})
    reads = RoutedOCR(general, chinese).read([crop(1), crop(2), crop(3)], search=True)
    assert [t for t, _ in reads] == ["皖A00E66", "29C12345", "桂A1234挂"]
    assert chinese.calls == [([1, 3], True)]  # one batch, the search flag passed on


def test_a_specialist_read_that_is_not_chinese_is_ignored():
    general, chinese = FakeOCR({1: "云A12345"}), FakeOCR({1: "29C12345"})
    assert RoutedOCR(general, chinese).read([crop(1)]) == [("云A12345", 0.9)]


def test_is_chinese():
    assert is_chinese("皖A00E66") and is_chinese("桂A1234挂")
    assert not is_chinese("") and not is_chinese("29C12345") and not is_chinese("挂")


def test_reread_takes_the_general_reads_given_and_rereads_only_the_chinese_ones():
    chinese = FakeOCR({2: "皖A00E66"})
    reads = RoutedOCR(FakeOCR({}), chinese).reread([crop(1), crop(2)], [("29C12345", 0.8), ("陕A00E66", 0.7)])
    assert reads == [("29C12345", 0.8), ("皖A00E66", 0.9)]
    assert chinese.calls == [([2], False)]
    assert RoutedOCR(FakeOCR({}), None).reread([crop(2)], [("陕A00E66", 0.7)]) == [("陕A00E66", 0.7)]
