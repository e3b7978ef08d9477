"""A barrier controller on its own serial port beside a Modbus I/O module, both real peers:
the relay-8x8 module over Modbus TCP, the scripted serial device on a socat pty pair.

The lane's IoLink supervises the pair as one I/O module: barrier commands go to the
controller (``B O`` / ``B C``), never to the module's barrier contacts; the interlock still
decides what is sent; a silent or refusing controller is an ``io`` fault within 1 s."""

from __future__ import annotations

import asyncio
import time

from gated.devices.interfaces import LaneOutputs
from gated.devices.serial import SerialBarrierConfig
from scripts.peers.processes import serial_peer
from tests.io.harness import modbus_cfg, running_link

FAULT_BOUND_S = 1.0
QUIET_S = 0.4  # long enough for a frame that should not come to show up


def barrier_cfg(device: str) -> SerialBarrierConfig:
    return SerialBarrierConfig(driver="serial", device=device)


def rig(request, tmp_path, stop_later):
    io, port = request.getfixturevalue("tcp_lane")
    pair = request.getfixturevalue("pty_pair")
    ctl = serial_peer(tmp_path, pair.b, "barrier-peer")
    stop_later(ctl)
    cfg = modbus_cfg(profile="relay-8x8", transport="tcp", host="127.0.0.1", port=port)
    return io, ctl, cfg, barrier_cfg(str(pair.a))


def barrier_frames(ctl, start: int) -> list[str]:
    return [e["data"] for e in ctl.events[start:] if e.get("cmd") == "B"]


def contact_pulses(io, start: int) -> list[dict]:
    return [e for e in io.events[start:] if e.get("event") == "output"
            and e.get("name", "").startswith("barrier") and e.get("value")]


def test_commands_go_to_the_controller_once_each_and_the_interlock_holds(request, tmp_path, stop_later):
    io, ctl, cfg, bcfg = rig(request, tmp_path, stop_later)

    async def main():
        async with running_link(cfg, barrier=bcfg) as (link, seen):
            await seen.until(lambda: seen.current is not None and link.reporter.health.ok,
                             what="first reading")
            ctl_mark, io_mark = ctl.mark(), io.mark()
            await link.write(LaneOutputs(barrier="open", light="green"))
            await ctl.aevent(lambda e: e.get("cmd") == "B", ctl_mark)
            await io.arequest({"op": "barrier", "position": "open"})  # the boom rises
            await seen.until(lambda: seen.current.open_limit, what="open limit")
            await io.aevent(lambda e: e.get("name") == "green" and e["value"], io_mark)
            await link.write(LaneOutputs(barrier="hold", light="red"))
            await io.arequest({"op": "set", "inputs": {"safety": True}})
            await seen.until(lambda: seen.current.safety, what="safety loop occupied")
            await link.write(LaneOutputs(barrier="close", light="red"))  # refused: rule 1
            await asyncio.sleep(QUIET_S)
            assert barrier_frames(ctl, ctl_mark) == ["O"]
            await io.arequest({"op": "set", "inputs": {"safety": False}})
            await seen.until(lambda: not seen.current.safety, what="safety loop free")
            await link.write(LaneOutputs(barrier="close", light="red"))
            await ctl.aevent(lambda e: e.get("data") == "C", ctl_mark)
            await asyncio.sleep(QUIET_S)
            assert barrier_frames(ctl, ctl_mark) == ["O", "C"]
            assert contact_pulses(io, io_mark) == []  # the module's barrier contacts never moved
            assert seen.faults == []
    asyncio.run(main())


async def fault_and_recovery(ctl, link, seen, mode: str, provoke=None) -> tuple[float, str, int]:
    """Put the controller in ``mode`` (then ``provoke`` the lane), wait for the fault, set it
    back to normal and wait for the recovery. Returns the seconds to the fault, its reason,
    and the controller's event mark from when it was back to normal."""
    await seen.until(lambda: link.reporter.health.ok and seen.current, what="connected")
    await ctl.arequest({"op": "mode", "mode": mode})
    t0 = time.monotonic()
    if provoke is not None:
        await provoke()
    await seen.until(lambda: seen.faults, what="fault")
    delay, reason = seen.faults[0][0] - t0, seen.faults[0][1]
    await ctl.arequest({"op": "mode", "mode": "normal"})
    mark = ctl.mark()
    await seen.until(lambda: seen.recovered, what="recovered", timeout=10)
    return delay, reason, mark


def test_a_silent_controller_is_an_io_fault_within_a_second_and_recovers(request, tmp_path, stop_later):
    io, ctl, cfg, bcfg = rig(request, tmp_path, stop_later)

    async def main():
        async with running_link(cfg, barrier=bcfg) as (link, seen):
            delay, reason, _ = await fault_and_recovery(ctl, link, seen, "silent")
            assert delay <= FAULT_BOUND_S, f"fault after {delay:.3f} s"
            assert "barrier controller barrier does not answer" in reason
    asyncio.run(main())


def test_a_refused_command_is_a_fault_and_is_not_replayed_after_recovery(request, tmp_path, stop_later):
    io, ctl, cfg, bcfg = rig(request, tmp_path, stop_later)

    async def main():
        async with running_link(cfg, barrier=bcfg) as (link, seen):
            _, reason, mark = await fault_and_recovery(
                ctl, link, seen, "nak_bad_data", lambda: link.write(LaneOutputs(barrier="open", light="red")))
            assert "took no open" in reason and "refused" in reason
            await asyncio.sleep(QUIET_S)
            assert barrier_frames(ctl, mark) == []  # rule 4: the stale open is not sent again
            assert link.wanted == LaneOutputs(barrier="hold", light="red")
    asyncio.run(main())
