"""Link supervision shared by every device: connect, poll, detect loss, back off, recover.

A :class:`Link` owns one driver. It reports health transitions through callbacks so the
runtime can raise ``device.fault`` / ``device.recovered``; it never raises into the
runtime. The backoff is exponential with a cap, reset after a successful connect.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Awaitable, Callable

import structlog

from gated.devices.interfaces import DeviceError, IoModule, LaneInputs, LaneOutputs

log = structlog.get_logger()


@dataclass(frozen=True, slots=True)
class Backoff:
    initial_s: float = 0.2
    factor: float = 2.0
    max_s: float = 10.0

    def delays(self):
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


class IoLink:
    """Polls an :class:`IoModule` and writes its outputs, surviving link loss.

    ``on_inputs`` gets every successful reading (the runtime de-duplicates), so the
    controller learns the lane's state before any output is written (safety rule 7):
    outputs passed to :meth:`write` before the first reading are held back.
    """

    def __init__(
        self,
        module: IoModule,
        reporter: HealthReporter,
        on_inputs: Callable[[LaneInputs], Awaitable[None]],
        *,
        poll_interval_s: float = 0.05,
        backoff: Backoff = Backoff(),
    ) -> None:
        self.module = module
        self.reporter = reporter
        self._on_inputs = on_inputs
        self.poll_interval_s = poll_interval_s
        self.backoff = backoff
        self._connected = False
        self._wanted: LaneOutputs | None = None
        self._written: LaneOutputs | None = None
        self.last_inputs: LaneInputs | None = None
        self.alive_at = time.monotonic()

    @property
    def connected(self) -> bool:
        return self._connected

    async def run(self) -> None:
        delays = self.backoff.delays()
        while True:
            self.alive_at = time.monotonic()
            try:
                if not self._connected:
                    await self.module.connect()
                    self._connected = True
                    self._written = None  # unknown after a reconnect: write again
                    delays = self.backoff.delays()
                await self._poll_once()
            except DeviceError as exc:
                await self._lost(str(exc))
                await asyncio.sleep(next(delays))
                continue
            await asyncio.sleep(self.poll_interval_s)

    async def _poll_once(self) -> None:
        inputs = await self.module.read_inputs()
        await self.reporter.up()  # before the reading, so the lane sees "up" then the inputs
        self.last_inputs = inputs
        await self._on_inputs(inputs)
        await self._flush()

    async def _lost(self, reason: str) -> None:
        self._connected = False
        self.last_inputs = None
        await self.reporter.down(reason)
        try:
            await self.module.close()
        except DeviceError:
            pass

    async def write(self, outputs: LaneOutputs) -> None:
        """Record the wanted outputs and write them now if the link is up."""
        self._wanted = outputs
        if self._connected and self.last_inputs is not None:
            try:
                await self._flush()
            except DeviceError as exc:
                await self._lost(str(exc))

    async def _flush(self) -> None:
        if self._wanted is not None and self._wanted != self._written:
            await self.module.write_outputs(self._wanted)
            self._written = self._wanted
