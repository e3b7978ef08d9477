import asyncio

from gated.devices.interfaces import LaneOutputs
from tests.io.harness import modbus_cfg, running_link


def test_tcp_reads_and_writes(tcp_lane):
    peer, port = tcp_lane

    async def main():
        async with running_link(modbus_cfg(profile="relay-8x8", transport="tcp", host="127.0.0.1", port=port)) as (link, seen):
            await seen.until(lambda: seen.current is not None, what="first reading")
            assert seen.current.closed_limit and not seen.current.presence
            await peer.arequest({"op": "set", "inputs": {"presence": True}})
            await seen.until(lambda: seen.current.presence, what="presence")
            mark = peer.mark()
            await link.write(LaneOutputs(barrier="open", light="red"))
            ev = await peer.aevent(lambda e: e.get("name") == "barrier_open" and e["value"], mark)
            await peer.aevent(lambda e: e.get("name") == "barrier_open" and not e["value"], mark)
            await seen.until(lambda: seen.current.open_limit, what="open limit")
            st = await peer.arequest({"op": "state"})
            assert st["position"] == "open"
    asyncio.run(main())


def test_rtu_reads_and_writes(rtu_lane):
    peer, dev = rtu_lane

    async def main():
        async with running_link(modbus_cfg(profile="plc-registers", transport="rtu", device=dev)) as (link, seen):
            await seen.until(lambda: seen.current is not None, what="first reading")
            assert seen.current.closed_limit and not seen.current.presence
            await peer.arequest({"op": "set", "inputs": {"presence": True, "safety": True}})
            await seen.until(lambda: seen.current.presence and seen.current.safety, what="presence")
            mark = peer.mark()
            await link.write(LaneOutputs(barrier="open", light="red"))
            await peer.aevent(lambda e: e.get("name") == "barrier_open" and e["value"], mark)
            await seen.until(lambda: seen.current.open_limit, what="open limit")
    asyncio.run(main())
