"""A barrier controller commanded over its serial port, beside the lane's I/O module.

Some barriers take their open/close commands on RS-232/RS-485 (the ``B`` command of
``drivers/serial-board-protocol.md``) rather than on two contacts. The loops, limit
switches and lights stay on the I/O module. :class:`SerialBarrierIo` joins the two into
the one :class:`~gated.devices.interfaces.IoModule` the lane's ``IoLink`` supervises, so
everything the link does for the safety rules holds unchanged:

* the interlock (rules 1 and 2) decides what is written, then the barrier part of it
  goes to the controller and the rest (lights; barrier contacts held) to the module;
* a controller that stops answering is a fault of the lane's I/O: it is pinged (one try)
  in the lane's poll every ``keepalive_ms``, and a poll whose ping fails counts as a failed
  poll, so ``device.fault`` follows within the link's 0.5 s, naming the controller; a
  command it refuses or never takes after its retries is a fault at once. Then, as for any
  I/O fault: no automatic opening, safe outputs where the hardware still answers,
  reconnection with backoff, ``device.recovered`` once both answer again (rule 3);
* ``hold`` sends nothing (the controller keeps the boom where it is); each ``open`` or
  ``close`` is sent once when the lane asks for it, and again after a ``hold`` or a
  reconnection.
"""

from __future__ import annotations

import time
from dataclasses import replace

import structlog

from gated.devices.interfaces import DeviceError, IoModule, LaneInputs, LaneOutputs
from gated.devices.serial import framing as f
from gated.devices.serial.board import SerialRequester

log = structlog.get_logger()

COMMANDS = {"open": b"O", "close": b"C"}


class ControllerError(DeviceError):
    """The barrier controller, not the I/O module, failed (its remedy differs)."""


class SerialBarrier(SerialRequester):
    """The barrier controller on its serial line."""

    kind = "barrier_ctl"

    async def command(self, what: str) -> None:
        await self.request(f.CMD_BARRIER, COMMANDS[what])


class SerialBarrierIo:
    """An :class:`IoModule`: inputs and lights from ``io``, the barrier from ``controller``."""

    def __init__(self, io: IoModule, controller: SerialBarrier) -> None:
        self.io, self.controller = io, controller
        self.name = io.name
        self.poll_interval_s: float = getattr(io, "poll_interval_s", 0.05)
        self.target = f"{getattr(io, 'target', io.name)}; barrier controller on {controller.cfg.device}"
        self._sent: str | None = None  # the command the controller last took
        self._contact = 0.0  # monotonic time of the controller's last answer
        self._failed = False

    @property
    def link_up(self) -> bool:
        """False once the controller failed: the link is lost at once, not after retries."""
        return getattr(self.io, "link_up", True) and not self._failed

    async def connect(self) -> None:
        await self.io.connect()
        await self._call(self.controller.connect(), "does not answer", fatal=True)
        self._failed, self._sent = False, None

    async def read_inputs(self) -> LaneInputs:
        inputs = await self.io.read_inputs()
        if time.monotonic() - self._contact >= self.controller.keepalive_s:
            await self._call(self.controller.ping(tries=1), "does not answer")
        return inputs

    async def write_outputs(self, outputs: LaneOutputs) -> None:
        await self.io.write_outputs(replace(outputs, barrier="hold"))
        if outputs.barrier == "hold":
            self._sent = None
        elif outputs.barrier != self._sent:
            await self._call(self.controller.command(outputs.barrier), f"took no {outputs.barrier}",
                             fatal=True)
            self._sent = outputs.barrier
            log.info("barrier_ctl.commanded", device=self.controller.name, command=outputs.barrier)

    async def close(self) -> None:
        try:
            await self.controller.close()
        finally:
            await self.io.close()

    async def _call(self, request, what: str, fatal: bool = False) -> None:
        """Await a request to the controller; its failure names the controller, and a
        ``fatal`` one marks the link down at once (``link_up``)."""
        try:
            await request
        except DeviceError as exc:
            self._failed = self._failed or fatal
            raise ControllerError(f"barrier controller {self.controller.name} {what}: {exc}") from None
        self._contact = time.monotonic()
