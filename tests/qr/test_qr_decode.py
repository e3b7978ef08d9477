"""Decoding frames: the right texts and boxes, both backends, and nothing from look-alikes."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import cv2
import numpy as np
import pytest

from gated.qr.decode import QrDecoder, make_decoder, to_gray
from gated.qr.encode import bitmap

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def _render() -> ModuleType:
    spec = importlib.util.spec_from_file_location("render_qr_set", SCRIPTS / "render_qr_set.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["render_qr_set"] = module
    spec.loader.exec_module(module)
    return module


render = _render()


@pytest.fixture(scope="module", params=["zxing", "zbar"])
def decoder(request: pytest.FixtureRequest) -> QrDecoder:
    return make_decoder(request.param)


def _frame_with_code(text: str, x: int, y: int, px: int = 6) -> np.ndarray:
    frame = np.full((1080, 1920, 3), 90, np.uint8)
    code = bitmap(text, px)
    frame[y : y + code.shape[0], x : x + code.shape[1]] = code[..., None]
    return frame


def test_text_and_box_of_a_plain_code(decoder: QrDecoder) -> None:
    frame = _frame_with_code("GPR:P-2026-000123", 700, 300)
    (code,) = decoder.decode(frame)
    assert code.text == "GPR:P-2026-000123"
    x1, y1, x2, y2 = code.box
    side = (25 + 8) * 6  # version 2 plus quiet zone, 6 px per module
    inner = (700 + 24, 300 + 24, 700 + side - 24, 300 + side - 24)  # symbol without quiet zone
    # Backends report corners up to two modules inside the symbol's edge.
    assert all(abs(a - b) <= 2 * 6 + 2 for a, b in zip((x1, y1, x2, y2), inner))
    assert code.as_json() == {"text": code.text, "box": [x1, y1, x2, y2]}


@pytest.mark.parametrize("kind", ["clean", "rotation", "multi", "low_contrast"])
def test_rendered_distortions_decode_to_exactly_the_texts_shown(
    decoder: QrDecoder, kind: str
) -> None:
    frame, texts = render.render_frame(kind, seed=7)
    assert {c.text for c in decoder.decode(frame)} == set(texts)


def test_strong_perspective_decodes_with_zxing() -> None:
    """zbar finds a third of these (README, "QR passes"); zxing nearly all."""
    frame, texts = render.render_frame("perspective", seed=7)
    assert [c.text for c in make_decoder("zxing").decode(frame)] == texts


def test_dark_mode_needs_zxing() -> None:
    frame, texts = render.render_frame("dark_mode", seed=3)
    assert [c.text for c in make_decoder("zxing").decode(frame)] == texts
    assert make_decoder("zbar").decode(frame) == []  # why zxing is the default


@pytest.mark.parametrize("seed", range(4))
def test_frames_without_a_code_never_decode(decoder: QrDecoder, seed: int) -> None:
    frame, texts = render.render_frame("none", seed)
    assert texts == [] and decoder.decode(frame) == []


def test_noise_and_blank_frames_decode_to_nothing(decoder: QrDecoder) -> None:
    rng = np.random.default_rng(5)
    noise = rng.integers(0, 256, (1080, 1920), dtype=np.uint8)
    assert decoder.decode(noise) == []
    assert decoder.decode(np.zeros((1080, 1920, 3), np.uint8)) == []


def test_fallback_chain_uses_the_second_backend_only_when_the_first_finds_nothing() -> None:
    chain = make_decoder("zxing+zbar")
    frame = _frame_with_code("GPR:P-1", 100, 100)
    assert [c.backend for c in chain.decode(frame)] == ["zxing"]
    assert chain.name == "zxing+zbar"


@pytest.mark.parametrize(
    "image",
    [np.zeros((10, 10), np.float32), np.zeros((10,), np.uint8), np.zeros((4, 4, 2), np.uint8)],
)
def test_bad_frames_are_a_clear_error(image: np.ndarray) -> None:
    with pytest.raises(ValueError, match="frame"):
        to_gray(image)


def test_bgra_and_grey_frames_are_accepted() -> None:
    frame = _frame_with_code("GPR:P-2", 50, 50)
    dec = make_decoder("zxing")
    assert dec.decode(cv2.cvtColor(frame, cv2.COLOR_BGR2BGRA))[0].text == "GPR:P-2"
    assert dec.decode(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))[0].text == "GPR:P-2"


def test_unknown_backend_is_named() -> None:
    with pytest.raises(ValueError, match="unknown QR backend 'zebra'"):
        make_decoder("zebra")
