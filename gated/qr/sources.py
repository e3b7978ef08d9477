"""QR sources for the runtime: a camera decoded in software, and a serial scanner.

Both implement :class:`gated.devices.interfaces.QrSource`: ``codes()`` yields raw scanned
text, untrusted, for :func:`gated.qr.verify`. The pure parts are separate and tested on
their own: :class:`Debouncer` (a code held in front of a camera is one scan, not thirty)
and :class:`LineSplitter` (scanner bytes to CR/LF-terminated lines, bounded).
Link loss raises :class:`~gated.devices.interfaces.DeviceError` for the runtime's
supervision (``device.fault`` / ``device.recovered``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import structlog

from gated.devices.interfaces import DeviceError, FrameSource
from gated.qr.decode import QrDecoder
from gated.qr.formats import MAX_TEXT
from gated.qr.safe_text import safe

log = structlog.get_logger()


class Debouncer:
    """Accept a text once, then again only after it has been out of sight for ``quiet_s``."""

    def __init__(self, quiet_s: float = 3.0) -> None:
        self.quiet_s = quiet_s
        self._last_seen: dict[str, float] = {}

    def accept(self, text: str, now: float) -> bool:
        last = self._last_seen.get(text)
        self._last_seen[text] = now
        for old in [t for t, seen in self._last_seen.items() if now - seen > self.quiet_s]:
            del self._last_seen[old]
        return last is None or now - last > self.quiet_s


class LineSplitter:
    """Bytes from a scanner to text lines (CR, LF or CRLF), each at most ``max_bytes``.

    An overlong line is dropped whole, up to its terminator (``overlong`` counts them),
    rather than cut into pieces that could each look like something.
    """

    def __init__(self, max_bytes: int = MAX_TEXT * 2) -> None:
        self.max_bytes = max_bytes
        self._buf = bytearray()
        self._skipping = False
        self.overlong = 0

    def feed(self, data: bytes) -> list[str]:
        lines: list[str] = []
        for byte in data:
            if byte in (0x0D, 0x0A):
                if self._buf and not self._skipping:
                    lines.append(self._buf.decode("utf-8", errors="replace"))
                self._buf.clear()
                self._skipping = False
            elif not self._skipping:
                self._buf.append(byte)
                if len(self._buf) > self.max_bytes:
                    self._buf.clear()
                    self._skipping = True
                    self.overlong += 1
        return lines


class CameraQrSource:
    """Decodes the camera's latest frame every ``interval_s`` (off the event loop)."""

    def __init__(
        self,
        name: str,
        frames: FrameSource,
        decoder: QrDecoder,
        interval_s: float = 0.1,
        quiet_s: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._frames, self._decoder = frames, decoder
        self._interval_s, self._clock = interval_s, clock
        self._debounce = Debouncer(quiet_s)

    async def codes(self) -> AsyncIterator[str]:
        last_index = None
        while True:
            frame = self._frames.latest()
            if frame is not None and frame.index != last_index:
                last_index = frame.index
                for code in await asyncio.to_thread(self._decoder.decode, frame.image):
                    if self._debounce.accept(code.text, self._clock()):
                        log.info("qr.scanned", source=self.name, text=safe(code.text, 60))
                        yield code.text
            await asyncio.sleep(self._interval_s)


def _serial_for_url(url: str, baudrate: int) -> Any:
    import serial  # type: ignore[import-untyped]

    return serial.serial_for_url(url, baudrate=baudrate, timeout=0.2)


class SerialQrSource:
    """A fixed scanner on a serial port (or any pyserial URL) sending text and a CR."""

    def __init__(
        self,
        name: str,
        url: str,
        baudrate: int = 9600,
        opener: Callable[[str, int], Any] = _serial_for_url,
        quiet_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name, self.url, self.baudrate = name, url, baudrate
        self._opener, self._clock = opener, clock
        self._debounce = Debouncer(quiet_s)

    def _open(self) -> Any:
        try:
            return self._opener(self.url, self.baudrate)
        except Exception as exc:  # pyserial raises SerialException / OSError / ValueError
            raise DeviceError(f"cannot open {self.url}: {exc}") from exc

    @staticmethod
    def _read(port: Any) -> bytes:
        try:
            return bytes(port.read(512))
        except Exception as exc:
            raise DeviceError(f"serial read failed: {exc}") from exc

    async def codes(self) -> AsyncIterator[str]:
        port = await asyncio.to_thread(self._open)
        splitter = LineSplitter()
        try:
            while True:
                chunk = await asyncio.to_thread(self._read, port)
                for line in splitter.feed(chunk):
                    if self._debounce.accept(line, self._clock()):
                        log.info("qr.scanned", source=self.name, text=safe(line, 60))
                        yield line
                if splitter.overlong:
                    log.warning("qr.overlong_scan", source=self.name, count=splitter.overlong)
                    splitter.overlong = 0
        finally:
            port.close()
