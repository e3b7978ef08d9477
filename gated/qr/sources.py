"""QR from a camera decoded in software, and the debouncing every QR source needs.

:class:`CameraQrSource` implements :class:`gated.devices.interfaces.QrSource`: ``codes()``
yields raw scanned text, untrusted, for :func:`gated.qr.verify`. :class:`Debouncer` (a code
held in front of a camera is one scan, not thirty) is pure and tested on its own. The
serial scanner is ``gated.devices.serial.SerialScanner`` under a ``ScannerLink``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import structlog

from gated.devices.interfaces import FrameSource
from gated.qr.decode import QrDecoder
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
