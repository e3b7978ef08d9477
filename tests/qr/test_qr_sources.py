"""QR sources: debouncing, and the camera source end to end on a fake camera."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np

from gated.devices.interfaces import Frame
from gated.qr.decode import make_decoder
from gated.qr.encode import bitmap
from gated.qr.sources import CameraQrSource, Debouncer


def test_debouncer_accepts_a_held_code_once() -> None:
    d = Debouncer(quiet_s=3.0)
    seen = [d.accept("GPR:A", t) for t in (0.0, 0.1, 2.0, 4.9)]
    assert seen == [True, False, False, False]  # seen continuously: one scan
    assert d.accept("GPR:A", 8.0) is True  # shown again after a pause
    assert d.accept("GPR:B", 8.1) is True


class _Frames:
    name = "cab"

    def __init__(self, image: np.ndarray) -> None:
        self.frame = Frame("cab", 1, 0.0, image)

    async def start(self) -> None: ...

    def latest(self) -> Frame:
        return self.frame

    async def stop(self) -> None: ...


async def _first(source: Any, n: int = 1) -> list[str]:
    out: list[str] = []

    async def collect() -> None:
        async for text in source.codes():
            out.append(text)
            if len(out) == n:
                return

    await asyncio.wait_for(collect(), timeout=10)
    return out


def test_camera_source_yields_decoded_text() -> None:
    image = np.full((720, 1280), 120, np.uint8)
    code = bitmap("GPR:P-2026-000123", 6)
    image[100 : 100 + code.shape[0], 200 : 200 + code.shape[1]] = code
    source = CameraQrSource("cab", _Frames(image), make_decoder("zxing"), interval_s=0.01)
    assert asyncio.run(_first(source)) == ["GPR:P-2026-000123"]
