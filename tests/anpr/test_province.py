"""The province classifier behind the Chinese specialist (gated.anpr.province), with the
shipped models: its input is the OCR's, the specialist hands over its first character's
probabilities, and together they read rendered Chinese plates' provinces."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from fast_plate_ocr.core.process import resize_image

from gated.anpr.models import OCR_CN_FILE, OCR_CONFIG_FILE, PROVINCE_FILE, models_dir
from gated.anpr.ocr import PlateOCR
from gated.anpr.province import ProvinceClassifier, model_input
from gated.anpr.reader import open_ocr
from gated.core.plates import CN_PROVINCES
from tests.anpr.conftest import needs_fonts
from tests.anpr.helpers import rendered_crops


@pytest.fixture(scope="module")
def specialist() -> PlateOCR:
    return PlateOCR(models_dir() / OCR_CN_FILE, models_dir() / OCR_CONFIG_FILE)


def test_the_classifier_sees_exactly_what_the_ocr_sees():
    rng = np.random.default_rng(0)
    crop = rng.integers(0, 256, (37, 151, 3), np.uint8)
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    ours = model_input([crop], (64, 128))[0]
    theirs = resize_image(grey, 64, 128, "grayscale", False, "linear")
    assert ours.shape == (64, 128, 1) and np.array_equal(ours, theirs.reshape(64, 128, 1))


@needs_fonts
def test_the_specialist_hands_over_its_first_characters_province_probabilities(specialist):
    crops, _ = rendered_crops("cn1", 6, seed=3)
    reads, first = specialist.read_with_provinces(crops)
    assert reads == specialist.read(crops) and first.shape == (6, len(CN_PROVINCES))
    assert np.all(first >= 0) and np.all(first.sum(1) <= 1.0001)
    for (text, _), probs in zip(reads, first):
        if text and text[0] in CN_PROVINCES:
            assert CN_PROVINCES[int(probs.argmax())] == text[0]
    empty_reads, empty = specialist.read_with_provinces([])
    assert empty_reads == [] and empty.shape == (0, len(CN_PROVINCES))


shipped = pytest.mark.skipif(not (models_dir() / PROVINCE_FILE).exists(), reason="no province classifier shipped")


@shipped
@needs_fonts
def test_the_shipped_classifier_reads_rendered_provinces(specialist):
    classifier = ProvinceClassifier(models_dir() / PROVINCE_FILE)
    cfg = specialist.recognizer.config
    assert classifier.size == (cfg.img_height, cfg.img_width)  # the OCR's input, from the model itself
    crops, labels = [], []
    for kind, seed in (("cn1", 11), ("cn2", 12), ("cn_trailer", 13)):
        c, l = rendered_crops(kind, 20, seed)
        crops += c
        labels += l
    probs = classifier.probs(crops)
    assert probs.shape == (60, len(CN_PROVINCES)) and np.allclose(probs.sum(1), 1.0, atol=1e-4)
    right = sum(CN_PROVINCES[int(p.argmax())] == label[0] for p, label in zip(probs, labels))
    assert right >= 50, f"{right}/60 provinces"  # the shipped model (P1, int8): 56 of 60


@shipped
def test_the_reader_puts_the_classifier_behind_the_specialist(tmp_path):
    assert open_ocr(models_dir()).province is not None
    for name in ("plate_det.onnx", "plate_ocr.onnx", OCR_CONFIG_FILE, PROVINCE_FILE):
        (tmp_path / name).symlink_to(models_dir() / name)
    assert open_ocr(tmp_path).province is None  # no specialist, nothing to second
