"""Link loss and recovery against real peers: killed, frozen, serial port removed.

Each test asserts ``device.fault`` within 1 s of the loss, ``device.recovered`` after,
and the safe outputs (rule 3) on the module once it answers again.
"""

from __future__ import annotations

import asyncio
import signal
import time

import pytest

from gated.devices.interfaces import LaneOutputs
from scripts.peers.processes import PtyPair, modbus_peer
from tests.io.harness import modbus_cfg, running_link

FAULT_BOUND_S = 1.0


def lane(request, transport: str):
    if transport == "tcp":
        peer, port = request.getfixturevalue("tcp_lane")
        cfg = modbus_cfg(profile="relay-8x8", transport="tcp", host="127.0.0.1", port=port)
        restart = lambda tmp: modbus_peer(tmp, "relay-8x8", tcp_port=port, tag="restarted")
    else:
        peer, dev = request.getfixturevalue("rtu_lane")
        cfg = modbus_cfg(profile="plc-registers", transport="rtu", device=dev)
        pair = request.getfixturevalue("pty_pair")
        restart = lambda tmp: modbus_peer(tmp, "plc-registers", rtu=str(pair.b), tag="restarted")
    return peer, cfg, restart


async def green_lane(peer, link, seen) -> None:
    """Barrier open and green: the state a fault must not leave behind."""
    await seen.until(lambda: seen.current is not None, what="first reading")
    await peer.arequest({"op": "barrier", "position": "open"})
    await seen.until(lambda: seen.current.open_limit, what="open limit")
    mark = peer.mark()
    await link.write(LaneOutputs(barrier="hold", light="green"))
    await peer.aevent(lambda e: e.get("name") == "green" and e["value"], mark)


def assert_fault_in_time(seen, t_loss: float) -> None:
    assert seen.faults, "no device.fault"
    delay = seen.faults[0][0] - t_loss
    assert delay <= FAULT_BOUND_S, f"device.fault after {delay:.3f} s: {seen.faults[0][1]}"


@pytest.mark.parametrize("transport", ["tcp", "rtu"])
def test_peer_killed_and_restarted(transport, request, tmp_path, stop_later):
    peer, cfg, restart = lane(request, transport)

    async def main():
        async with running_link(cfg) as (link, seen):
            await green_lane(peer, link, seen)
            peer.kill()
            t_loss = time.monotonic()
            await seen.until(lambda: seen.faults, what="fault")
            assert_fault_in_time(seen, t_loss)
            assert not link.reporter.health.ok
            new = restart(tmp_path)
            stop_later(new)
            await seen.until(lambda: seen.recovered, what="recovery")
            await new.aevent(lambda e: e.get("name") == "red" and e["value"])
            state = await new.arequest({"op": "state"})
            assert state["outputs"]["green"] is False  # nothing stale replayed (rule 4)
            assert link.wanted == LaneOutputs("hold", "red")
    asyncio.run(main())


@pytest.mark.parametrize("transport", ["tcp", "rtu"])
def test_peer_frozen_then_thawed(transport, request):
    peer, cfg, _ = lane(request, transport)

    async def main():
        async with running_link(cfg) as (link, seen):
            await green_lane(peer, link, seen)
            mark = peer.mark()
            peer.signal(signal.SIGSTOP)
            t_loss = time.monotonic()
            try:
                await seen.until(lambda: seen.faults, what="fault")
            finally:
                peer.signal(signal.SIGCONT)
            assert_fault_in_time(seen, t_loss)
            assert "no valid reply" in seen.faults[0][1] or "no reply" in seen.faults[0][1]
            await seen.until(lambda: seen.recovered, what="recovery")
            # Released contacts are written before energised ones (green off, then red on:
            # two writes), so wait for both rather than read the state in between.
            await peer.aevent(lambda e: e.get("name") == "green" and not e["value"], mark)
            await peer.aevent(lambda e: e.get("name") == "red" and e["value"], mark)
            outputs = (await peer.arequest({"op": "state"}))["outputs"]
            assert outputs["red"] is True and outputs["green"] is False
    asyncio.run(main())


def test_rtu_pty_removed_then_back(tmp_path, stop_later):
    pair = PtyPair(tmp_path, "bus")
    stop_later(pair)
    peer = modbus_peer(tmp_path, "plc-registers", rtu=str(pair.b), tag="plc1")
    stop_later(peer)
    cfg = modbus_cfg(profile="plc-registers", transport="rtu", device=str(pair.a))

    async def main():
        async with running_link(cfg) as (_link, seen):
            await seen.until(lambda: seen.current is not None, what="first reading")
            pair.kill()  # the USB adapter is unplugged
            t_loss = time.monotonic()
            await seen.until(lambda: seen.faults, what="fault")
            assert_fault_in_time(seen, t_loss)
            peer.stop()
            pair2 = PtyPair(tmp_path, "bus")  # plugged back in
            stop_later(pair2)
            peer2 = modbus_peer(tmp_path, "plc-registers", rtu=str(pair2.b), tag="plc2")
            stop_later(peer2)
            await seen.until(lambda: seen.recovered, what="recovery")
            await peer2.arequest({"op": "set", "inputs": {"presence": True}})
            await seen.until(lambda: seen.current and seen.current.presence, what="reading after")
    asyncio.run(main())
