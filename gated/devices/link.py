"""Link supervision of the lane's devices: connect, poll, detect loss, back off, recover.

:class:`IoLink` supervises the I/O module. :class:`BoardLink` and :class:`ScannerLink`
(defined in :mod:`gated.devices.link_serial`) and the shared pieces (:class:`Backoff`,
:class:`Health`, :class:`HealthReporter`, in :mod:`gated.devices.supervision`) are
importable from here too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

import structlog

from gated.devices.interfaces import DeviceError, IoModule, LaneInputs, LaneOutputs
from gated.devices.link_serial import BoardLink, ScannerLink
from gated.devices.supervision import (
    Backoff,
    Health,
    HealthReporter,
    Supervised,
    raise_if_cancelled,
)

__all__ = ["SAFE_OUTPUTS", "Backoff", "BoardLink", "Health", "HealthReporter", "IoLink",
           "ScannerLink", "interlock"]

log = structlog.get_logger()

#: Rule 3: what the outputs fall back to when the link is lost (drive neither barrier
#: contact, red light). Written where the hardware still answers, and after recovery
#: until the runtime writes the controller's outputs again.
SAFE_OUTPUTS = LaneOutputs(barrier="hold", light="red")


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
        backoff: Backoff | None = None,
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
            raise_if_cancelled()
            try:
                async with asyncio.timeout(budget):
                    await self._poll_once()
            except TimeoutError:
                raise DeviceError(f"no valid reply for {self.fault_after_s:.1f} s: {reason}") from None
            except DeviceError as exc:
                if not getattr(self.module, "link_up", True):
                    raise
                reason = str(exc)
            else:
                last_ok = time.monotonic()
            await asyncio.sleep(self.poll_interval_s)

    async def _poll_once(self) -> None:
        inputs = await self.module.read_inputs()
        await self._healthy()  # before the reading, so the lane sees "up" then the inputs
        self.last_inputs = inputs
        await self._on_inputs(inputs)
        await self._flush()

    async def _after_loss(self) -> None:
        self.last_inputs = None
        self._wanted = SAFE_OUTPUTS
        try:  # rule 3: safe state where the hardware still answers
            async with asyncio.timeout(0.5):
                await self.module.write_outputs(SAFE_OUTPUTS)
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
