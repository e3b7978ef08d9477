"""Supervision of the serial devices: the message board and the fixed QR scanner.

Same contract as :class:`~gated.devices.link.IoLink`: health transitions through the
reporter (``device.fault`` within 1 s of losing the device, ``device.recovered`` after),
reconnection with exponential backoff, never an exception into the runtime.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

import structlog

from gated.devices.interfaces import DeviceError, MessageBoard
from gated.devices.serial.board import BoardRefused
from gated.devices.supervision import Backoff, HealthReporter, Supervised, raise_if_cancelled

log = structlog.get_logger()


IDLE_RECHECK_S = 5.0  # boards without a ping: how often the link wakes up anyway


class BoardLink(Supervised):
    """Keeps the board showing the latest text and notices within 1 s when it goes away.

    :meth:`show` never blocks on the board: the latest text wins (an older text not yet
    shown is never shown), and it is shown again after a reconnect (the board may have
    lost power). While idle the link pings a board that can (``ping()`` and
    ``keepalive_s``, as :class:`~gated.devices.serial.SerialBoard`) every keepalive.
    """

    def __init__(self, board: MessageBoard, reporter: HealthReporter,
                 backoff: Backoff | None = None) -> None:
        super().__init__(reporter, backoff)
        self.board = board
        self.text: str | None = None
        self.shown: str | None = None
        self._dirty = asyncio.Event()

    def show(self, text: str) -> None:
        self.text = text
        self._dirty.set()

    async def _connect(self) -> None:
        await self.board.connect()
        self.shown = None

    async def _session(self) -> None:
        ping = getattr(self.board, "ping", None)
        idle_s = getattr(self.board, "keepalive_s", IDLE_RECHECK_S) if ping else IDLE_RECHECK_S
        while True:
            raise_if_cancelled()
            text = self.text
            if text is not None and text != self.shown:
                await self._show(text)
            elif ping is not None:
                await ping()
            await self._healthy()
            self.alive_at = time.monotonic()
            self._dirty.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(idle_s):
                    await self._dirty.wait()

    async def _show(self, text: str) -> None:
        try:
            await self.board.show(text)
        except BoardRefused as exc:  # alive, but it will never take this text
            log.warning("board.refused", device=self.board.name, reason=str(exc))
        self.shown = text

    async def _after_loss(self) -> None:
        with contextlib.suppress(DeviceError):
            await self.board.close()


class Scanner(Protocol):
    name: str

    async def connect(self) -> None: ...

    async def close(self) -> None: ...

    def codes(self): ...


class ScannerLink(Supervised):
    """Reads codes from a scanner and hands each raw line to ``on_code``.

    A scanner is silent between vehicles, so loss is noticed from the port itself
    (read error, device node gone), which the port checks every 0.25 s.
    """

    def __init__(self, scanner: Scanner, reporter: HealthReporter,
                 on_code: Callable[[str], Awaitable[None]],
                 *, backoff: Backoff | None = None) -> None:
        super().__init__(reporter, backoff)
        self.scanner = scanner
        self._on_code = on_code

    async def _connect(self) -> None:
        await self.scanner.connect()

    async def _session(self) -> None:
        await self._healthy()
        async for code in self.scanner.codes():
            raise_if_cancelled()
            log.info("scanner.code", device=self.scanner.name, length=len(code))
            await self._on_code(code)
        raise DeviceError("scanner stream ended")

    async def _after_loss(self) -> None:
        with contextlib.suppress(DeviceError):
            await self.scanner.close()
