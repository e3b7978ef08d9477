"""IoLink's own safety duties (rules 1, 2, 7) against a real module."""

from __future__ import annotations

import asyncio

from structlog.testing import capture_logs

from gated.devices.interfaces import LaneInputs, LaneOutputs
from gated.devices.link import interlock
from tests.io.harness import modbus_cfg, running_link


def test_interlock_is_pure_and_strict():
    under = LaneInputs(presence=True, safety=True, open_limit=True, closed_limit=False)
    assert interlock(LaneOutputs("close", "red"), under) == (LaneOutputs("hold", "red"),
                                                             "close refused: safety loop occupied")
    shut = LaneInputs(presence=False, safety=False, open_limit=False, closed_limit=True)
    assert interlock(LaneOutputs("open", "green"), shut) == (LaneOutputs("open", "red"), None)
    assert interlock(LaneOutputs("hold", "green"), under) == (LaneOutputs("hold", "green"), None)


def test_restart_with_a_truck_under_the_boom_never_closes_on_it(tcp_lane):
    peer, port = tcp_lane
    peer.request({"op": "barrier", "position": "open"})
    peer.request({"op": "set", "inputs": {"presence": True, "safety": True}})
    cfg = modbus_cfg(profile="relay-8x8", transport="tcp", host="127.0.0.1", port=port)

    async def main():
        async with running_link(cfg) as (link, seen):
            with capture_logs() as logs:
                await link.write(LaneOutputs("close", "red"))  # before any reading: held back
                assert link.written is None
                await seen.until(lambda: seen.current and seen.current.open_limit, what="reading")
                await seen.until(lambda: link.written is not None, what="first write")
            assert link.written == LaneOutputs("hold", "red")
            assert link.wanted == LaneOutputs("hold", "red")  # the close is dropped, not queued
            assert any(e["event"] == "io.interlock" for e in logs)
            await peer.arequest({"op": "set", "inputs": {"safety": False, "presence": False}})
            await seen.until(lambda: not seen.current.safety, what="cleared")
            state = await peer.arequest({"op": "state"})
            assert state["outputs"]["barrier_close"] is False and state["position"] == "open"
        assert not any(e.get("name") == "barrier_close" for e in peer.events)
    asyncio.run(main())
