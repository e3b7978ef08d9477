"""A full vehicle passage over real Modbus (TCP relay module, RTU PLC) through IoLink,
decided by a scripted controller and by the real lane controller (gated.core.lane)."""

from __future__ import annotations

import asyncio

import pytest

from gated.devices.interfaces import LaneInputs
from tests.io.harness import modbus_cfg, running_link
from tests.io.scripted import make_controller


def outputs_seen(peer) -> list[tuple[str, bool]]:
    return [(e["name"], e["value"]) for e in peer.events if e.get("event") == "output"]


def first(peer, name: str, value: bool, after: float = 0.0) -> float:
    return min(e["t"] for e in peer.events
               if e.get("name") == name and e.get("value") == value and e["t"] >= after)


async def drive_passage(peer, cfg, kind: str):
    controller = make_controller(kind)
    async with running_link(cfg) as (link, seen):
        async def react(inputs: LaneInputs) -> None:
            await link.write(controller.step(inputs))

        seen_inputs = seen.on_inputs

        async def on_inputs(inputs: LaneInputs) -> None:
            await seen_inputs(inputs)
            await react(inputs)

        link._on_inputs = on_inputs  # the runtime's callback: controller in the loop
        await seen.until(lambda: seen.current is not None, what="first reading")
        await peer.arequest({"op": "set", "inputs": {"presence": True}})  # truck arrives
        await peer.aevent(lambda e: e.get("name") == "green" and e["value"])
        # the truck drives under the boom, leaves the presence loop, then clears the boom
        for change in ({"safety": True}, {"presence": False}, {"safety": False}):
            await peer.arequest({"op": "set", "inputs": change})
            (name, value), = change.items()
            await seen.until(lambda n=name, v=value: getattr(seen.current, n) is v, what=str(change))
        await peer.aevent(lambda e: e.get("name") == "closed_limit" and e["value"])
        await seen.until(lambda: controller.state == "idle", what="back to idle")
        await peer.aevent(lambda e: e.get("name") == "barrier_close" and not e["value"])
        assert seen.faults == []
    return controller


@pytest.mark.parametrize("kind", ["scripted", "real"])
@pytest.mark.parametrize("transport", ["tcp", "rtu"])
def test_full_passage(transport, kind, request):
    if transport == "tcp":
        peer, port = request.getfixturevalue("tcp_lane")
        cfg = modbus_cfg(profile="relay-8x8", transport="tcp", host="127.0.0.1", port=port)
    else:
        peer, dev = request.getfixturevalue("rtu_lane")
        cfg = modbus_cfg(profile="plc-registers", transport="rtu", device=dev)

    controller = asyncio.run(drive_passage(peer, cfg, kind))

    if kind == "scripted":
        assert controller.trail == ["opening", "open", "passing", "closing", "idle"]
    else:
        assert controller.events == ["passage.decided", "passage.completed"], controller.events
        assert controller.state == "idle"
    seen = outputs_seen(peer)
    assert seen.index(("barrier_open", True)) < seen.index(("green", True))
    assert seen.index(("green", False)) < seen.index(("barrier_close", True))
    # both contacts released again (pulse ended, or hold commanded once closed)
    assert seen.index(("barrier_open", False)) < seen.index(("barrier_close", True))
    # rule 2: green only once the open limit switch confirmed the barrier open
    assert first(peer, "green", True) >= first(peer, "open_limit", True)
    # rule 1: close only after the safety loop freed
    assert first(peer, "barrier_close", True) >= first(peer, "safety", False)
    final = peer.request({"op": "state"})
    assert final["outputs"] == {"barrier_open": False, "barrier_close": False, "red": True,
                                "green": False}
    assert final["position"] == "closed"
