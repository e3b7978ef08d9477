"""The I/O module: connects, reads every input (and shows it), and with ``--yes`` moves.

Standalone (gated stopped) the module is opened from ``[io]`` with the lane's own driver;
with ``--yes`` an :class:`~gated.devices.link.IoLink` (the daemon's, with its interlock)
then drives a barrier cycle and the light sequence (:mod:`gated.selftest.actuate`).
In the daemon the live link is read instead, and nothing is moved: a barrier moved under
the running lane would be a ``barrier.forced`` for it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict

from gated.config.schema import SimIoSection
from gated.devices import modbus, serial
from gated.devices.fakes import FakeIo
from gated.devices.interfaces import DeviceError, IoModule, LaneInputs
from gated.devices.link import SAFE_OUTPUTS
from gated.devices.modbus import ProfileError
from gated.devices.serial.barrier import ControllerError
from gated.selftest import actuate
from gated.selftest.context import Context, Emit
from gated.selftest.report import failed, passed, skipped, warned

C = "io"
SLOW_MS = 100.0  # a read slower than this makes the 50 ms poll and the 1 s fault rule tight


def inputs_text(inputs: LaneInputs) -> str:
    return " ".join(f"{k}={'on' if v else 'off'}" for k, v in asdict(inputs).items())


def input_problem(inputs: LaneInputs) -> str | None:
    """Input combinations that mean wiring or polarity trouble, not traffic."""
    if inputs.open_limit and inputs.closed_limit:
        return ("both limit switches on: check their wiring and the profile's polarity "
                "(active = \"low\")")
    if not inputs.open_limit and not inputs.closed_limit:
        return "neither limit switch on: barrier between positions, or a switch is not wired"
    return None


def module_for(ctx: Context) -> IoModule:
    io = ctx.cfg.io
    if isinstance(io, SimIoSection):
        return FakeIo(io.name if hasattr(io, "name") else "io")
    return serial.with_barrier(modbus.build(io), ctx.cfg.barrier)


def target_of(module: IoModule) -> str:
    return str(getattr(module, "target", "simulated"))


async def run(ctx: Context, emit: Emit) -> None:
    if ctx.mode == "daemon":
        await _live(ctx, emit)
        return
    try:
        module = module_for(ctx)
    except ProfileError as exc:
        await emit(failed(C, "io", "connect", "fix io.profile (gatectl config check)",
                          "bad profile", detail=str(exc)))
        return
    try:
        inputs = await _connect_and_read(module, emit)
        if inputs is not None and isinstance(module, FakeIo):
            for check, step in ((C, "barrier_cycle"), ("lights", "sequence")):
                await emit(skipped(check, module.name, step, "nothing moves on a simulated "
                                   "I/O module"))
        elif inputs is not None:
            await actuate.run(ctx, module, inputs, emit)
    finally:
        await _leave_safe(module)


async def _connect_and_read(module: IoModule, emit: Emit) -> LaneInputs | None:
    name, where = module.name, target_of(module)
    t0 = time.monotonic()
    try:
        await module.connect()
    except DeviceError as exc:
        remedy = ("check the barrier controller's power and cable, and [barrier] device/baudrate/"
                  "address" if isinstance(exc, ControllerError) else
                  "check the module's power, its cable or network address, and [io] host/port/device")
        await emit(failed(C, name, "connect", remedy, "no connection", detail=str(exc)))
        await emit(skipped(C, name, "inputs", "fix the connection first"))
        return None
    ms = (time.monotonic() - t0) * 1000
    await emit(passed(C, name, "connect", f"{ms:.0f} ms", ms, "ms", where))
    t0 = time.monotonic()
    try:
        inputs = await module.read_inputs()
    except DeviceError as exc:
        await emit(failed(C, name, "inputs", "the module accepts the connection but does not "
                          "answer: check [io] device_id and the profile, power-cycle it",
                          "no reply", detail=str(exc)))
        return None
    await _show_inputs(name, inputs, (time.monotonic() - t0) * 1000, emit)
    return inputs


async def _show_inputs(name: str, inputs: LaneInputs, ms: float, emit: Emit, *,
                       moving: bool = False, seen: str = "read in") -> None:
    text = inputs_text(inputs)
    problem = input_problem(inputs)
    if problem and not (moving and not inputs.open_limit and not inputs.closed_limit):
        await emit(warned(C, name, "inputs", problem, text, ms, "ms"))
    elif ms > SLOW_MS:
        await emit(warned(C, name, "inputs", "slow replies: check the RS-485 line (baud rate, "
                          "termination) or the network", text, ms, "ms", f"{seen} {ms:.0f} ms"))
    else:
        await emit(passed(C, name, "inputs", text, ms, "ms", f"{seen} {ms:.0f} ms"))


async def _leave_safe(module: IoModule) -> None:
    try:
        async with asyncio.timeout(1.0):
            if getattr(module, "link_up", True):
                await module.write_outputs(SAFE_OUTPUTS)
    except (TimeoutError, DeviceError):
        pass
    try:
        await module.close()
    except DeviceError:
        pass


async def _live(ctx: Context, emit: Emit) -> None:
    """Through the running daemon: the link's health and its latest reading."""
    link = ctx.app.devices.io_link
    health = link.reporter.health
    if not health.ok:
        await emit(failed(C, health.name, "connect", "check the module's power, its cable or "
                          "network address; gated keeps retrying", "down", detail=health.detail))
        await emit(skipped(C, health.name, "inputs", "fix the connection first"))
    else:
        await emit(passed(C, health.name, "connect", "up", detail=f"{health.faults} fault(s) "
                          "since start"))
        moving = str(ctx.app.runtime.state.phase) != "idle"
        await _live_inputs(link, health.name, emit, moving)
    for step, check in (("barrier_cycle", C), ("sequence", "lights")):
        await emit(skipped(check, health.name, step, "stop gated and run 'gatectl selftest "
                           "--yes' to move the barrier and lights (or use gatectl io pulse)"))


async def _live_inputs(link, name: str, emit: Emit, moving: bool) -> None:
    seen = link.alive_at
    deadline = time.monotonic() + 1.0
    while link.alive_at == seen and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    inputs = link.last_inputs
    if inputs is None:
        await emit(failed(C, name, "inputs", "no reading yet: the module does not answer",
                          "unknown"))
        return
    age_ms = (time.monotonic() - link.alive_at) * 1000
    if age_ms > 1000:
        await emit(warned(C, name, "inputs", "the link stopped polling: look at 'gatectl logs'",
                          inputs_text(inputs), age_ms, "ms", f"last reading {age_ms:.0f} ms old"))
        return
    await _show_inputs(name, inputs, age_ms, emit, moving=moving, seen="reading age")
