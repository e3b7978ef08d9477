"""Serial devices: the message board answers, how fast, and how many frames were bad.

Standalone the board is opened with the lane's own driver and pinged a few times; every
frame the driver rejects (bad CRC, wrong address or sequence, garbage) and every ping that
needed a resend is counted. In the daemon the live :class:`~gated.devices.link.BoardLink`
is read instead (its health and fault count). The QR scanner is in :mod:`qrcheck`.
"""

from __future__ import annotations

import time

from gated.devices.interfaces import DeviceError
from gated.devices.serial import SerialBoard
from gated.devices.serial.rejected import Rejected
from gated.selftest.context import Context, Emit
from gated.selftest.report import failed, passed, skipped, warned

C = "serial"
PINGS = 10


class CountingBoard(SerialBoard):
    """The lane's board driver, counting the frames it throws away."""

    rejected = 0

    def _reject(self, item: Rejected | None) -> None:
        if item is not None:
            self.rejected += 1
        super()._reject(item)


async def run(ctx: Context, emit: Emit) -> None:
    board = ctx.cfg.board
    if board.driver == "none":
        await emit(skipped(C, "board", "responds", "nothing to do if the lane has no message "
                           "board", detail="[board] driver = \"none\""))
        return
    if board.driver == "sim":
        await emit(skipped(C, "board", "responds", "nothing to test on a simulated board",
                           detail="driver sim"))
        return
    if ctx.mode == "daemon":
        await _live(ctx, emit)
        return
    await _standalone(CountingBoard(board), emit)


async def _standalone(dev: CountingBoard, emit: Emit) -> None:
    try:
        await dev.connect()
    except DeviceError as exc:
        await emit(failed(C, dev.name, "responds", _remedy(str(exc)), "no answer",
                          detail=str(exc)))
        await emit(skipped(C, dev.name, "frame_errors", "fix the connection first"))
        return
    try:
        times, errors = await _pings(dev)
    finally:
        await dev.close()
    await _report(dev, times, errors, emit)


async def _pings(dev: CountingBoard) -> tuple[list[float], list[str]]:
    times: list[float] = []
    errors: list[str] = []
    for _ in range(PINGS):
        t0 = time.monotonic()
        try:
            await dev.ping()
            times.append((time.monotonic() - t0) * 1000)
        except DeviceError as exc:
            errors.append(str(exc))
    return times, errors


async def _report(dev: CountingBoard, times: list[float], errors: list[str], emit: Emit) -> None:
    if not times:
        await emit(failed(C, dev.name, "responds", _remedy(errors[-1]), f"0/{PINGS} pings",
                          detail=errors[-1]))
    else:
        worst = max(times)
        figure = f"{len(times)}/{PINGS} pings, worst {worst:.0f} ms"
        if errors:
            await emit(warned(C, dev.name, "responds", "intermittent: check the cable, its "
                              "shield and termination", figure, worst, "ms", errors[-1]))
        else:
            await emit(passed(C, dev.name, "responds", figure, worst, "ms", dev.cfg.device))
    bad = dev.rejected
    if bad:
        await emit(warned(C, dev.name, "frame_errors", "bad frames on the line: check the baud "
                          "rate/parity against the board, the cable and RS-485 termination",
                          f"{bad} rejected", bad, "frames"))
    else:
        await emit(passed(C, dev.name, "frame_errors", "0 rejected", 0, "frames"))


def _remedy(reason: str) -> str:
    if "missing" in reason or "cannot open" in reason:
        return ("the serial port is missing or busy: check the USB adapter, [board] device "
                "(prefer /dev/serial/by-id/...), and that gated is stopped")
    return ("the board does not answer: check its power, the cable, [board] baudrate/parity "
            "and address")


async def _live(ctx: Context, emit: Emit) -> None:
    link = ctx.app.devices.board_link
    health = link.reporter.health
    if health.ok:
        await emit(passed(C, health.name, "responds", "up", detail=f"{health.faults} fault(s) "
                          "since start; frames counted only standalone"))
    else:
        await emit(failed(C, health.name, "responds", _remedy(health.detail), "down",
                          detail=health.detail))
