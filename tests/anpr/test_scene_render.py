"""The detector's training scenes: QR passes as negatives, and the stream kept without them."""

from __future__ import annotations

import random

import numpy as np

from gated.qr.decode import make_decoder
from scripts.anpr.scene_render import H, W, _qr_card, scene
from tests.anpr.conftest import needs_fonts


@needs_fonts
def test_without_passes_the_stream_is_the_shipped_detectors():
    """``qr_share=0`` draws nothing more from the random stream: the same scenes as before
    the option (the shipped detector's and the evaluation's rendered scenes)."""
    a, b = random.Random(5), random.Random(5)
    for _ in range(5):
        img_a, boxes_a, labels_a = scene(a)
        img_b, boxes_b, labels_b = scene(b, qr_share=0.0)
        assert np.array_equal(img_a, img_b) and np.array_equal(boxes_a, boxes_b) and labels_a == labels_b


def test_a_pass_is_a_real_code_the_size_of_a_plate_inside_its_region():
    """The card is a QR code (zxing decodes it when drawn large), 0.5-1.6 plate widths wide,
    within the vehicle's front."""
    rng = random.Random(3)
    decoder = make_decoder("zxing")
    for _ in range(12):
        img = np.full((900, 1200, 3), 128, np.uint8)
        _qr_card(img, rng, (100, 50, 1100, 850), pw=400)
        ys, xs = np.nonzero(img[:, :, 0] != 128)
        side = xs.max() - xs.min() + 1
        assert 100 <= xs.min() and xs.max() < 1100 and 50 <= ys.min() and ys.max() < 850
        assert 0.5 * 400 - 1 <= side <= 1.6 * 400 + 1
        assert decoder.decode(img), "the card is no QR code"


def test_scenes_with_passes_label_only_the_plates():
    rng = random.Random(7)
    for _ in range(10):
        img, boxes, labels = scene(rng, qr_share=1.0)
        assert img.shape == (H, W, 3) and len(boxes) == len(labels)


def _saturation(img: np.ndarray) -> float:
    import cv2

    return float(cv2.cvtColor(img, cv2.COLOR_BGR2HSV)[..., 1].mean())


@needs_fonts
def test_photo_scenes_are_less_saturated_and_keep_the_same_plates():
    """The photograph-like style changes the drawing, not what is labelled: the same random
    stream gives the same plates in the same places, in duller surroundings (most real cars
    and streets are grey, white or black)."""
    from scripts.anpr.scene_render import CAR_COLOURS

    assert abs(sum(share for _, share in CAR_COLOURS) - 1.0) < 1e-9
    default, photo = [], []
    for seed in range(12):
        img_a, boxes_a, labels_a = scene(random.Random(seed))
        img_b, boxes_b, labels_b = scene(random.Random(seed), photo=True)
        assert labels_a == labels_b and np.array_equal(boxes_a, boxes_b)
        assert img_b.shape == (H, W, 3)
        default.append(_saturation(img_a))
        photo.append(_saturation(img_b))
    assert np.mean(photo) < 0.8 * np.mean(default)


@needs_fonts
def test_info_says_what_each_frame_and_plate_shows():
    rng = random.Random(11)
    lights = set()
    for _ in range(20):
        info: dict = {}
        img, boxes, labels = scene(rng, info=info)
        lights.add(info["light"])
        assert info["light"] in ("day", "night", "ir") and isinstance(info["blurred"], bool)
        assert len(info["plates"]) == len(labels) == len(boxes)
        for plate, box in zip(info["plates"], boxes):
            quad = np.array(plate["quad"])
            assert np.allclose([*quad.min(0), *quad.max(0)], box, atol=1.0)
            assert plate["colour"] in ("white", "yellow", "blue", "green") and plate["kind"]
    assert "day" in lights and len(lights) >= 2
