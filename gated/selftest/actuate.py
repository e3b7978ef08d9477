"""``--yes`` (standalone only): a barrier cycle and the light sequence, watched by a person.

Driven through an :class:`~gated.devices.link.IoLink` -- the daemon's own link, with its
interlock (no close on an occupied safety loop, green only with the open limit switch
on) -- and with the lane's own rules on top: nothing moves while a vehicle is on either
loop, the close waits for the safety loop to be free for ``clear_delay_s`` (rule 1), and
green shows only while the barrier is confirmed open (rule 2). Timings come from
``[timing]``: a barrier that does not reach its limit switch in ``open_timeout_s`` /
``close_timeout_s`` fails, as it would fault the lane.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from gated.devices.interfaces import IoModule, LaneInputs, LaneOutputs
from gated.devices.link import SAFE_OUTPUTS, Health, HealthReporter, IoLink
from gated.selftest.context import Context, Emit
from gated.selftest.report import failed, passed, skipped, warned

LIGHT_STEP_S = 1.0  # each light shown this long, so a person can see it
SAFETY_WAIT_S = 30.0  # how long to wait for a vehicle to leave the safety loop


async def _noop(*_args) -> None:
    return None


async def run(ctx: Context, module: IoModule, inputs: LaneInputs, emit: Emit) -> None:
    name = module.name
    if not ctx.options.yes:
        await emit(skipped("io", name, "barrier_cycle", "add --yes to open and close the "
                           "barrier once (watch the lane)"))
        await emit(skipped("lights", name, "sequence", "add --yes to show red, off, green, red"))
        return
    if inputs.presence or inputs.safety:
        why = "a vehicle is on the loops: clear the lane, then rerun with --yes"
        await emit(warned("io", name, "barrier_cycle", why, "not moved"))
        await emit(warned("lights", name, "sequence", why, "not shown"))
        return
    link = IoLink(module, HealthReporter(Health(name, "io"), _noop, _noop), _noop,
                  poll_interval_s=getattr(module, "poll_interval_s", 0.05))
    task = asyncio.create_task(link.run(), name="selftest-io")
    try:
        if await _until(link, lambda i: True, 2.0) is None:
            await emit(failed("io", name, "barrier_cycle", "the module stopped answering",
                              "not moved"))
            return
        await _cycle(ctx, link, emit)
    finally:
        with contextlib.suppress(Exception):
            await link.write(SAFE_OUTPUTS)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _until(link: IoLink, pred: Callable[[LaneInputs], bool], timeout_s: float) -> float | None:
    """Seconds until the link reads inputs that satisfy ``pred``; None on timeout."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        inputs = link.last_inputs
        if inputs is not None and pred(inputs):
            return time.monotonic() - t0
        await asyncio.sleep(0.02)
    return None


async def _cycle(ctx: Context, link: IoLink, emit: Emit) -> None:
    name, t = link.module.name, ctx.cfg.timing
    await link.write(LaneOutputs("open", "red"))
    opened = await _until(link, lambda i: i.open_limit and not i.closed_limit, t.open_timeout_s)
    if opened is None:
        await link.write(SAFE_OUTPUTS)
        await emit(failed("io", name, "barrier_cycle", "check the open contact's wiring, the "
                          "barrier controller and the open limit switch",
                          f"not open in {t.open_timeout_s:.0f} s"))
        await _lights(link, emit, barrier_open=False)
        return
    await _lights(link, emit, barrier_open=True)
    free = await _safety_free_for(link, t.clear_delay_s)
    if not free:
        await link.write(LaneOutputs("hold", "red"))
        await emit(warned("io", name, "barrier_cycle", "a vehicle stayed on the safety loop: "
                          "the barrier was left OPEN; close it when the lane is clear",
                          f"opened in {opened:.1f} s", opened, "s"))
        return
    await link.write(LaneOutputs("close", "red"))
    closed = await _until(link, lambda i: i.closed_limit and not i.open_limit, t.close_timeout_s)
    await link.write(LaneOutputs("hold", "red"))
    if closed is None:
        await emit(failed("io", name, "barrier_cycle", "check the close contact's wiring and "
                          "the closed limit switch", f"opened in {opened:.1f} s, not closed "
                          f"in {t.close_timeout_s:.0f} s", opened, "s"))
        return
    await emit(passed("io", name, "barrier_cycle", f"open {opened:.1f} s, close {closed:.1f} s",
                      opened + closed, "s", "both limit switches confirmed"))


async def _safety_free_for(link: IoLink, clear_delay_s: float) -> bool:
    """Rule 1: the safety loop free for ``clear_delay_s`` in a row (bounded wait)."""
    deadline = time.monotonic() + SAFETY_WAIT_S
    free_since: float | None = None
    while time.monotonic() < deadline:
        inputs = link.last_inputs
        now = time.monotonic()
        if inputs is None or inputs.safety:
            free_since = None
        elif free_since is None:
            free_since = now
        elif now - free_since >= clear_delay_s:
            return True
        await asyncio.sleep(0.02)
    return False


async def _lights(link: IoLink, emit: Emit, *, barrier_open: bool) -> None:
    """red, off, green (only with the barrier confirmed open), red; each for a second."""
    name = link.module.name
    steps = ["red", "off", "green", "red"] if barrier_open else ["red", "off", "red"]
    barrier = "open" if barrier_open else "hold"
    for light in steps:
        await link.write(LaneOutputs(barrier, light))
        await asyncio.sleep(LIGHT_STEP_S)
    written = link.written
    if written is None:
        await emit(failed("lights", name, "sequence", "the module stopped taking writes: check "
                          "its power and link", "write failed"))
    elif barrier_open:
        await emit(passed("lights", name, "sequence", " > ".join(steps), len(steps), "steps",
                          "did you see each light? if not, check the lamp and its relay"))
    else:
        await emit(warned("lights", name, "sequence", "green was not shown: it needs the "
                          "barrier confirmed open (rule 2); fix the barrier first",
                          " > ".join(steps), len(steps), "steps"))
