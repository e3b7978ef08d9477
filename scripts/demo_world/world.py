"""The demo world's I/O module: a real pymodbus server whose loops follow the video.

It is ``gated.devices.modbus.peer``'s lane (limit switches follow the barrier contacts,
a vehicle on the safety loop sends a closing boom back up) with the loops driven by the
scenario instead of stdin: ``--t0`` is the RTSP server's start on CLOCK_MONOTONIC, so the
video position is ``(now - t0) mod duration`` here exactly as in the server, and the
loops stay in step with the pictures however long the video loops.

Output: the peer's JSON lines on stdout (``ready``, ``input``, ``output`` with
monotonic ``t``) plus ``{"event": "vehicle", "index", "label", "t"}`` when a vehicle's
segment starts: the demo console and the end-to-end tests read this I/O log.

    python -m scripts.demo_world.world --tcp 127.0.0.1:5020 --t0 12345.6 --scenario demo
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import time
from types import SimpleNamespace

from gated.devices.modbus.peer import LanePeer, emit, make_server
from gated.devices.modbus.profile import load_profile

from .scenario import SCENARIOS, Scenario

STEP_S = 0.02
#: The camera shows a frame this long after the server sends it (RTSP, decode): the loops
#: lag the pictures by as much, as real loops lag nothing.
CAMERA_LAG_S = 0.15


async def follow(peer: LanePeer, scenario: Scenario, t0: float) -> None:
    """Set the loops from the video position, forever."""
    loops, vehicle = None, None
    while True:
        t = time.monotonic() - t0 - CAMERA_LAG_S
        now = scenario.loops(t)
        if now != loops:
            changes = {k: v for k, v in vars(now).items()
                       if loops is None or getattr(loops, k) != v}
            await peer.set_inputs(changes)
            loops = now
        at = scenario.vehicle_at(t)
        if at is not None and at[0] != vehicle:
            vehicle = at[0]
            emit({"event": "vehicle", "index": at[0], "label": at[1].label,
                  "plate": " / ".join(at[1].lines), "t": time.monotonic()})
        elif at is None:
            vehicle = None
        await asyncio.sleep(STEP_S)


async def main_async(args: argparse.Namespace) -> None:
    scenario = SCENARIOS[args.scenario]
    peer = LanePeer(load_profile(args.profile), 1, args.travel_ms / 1000)
    peer.server = make_server(peer, SimpleNamespace(tcp=args.tcp, device_id=1))
    await peer.server.serve_forever(background=True)
    await peer._push_inputs()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    emit({"event": "ready", "pid": os.getpid(), "duration_s": scenario.duration_s})
    task = asyncio.create_task(follow(peer, scenario, args.t0))
    await stop.wait()
    task.cancel()
    await peer.server.shutdown()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tcp", required=True, help="HOST:PORT to serve Modbus TCP on")
    ap.add_argument("--t0", type=float, required=True, help="video start, CLOCK_MONOTONIC")
    ap.add_argument("--scenario", choices=sorted(SCENARIOS), default="demo")
    ap.add_argument("--profile", default="relay-8x8")
    ap.add_argument("--travel-ms", type=int, default=1200, help="boom travel time")
    args = ap.parse_args(argv)
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
