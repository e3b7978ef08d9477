"""Cross-check with Debian's mbpoll: an independent Modbus client of the same server."""

from __future__ import annotations

import asyncio
import re
import subprocess

from gated.devices.interfaces import LaneOutputs
from scripts.peers.processes import free_port, modbus_peer
from tests.io.harness import modbus_cfg, running_link


def mbpoll(port: int, table: int, ref: int, count: int) -> list[int]:
    """Read ``count`` items from 1-based reference ``ref`` (-t 0 coil, 1 input, 3 input reg)."""
    out = subprocess.run(
        ["mbpoll", "-m", "tcp", "-p", str(port), "-a", "1", "-t", str(table), "-r", str(ref),
         "-c", str(count), "-1", "-o", "2", "127.0.0.1"],
        capture_output=True, text=True, timeout=20, check=True).stdout
    return [int(v, 0) for v in re.findall(r"^\[\d+\]:\s+(\S+)", out, re.MULTILINE)]

def test_mbpoll_agrees_with_the_driver_on_relay_module(tcp_lane):
    peer, port = tcp_lane
    cfg = modbus_cfg(profile="relay-8x8", transport="tcp", host="127.0.0.1", port=port)

    async def main():
        async with running_link(cfg) as (link, seen):
            await peer.arequest({"op": "set", "inputs": {"presence": True, "safety": True}})
            await seen.until(lambda: seen.current and seen.current.safety, what="inputs")
            await peer.arequest({"op": "barrier", "position": "open"})
            await seen.until(lambda: seen.current.open_limit, what="open")
            await link.write(LaneOutputs(barrier="hold", light="green"))
            await peer.aevent(lambda e: e.get("name") == "green" and e["value"])
            inputs = await asyncio.to_thread(mbpoll, port, 1, 1, 4)
            coils = await asyncio.to_thread(mbpoll, port, 0, 1, 4)
            i = seen.current
            assert inputs == [int(i.presence), int(i.safety), int(i.open_limit), int(i.closed_limit)]
            assert coils == [0, 0, 0, 1]  # open, close, red, green as the profile says
    asyncio.run(main())

def test_mbpoll_reads_the_plc_register_bits_the_driver_decodes(tmp_path, stop_later):
    port = free_port()
    peer = modbus_peer(tmp_path, "plc-registers", tcp_port=port)
    stop_later(peer)
    cfg = modbus_cfg(profile="plc-registers", transport="tcp", host="127.0.0.1", port=port)

    async def main():
        async with running_link(cfg) as (_link, seen):
            await peer.arequest({"op": "set", "inputs": {"presence": True}})
            await seen.until(lambda: seen.current and seen.current.presence, what="presence")
            (word,) = await asyncio.to_thread(mbpoll, port, 3, 1, 1)
            # active-low loops: presence occupied → bit 0 clear; safety free → bit 1 set;
            # closed limit → bit 5 set
            assert word & 0x0001 == 0 and word & 0x0002 and word & 0x0020
            assert seen.current.closed_limit and not seen.current.safety
    asyncio.run(main())
