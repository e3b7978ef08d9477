"""The Chinese specialist behind the general OCR (gated.anpr.routed): pure routing, fakes."""

from __future__ import annotations

import numpy as np

from gated.anpr.province import READER_WEIGHT, SURE, combine, unsure
from gated.anpr.routed import RoutedOCR, is_chinese
from gated.core.plates import CN_PROVINCES
from tests.anpr.helpers import FakeOCR, FakeProvinces, crop


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


def test_the_province_classifier_judges_only_the_specialists_chinese_reads():
    general = FakeOCR({1: "陕A00E66", 2: "29C12345", 3: "桂A1234挂"})
    chinese = FakeOCR({1: "陕A00E66", 3: "29C12345"})
    provinces = FakeProvinces("皖", 0.9)
    reads = RoutedOCR(general, chinese, provinces).read([crop(1), crop(2), crop(3)])
    # crop 1: 0.6 x 0.0033 (陕) < 0.3 x 0.9 (皖) -> 皖; crop 3's specialist read is not Chinese
    assert [t for t, _ in reads] == ["皖A00E66", "29C12345", "桂A1234挂"]
    assert provinces.seen == [[1]]


def test_the_classifier_alone_does_not_overrule_the_specialist():
    """The product of the two opinions: a province the specialist gives no weight to needs far
    more than an even-handed classifier to win."""
    reads = RoutedOCR(FakeOCR({1: "陕A00E66"}), FakeOCR({1: "陕A00E66"}), FakeProvinces("桂", 0.5)).read([crop(1)])
    assert reads == [("陕A00E66", 0.9)]  # 桂: (1e-4)^0.5 x 0.5 = 0.005 < 陕: 0.6^0.5 x 0.5 / 30 = 0.013


def test_a_sure_specialist_is_not_second_guessed():
    provinces = FakeProvinces("皖", 0.99)
    chinese = FakeOCR({1: "陕A00E66", 2: "桂A12345"}, sure=SURE)
    reads = RoutedOCR(FakeOCR({1: "陕A00E66", 2: "桂A12345"}), chinese, provinces).read([crop(1), crop(2)])
    assert [t for t, _ in reads] == ["陕A00E66", "桂A12345"] and provinces.seen == [[]]


def test_combine_changes_only_the_first_character():
    reader = np.zeros(len(CN_PROVINCES), np.float32)
    reader[CN_PROVINCES.index("陕")], reader[CN_PROVINCES.index("皖")] = 0.55, 0.45
    classifier = np.full(len(CN_PROVINCES), 0.01, np.float32)
    classifier[CN_PROVINCES.index("皖")] = 0.7
    assert combine("陕A00E66", reader, classifier) == "皖A00E66"
    assert combine("陕A1234挂", reader, np.ones_like(classifier)) == "陕A1234挂"


def test_the_classifier_weighs_more_than_the_reader():
    """p_reader^0.5 x p_classifier: a reader fairly sure of 陕 (0.8 vs 0.05) loses to a classifier
    that prefers 皖 (0.6 vs 0.1); the plain product would keep 陕 (0.08 > 0.03)."""
    reader = np.zeros(len(CN_PROVINCES), np.float32)
    reader[CN_PROVINCES.index("陕")], reader[CN_PROVINCES.index("皖")] = 0.8, 0.05
    classifier = np.full(len(CN_PROVINCES), 0.01, np.float32)
    classifier[CN_PROVINCES.index("皖")], classifier[CN_PROVINCES.index("陕")] = 0.6, 0.1
    assert READER_WEIGHT == 0.5
    assert combine("陕A00E66", reader, classifier) == "皖A00E66"


def test_unsure():
    first = np.zeros(len(CN_PROVINCES), np.float32)
    assert unsure(first)
    first[3] = SURE - 0.01
    assert unsure(first)
    first[3] = SURE
    assert not unsure(first)


def test_a_valid_chinese_read_the_general_model_is_sure_of_is_kept_without_the_specialist():
    from gated.anpr.routed import GENERAL_SURE

    chinese = FakeOCR({1: "皖A00E66", 2: "皖A00E66", 3: "皖A00E66"})
    given = [("陕A00E66", GENERAL_SURE), ("陕A00E66", GENERAL_SURE - 0.01), ("陕A00E6", 1.0)]
    reads = RoutedOCR(FakeOCR({}), chinese).reread([crop(1), crop(2), crop(3)], given)
    assert reads == [("陕A00E66", GENERAL_SURE), ("皖A00E66", 0.9), ("皖A00E66", 0.9)]
    assert chinese.calls == [([2, 3], False)]  # the unsure one and the invalid one only
