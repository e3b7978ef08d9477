"""QR sources: debouncing, scanner line splitting, and both sources end to end on fakes."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest
import serial

from gated.devices.interfaces import DeviceError, Frame
from gated.qr.decode import make_decoder
from gated.qr.encode import bitmap
from gated.qr.sources import CameraQrSource, Debouncer, LineSplitter, SerialQrSource


def test_debouncer_accepts_a_held_code_once() -> None:
    d = Debouncer(quiet_s=3.0)
    seen = [d.accept("GPR:A", t) for t in (0.0, 0.1, 2.0, 4.9)]
    assert seen == [True, False, False, False]  # seen continuously: one scan
    assert d.accept("GPR:A", 8.0) is True  # shown again after a pause
    assert d.accept("GPR:B", 8.1) is True


def test_line_splitter_handles_cr_lf_crlf_and_partial_reads() -> None:
    s = LineSplitter()
    assert s.feed(b"GPR:P-1\rGPR:P") == ["GPR:P-1"]
    assert s.feed(b"-2\r\n\r\nGPR:P-3\n") == ["GPR:P-2", "GPR:P-3"]
    assert s.feed(b"\xff\xfe\r") == ["\ufffd\ufffd"]


def test_overlong_scan_is_dropped_whole_not_split() -> None:
    s = LineSplitter(max_bytes=8)
    assert s.feed(b"GPR:" + b"A" * 20 + b"\rGPR:ok\r") == ["GPR:ok"]
    assert s.overlong == 1


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


def test_serial_source_reads_lines_from_a_port() -> None:
    port = serial.serial_for_url("loop://", timeout=0.05)
    port.write(b"GPR:P-1\rGPR:P-1\rGPR:P-2\r")
    source = SerialQrSource("gate", "loop://", opener=lambda url, baud: port)
    assert asyncio.run(_first(source, 2)) == ["GPR:P-1", "GPR:P-2"]


def test_serial_source_reports_a_missing_port_as_a_device_error() -> None:
    source = SerialQrSource("gate", "/dev/ttyNOPE9")
    with pytest.raises(DeviceError, match="cannot open"):
        asyncio.run(_first(source))
