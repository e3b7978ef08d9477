#!/usr/bin/env python3
"""Benchmark the lane I/O path over real Modbus TCP and RTU (socat pty) peers.

Per cycle: the peer (a pymodbus server process) flips the presence loop; we time until
IoLink hands the new reading to the runtime (*input → seen*). The "controller" then
decides at once and writes a light change; we time until the peer's datastore sees the
write (*decision → written*). Both ends stamp ``time.monotonic()``, which is one clock
for all processes on Linux. Changes are spread at random over the poll period.

    python scripts/bench_io.py --cycles 1000            # both transports
    python scripts/bench_io.py --transport tcp --poll-ms 50 --json out.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gated.devices.interfaces import LaneOutputs
from scripts.peers.processes import PtyPair, free_port, modbus_peer
from tests.io.harness import modbus_cfg, running_link


def summary(samples_s: list[float]) -> dict:
    ms = sorted(x * 1000 for x in samples_s)
    pick = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]
    return {"n": len(ms), "p50": pick(0.50), "p99": pick(0.99), "max": ms[-1],
            "mean": statistics.fmean(ms)}


async def run_cycles(peer, cfg, cycles: int, poll_s: float) -> dict[str, list[float]]:
    seen_lat, write_lat, total = [], [], []
    async with running_link(cfg) as (link, seen):
        await seen.until(lambda: seen.current is not None, what="first reading")
        await link.write(LaneOutputs("hold", "off"))
        for i in range(cycles):
            want = i % 2 == 0
            await asyncio.sleep(random.uniform(0, poll_s))
            mark = peer.mark()
            t_in = (await peer.arequest({"op": "set", "inputs": {"presence": want}}))["t"]
            await seen.until(lambda w=want: seen.current.presence is w, what="presence")
            t_seen = seen.inputs[-1][0]
            t_decided = time.monotonic()
            await link.write(LaneOutputs("hold", "red" if want else "off"))
            ev = await peer.aevent(lambda e, w=want: e.get("name") == "red" and e["value"] is w, mark)
            seen_lat.append(t_seen - t_in)
            write_lat.append(ev["t"] - t_decided)
            total.append(ev["t"] - t_in)
        assert not seen.faults, seen.faults
    return {"input → seen": seen_lat, "decision → written": write_lat, "input → written": total}


async def bench(transport: str, cycles: int, poll_ms: int, tmp: Path) -> dict:
    stop = []
    try:
        if transport == "tcp":
            port = free_port()
            peer = modbus_peer(tmp, "relay-8x8", tcp_port=port, tag="bench-tcp")
            stop.append(peer)
            cfg = modbus_cfg(profile="relay-8x8", transport="tcp", host="127.0.0.1", port=port,
                             poll_interval_ms=poll_ms)
        else:
            pair = PtyPair(tmp, "bench")
            stop.append(pair)
            peer = modbus_peer(tmp, "relay-8x8", rtu=str(pair.b), tag="bench-rtu")
            stop.append(peer)
            cfg = modbus_cfg(profile="relay-8x8", transport="rtu", device=str(pair.a),
                             poll_interval_ms=poll_ms)
        samples = await run_cycles(peer, cfg, cycles, poll_ms / 1000)
        return {name: summary(values) for name, values in samples.items()}
    finally:
        for p in reversed(stop):
            p.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cycles", type=int, default=1000)
    ap.add_argument("--poll-ms", type=int, default=50)
    ap.add_argument("--transport", choices=["tcp", "rtu", "both"], default="both")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    transports = ["tcp", "rtu"] if args.transport == "both" else [args.transport]
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-io-") as tmp:
        for t in transports:
            started = time.monotonic()
            results[t] = asyncio.run(bench(t, args.cycles, args.poll_ms, Path(tmp)))
            print(f"{t}: {args.cycles} cycles in {time.monotonic() - started:.0f} s, "
                  f"poll {args.poll_ms} ms")
            for name, s in results[t].items():
                print(f"  {name:<20} p50 {s['p50']:6.1f} ms   p99 {s['p99']:6.1f} ms   "
                      f"max {s['max']:6.1f} ms   mean {s['mean']:5.1f} ms")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
