"""Link supervision shared by every device: connect, poll, detect loss, back off, recover.

A link owns one driver. It reports health transitions through callbacks so the runtime
can raise ``device.fault`` / ``device.recovered``; it never raises into the runtime. The
backoff is exponential with a cap, reset after the device answered properly again.

:class:`IoLink` supervises the lane's I/O module (this module); the serial message board
and QR scanner links are in :mod:`gated.devices.link_serial`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, replace

import structlog

from gated.devices.interfaces import DeviceError, IoModule, LaneInputs, LaneOutputs

log = structlog.get_logger()

#: Rule 3: what the outputs fall back to when the link is lost (drive neither barrier
#: contact, red light). Written where the hardware still answers, and after recovery
#: until the runtime writes the controller's outputs again.
SAFE_OUTPUTS = LaneOutputs(barrier="hold", light="red")


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


def interlock(wanted: LaneOutputs, inputs: LaneInputs) -> tuple[LaneOutputs, str | None]:
    """Defence in depth for safety rules 1 and 2, whatever the controller asked.

    A close while the safety loop is occupied becomes ``hold`` and is reported (the
    caller drops it: the controller must command it again after ``clear_delay``). Green
    shows only while the open limit switch confirms the barrier open; red otherwise.
    """
    refused = None
    if wanted.barrier == "close" and inputs.safety:
        wanted, refused = replace(wanted, barrier="hold"), "close refused: safety loop occupied"
    if wanted.light == "green" and not inputs.open_limit:
        wanted = replace(wanted, light="red")
    return wanted, refused


class Supervised:
    """Connect, run a session until it fails, report, back off, reconnect; forever.

    Subclasses give ``_connect`` (raise :class:`DeviceError` to retry later),
    ``_session`` (returns only by raising) and ``_after_loss`` (clean up, best effort).
    """

    def __init__(self, reporter: HealthReporter, backoff: Backoff) -> None:
        self.reporter = reporter
        self.backoff = backoff
        self._delays = backoff.delays()
        self._connected = False
        self.alive_at = time.monotonic()

    @property
    def connected(self) -> bool:
        return self._connected

    async def run(self) -> None:
        while True:
            self.alive_at = time.monotonic()
            try:
                if not self._connected:
                    await self._connect()
                    self._connected = True
                await self._session()
            except DeviceError as exc:
                self._connected = False
                await self.reporter.down(str(exc))
                await self._after_loss()
            await asyncio.sleep(next(self._delays))

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


class IoLink(Supervised):
    """Polls an :class:`IoModule` and writes its outputs, surviving link loss.

    ``on_inputs`` gets every successful reading (the runtime de-duplicates), so the
    controller learns the lane's state before any output is written (safety rule 7):
    outputs passed to :meth:`write` before the first reading are held back.

    A failed poll is retried at the poll interval; the link is declared lost (fault,
    safe outputs, reconnect with backoff) once no valid reading came for
    ``fault_after_s``, or at once when the driver reports its transport gone
    (``module.link_up`` false). After a loss the wanted outputs are :data:`SAFE_OUTPUTS`
    until the runtime writes again (no stale command is replayed, rule 4).
    """

    def __init__(
        self,
        module: IoModule,
        reporter: HealthReporter,
        on_inputs: Callable[[LaneInputs], Awaitable[None]],
        *,
        poll_interval_s: float = 0.05,
        backoff: Backoff = Backoff(),
        fault_after_s: float = 0.5,
    ) -> None:
        super().__init__(reporter, backoff)
        self.module = module
        self._on_inputs = on_inputs
        self.poll_interval_s = poll_interval_s
        self.fault_after_s = fault_after_s
        self._wanted: LaneOutputs | None = None
        self._written: LaneOutputs | None = None
        self.last_inputs: LaneInputs | None = None

    @property
    def wanted(self) -> LaneOutputs | None:
        return self._wanted

    @property
    def written(self) -> LaneOutputs | None:
        """The outputs as last written to the module (after the interlock)."""
        return self._written

    async def _connect(self) -> None:
        await self.module.connect()
        self._written = None

    async def _session(self) -> None:
        last_ok, reason = time.monotonic(), "no reading yet"
        while True:
            self.alive_at = time.monotonic()
            budget = last_ok + self.fault_after_s - self.alive_at
            if budget <= 0:
                raise DeviceError(f"no valid reply for {self.fault_after_s:.1f} s: {reason}")
            try:
                await asyncio.wait_for(self._poll_once(), timeout=budget)
            except TimeoutError:
                raise DeviceError(f"no valid reply for {self.fault_after_s:.1f} s: {reason}") from None
            except DeviceError as exc:
                if not getattr(self.module, "link_up", True):
                    raise
                reason = str(exc)
            else:
                last_ok = time.monotonic()
                await self._healthy()
            await asyncio.sleep(self.poll_interval_s)

    async def _poll_once(self) -> None:
        inputs = await self.module.read_inputs()
        self.last_inputs = inputs
        await self._on_inputs(inputs)
        await self._flush()

    async def _after_loss(self) -> None:
        self.last_inputs = None
        self._wanted = SAFE_OUTPUTS
        try:  # rule 3: safe state where the hardware still answers
            await asyncio.wait_for(self.module.write_outputs(SAFE_OUTPUTS), timeout=0.3)
        except (TimeoutError, DeviceError):
            pass
        self._written = None
        try:
            await self.module.close()
        except DeviceError:
            pass

    async def write(self, outputs: LaneOutputs) -> None:
        """Record the wanted outputs and write them now if the link is up.

        A failed write is retried with the next poll (the poll decides about faults)."""
        self._wanted = outputs
        if self._connected and self.last_inputs is not None:
            try:
                await self._flush()
            except DeviceError:
                self._written = None

    async def _flush(self) -> None:
        if self._wanted is None or self.last_inputs is None:
            return
        effective, refused = interlock(self._wanted, self.last_inputs)
        if refused:
            log.warning("io.interlock", device=self.reporter.health.name, reason=refused)
            self._wanted = replace(self._wanted, barrier="hold")
        if effective != self._written:
            self._written = None
            await self.module.write_outputs(effective)
            self._written = effective
