"""Supervision of the serial devices: the message board and the fixed QR scanner.

Same contract as :class:`~gated.devices.link.IoLink`: health transitions through the
reporter (``device.fault`` within 1 s of losing the device, ``device.recovered`` after),
reconnection with exponential backoff, never an exception into the runtime.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Protocol

import structlog

from gated.devices.interfaces import DeviceError, MessageBoard
from gated.devices.link import Backoff, HealthReporter, Supervised
from gated.devices.serial.board import BoardRefused

log = structlog.get_logger()


class PingableBoard(MessageBoard, Protocol):
    keepalive_s: float

    async def ping(self) -> bytes: ...


class BoardLink(Supervised):
    """Keeps the board showing the latest text and notices within 1 s when it goes away.

    :meth:`show` never blocks on the board: the latest text wins (an older text not yet
    shown is never shown), and it is shown again after a reconnect (the board may have
    lost power). While idle the link pings every ``board.keepalive_s``.
    """

    def __init__(self, board: PingableBoard, reporter: HealthReporter,
                 *, backoff: Backoff = Backoff()) -> None:
        super().__init__(reporter, backoff)
        self.board = board
        self.text: str | None = None
        self.shown: str | None = None
        self._dirty = asyncio.Event()

    async def show(self, text: str) -> None:
        self.text = text
        self._dirty.set()

    async def _connect(self) -> None:
        await self.board.connect()
        self.shown = None

    async def _session(self) -> None:
        await self._healthy()
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._dirty.wait(), self.board.keepalive_s)
            self._dirty.clear()
            self.alive_at = asyncio.get_running_loop().time()
            text = self.text
            if text is not None and text != self.shown:
                await self._show(text)
            else:
                await self.board.ping()
            await self._healthy()

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
                 *, backoff: Backoff = Backoff()) -> None:
        super().__init__(reporter, backoff)
        self.scanner = scanner
        self._on_code = on_code

    async def _connect(self) -> None:
        await self.scanner.connect()

    async def _session(self) -> None:
        await self._healthy()
        async for code in self.scanner.codes():
            log.info("scanner.code", device=self.scanner.name, length=len(code))
            await self._on_code(code)
        raise DeviceError("scanner stream ended")

    async def _after_loss(self) -> None:
        with contextlib.suppress(DeviceError):
            await self.scanner.close()
