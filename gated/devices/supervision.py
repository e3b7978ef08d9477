"""Supervision shared by every device link: health, transitions, backoff, reconnect loop.

A link owns one driver. It reports health transitions through callbacks so the runtime
can raise ``device.fault`` / ``device.recovered``; it never raises into the runtime. The
backoff is exponential with a cap, reset after the device answered properly again.
The links themselves are in :mod:`gated.devices.link` (I/O module) and
:mod:`gated.devices.link_serial` (message board, QR scanner); import them from
:mod:`gated.devices.link`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

import structlog

from gated.devices.interfaces import DeviceError

log = structlog.get_logger()


def raise_if_cancelled() -> None:
    """Honour a cancellation that a library swallowed on the way.

    Python 3.11's ``asyncio.wait_for`` (used inside pymodbus) returns the result instead
    of raising when the cancel and the result arrive together; the task's ``cancelling()``
    count still says it was asked to stop. Without this a cancelled link could poll on.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


@dataclass(frozen=True, slots=True)
class Backoff:
    initial_s: float = 0.2
    factor: float = 2.0
    max_s: float = 10.0

    def delays(self) -> Iterator[float]:
        d = self.initial_s
        while True:
            yield d
            d = min(d * self.factor, self.max_s)


@dataclass
class Health:
    """What the lane and ``gatectl status`` show for a device."""

    name: str
    kind: str
    ok: bool = False
    detail: str = "not connected yet"
    since: float = 0.0  # wall clock of the last transition
    faults: int = 0

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "ok": self.ok,
            "detail": self.detail,
            "since": self.since,
            "faults": self.faults,
        }


class HealthReporter:
    """Tracks one device's health and calls back only on transitions."""

    def __init__(
        self,
        health: Health,
        on_fault: Callable[[str, str], Awaitable[None]],
        on_recovered: Callable[[str], Awaitable[None]],
    ) -> None:
        self.health = health
        self._on_fault = on_fault
        self._on_recovered = on_recovered
        self._reported_fault = False

    async def up(self, detail: str = "ok") -> None:
        h = self.health
        was_faulty = self._reported_fault
        if h.ok and not was_faulty and h.detail == detail:
            return
        h.ok, h.detail, h.since = True, detail, time.time()
        self._reported_fault = False
        if was_faulty:
            log.info("device.recovered", device=h.name)
            await self._on_recovered(h.name)

    async def down(self, reason: str) -> None:
        h = self.health
        if self._reported_fault and h.detail == reason:
            return
        first = not self._reported_fault
        h.ok, h.detail, h.since = False, reason, time.time()
        self._reported_fault = True
        if first:
            h.faults += 1
            log.warning("device.fault", device=h.name, reason=reason)
            await self._on_fault(h.name, reason)


class Supervised:
    """Connect, run a session until it fails, report, back off, reconnect; forever.

    Subclasses give ``_connect`` (raise :class:`DeviceError` to retry later),
    ``_session`` (returns only by raising) and ``_after_loss`` (clean up, best effort).
    """

    def __init__(self, reporter: HealthReporter, backoff: Backoff | None = None) -> None:
        self.reporter = reporter
        self.backoff = backoff = backoff or Backoff()
        self._delays = backoff.delays()
        self._connected = False
        self.alive_at = time.monotonic()

    @property
    def connected(self) -> bool:
        return self._connected

    async def run(self) -> None:
        while True:
            raise_if_cancelled()
            self.alive_at = time.monotonic()
            try:
                if not self._connected:
                    await self._connect()
                    self._connected = True
                await self._session()
            except DeviceError as exc:
                await self._lose(str(exc))
            except Exception as exc:  # a driver bug must not end supervision silently
                log.exception("device.driver_error", device=self.reporter.health.name)
                await self._lose(f"driver error: {exc!r}")
            await asyncio.sleep(next(self._delays))

    async def _lose(self, reason: str) -> None:
        self._connected = False
        await self.reporter.down(reason)
        try:
            await self._after_loss()
        except Exception:  # best effort: the device is gone anyway
            log.exception("device.cleanup_failed", device=self.reporter.health.name)

    async def _healthy(self) -> None:
        """The device answered properly: report it and reset the backoff."""
        self._delays = self.backoff.delays()
        await self.reporter.up()

    async def _connect(self) -> None:
        raise NotImplementedError

    async def _session(self) -> None:
        raise NotImplementedError

    async def _after_loss(self) -> None:
        raise NotImplementedError
