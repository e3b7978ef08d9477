"""A QR pass in the windscreen is not a plate: the guard finds the code around a box.

The frames are the demo lane's (scripts/demo_world): a truck at the barrier showing a signed
pass at the cab window, its plate on the bumper. The detector now and then boxes a patch of
the code; here the patches are placed by hand, so the test does not depend on when the
shipped detector happens to misfire.
"""

from __future__ import annotations

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gated.anpr.qr_guard import lies_on, on_a_qr, qr_boxes_near, suspect
from gated.anpr.reader import AnprReader, ReaderConfig
from gated.devices.interfaces import PlateRead
from gated.qr.decode import make_decoder
from scripts.demo_world import passes, render
from scripts.anpr.qr_misfires import QR_TRUCKS, misfires
from scripts.demo_world.scenario import DEMO, E2E, FPS, HEIGHT, Pose
from tests.anpr.conftest import needs_fonts

PLATE_Y = (690, 850)  # the plate's rows on the sprite's bumper (sprite pixels)


def truck_frame(scale: float) -> tuple[np.ndarray, tuple[int, int, int, int], tuple[int, int, int, int]]:
    """The declared Chinese truck (signed QR) at ``scale``: frame, pass box, plate-row box."""
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    vehicle = DEMO.vehicles[2]
    sprite = render.truck_sprite(vehicle, passes.qr_text(vehicle, key))
    pose = Pose(2, scale, HEIGHT - 40)
    frame = render.compose(render.background(), sprite, pose)
    x0, y0, _, _ = render.placement(sprite, pose)

    def at(x1: int, y1: int, x2: int, y2: int) -> tuple[int, int, int, int]:
        return (x0 + int(x1 * scale), y0 + int(y1 * scale), x0 + int(x2 * scale), y0 + int(y2 * scale))

    return frame, at(*render.QR_CARD), at(300, PLATE_Y[0], 700, PLATE_Y[1])


def patches(card: tuple[int, int, int, int]) -> list[tuple[int, int, int, int]]:
    """Plate-shaped patches inside the code, like the detector's misfires (centre, upper
    left, lower right)."""
    x1, y1, x2, y2 = card
    w, h = x2 - x1, y2 - y1
    return [(x1 + w // 4, y1 + 3 * h // 8, x1 + 3 * w // 4, y1 + 5 * h // 8),
            (x1 + w // 10, y1 + h // 10, x1 + w // 2, y1 + 3 * h // 10),
            (x1 + w // 2, y1 + 6 * h // 10, x1 + 9 * w // 10, y1 + 9 * h // 10)]


@needs_fonts
@pytest.mark.parametrize("scale", [1.0, 0.8, 0.6])
def test_a_patch_of_the_pass_is_on_a_qr_and_the_plate_is_not(scale):
    frame, card, plate = truck_frame(scale)
    for patch in patches(card):
        assert on_a_qr(frame, patch), (scale, patch)
    assert not on_a_qr(frame, plate)


@needs_fonts
def test_a_code_that_fails_its_error_correction_still_counts():
    """Scribbled over, the pass no longer decodes, but its finder patterns still say QR."""
    frame, card, _ = truck_frame(1.0)
    x1, y1, x2, y2 = card
    w, h = x2 - x1, y2 - y1
    rng = np.random.default_rng(1)
    inner = frame[y1 + h // 4 : y2 - h // 4, x1 + w // 4 : x2 - w // 4]
    inner[:] = rng.choice([0, 255], size=inner.shape[:2])[..., None].astype(np.uint8)
    patch = patches(card)[0]
    assert make_decoder("zxing").decode(frame) == []  # no longer a readable pass
    assert qr_boxes_near(frame, patch)
    assert on_a_qr(frame, patch)


@needs_fonts
def test_a_light_on_dark_code_counts():
    """A phone in dark mode shows the pass light on dark."""
    frame, card, plate = truck_frame(1.0)
    x1, y1, x2, y2 = card
    frame[y1:y2, x1:x2] = 255 - frame[y1:y2, x1:x2]
    assert on_a_qr(frame, patches(card)[0])
    assert not on_a_qr(frame, plate)


def test_plates_without_a_code_are_not_on_one():
    frame = np.full((1080, 1920, 3), 90, np.uint8)
    frame[500:560, 800:1100] = 230
    assert qr_boxes_near(frame, (800, 500, 1100, 560)) == []
    assert not on_a_qr(frame, (800, 500, 1100, 560))
    assert not on_a_qr(frame[:10, :10], (0, 0, 10, 10))  # a region too small for any code


def test_lies_on_is_about_the_box_centre():
    code = (100, 100, 200, 200)
    assert lies_on((120, 140, 180, 160), code)
    assert lies_on((150, 195, 250, 215), code)  # centre 205: within the 10% margin
    assert not lies_on((150, 200, 250, 230), code)  # centre 215: outside
    assert not lies_on((0, 0, 60, 20), code)


@needs_fonts
def test_the_reader_drops_a_read_on_the_pass_and_keeps_the_plate(monkeypatch):
    """Whatever the OCR makes of a patch of the code, the read does not leave the reader."""
    frame, card, plate = truck_frame(1.0)
    on_code = patches(card)[0]
    fake = [PlateRead("沪A38462", 0.31, on_code), PlateRead("桂A12345", 0.99, plate)]
    for guarded in (True, False):
        r = AnprReader(config=ReaderConfig(qr_guard=guarded))
        monkeypatch.setattr(r, "_read_boxes", lambda image, boxes: list(fake))
        texts = sorted(p.text for p in r.read(frame))
        assert texts == (["桂A12345"] if guarded else sorted(["沪A38462", "桂A12345"]))


def test_only_unsure_reads_are_checked():
    """The check costs ~1 ms a read; a patch of a code is read with every character unsure."""
    assert suspect(0.31) and suspect(0.79)
    assert not suspect(0.8) and not suspect(0.99)


class ReadsEverything:
    """Stands in for the reader: one fixed read per frame, plus the truck's plate."""

    def __init__(self) -> None:
        self.frames = 0

    def read(self, frame):
        self.frames += 1
        return [PlateRead("沪A38462", 0.31, (0, 0, 10, 10)), PlateRead("桂A12345", 0.99, (0, 0, 10, 10))]


@needs_fonts
def test_the_misfire_count_reads_every_second_frame_of_the_qr_trucks_only():
    reader = ReadsEverything()
    found = misfires(reader, Ed25519PrivateKey.from_private_bytes(bytes(32)))
    wanted = [i for i in range(0, E2E.frames, 2)
              if (at := E2E.vehicle_at(i / FPS)) and at[0] in QR_TRUCKS]
    assert reader.frames == len(wanted) > 0
    assert [(i, t) for i, t, _ in found] == [(i, "沪A38462") for i in wanted]
