#!/usr/bin/env python3
"""How long ``gatectl selftest`` takes on a real-peer lane (the figures in README.md, "Field engineer's page").

Starts the same peers as tests/selftest (a Modbus TCP module, a serial board and scanner
on socat ptys, a GStreamer RTSP camera, a mosquitto), then times, ``--runs`` times each:

* healthy lane through the running gated;
* healthy lane standalone (gated stopped), read-only;
* healthy lane standalone with ``--yes`` (barrier cycle and light sequence);
* broken lane standalone: dead camera URL, frozen (SIGSTOPped) Modbus module, no broker.

Prints the self-test's own duration (the report's ``duration_s``) and the wall time of the
whole gatectl command (Python start-up included). Run from the repository root:

    .venv/bin/python scripts/bench_selftest.py --runs 3
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.peers.gated_proc import Gated, gatectl, write_config
from scripts.peers.processes import PtyPair, free_port, modbus_peer, serial_peer
from tests.selftest.peers import Broker, RtspCamera
from tests.selftest.test_lane import LANE


def timed(cfg: Path, *args: str) -> tuple[float, float, bool]:
    t0 = time.monotonic()
    res = gatectl("--config", str(cfg), "selftest", "--json", *args, timeout=300)
    wall = time.monotonic() - t0
    report = json.loads(res.stdout)
    return report["duration_s"], wall, report["ok"]


def show(name: str, runs: list[tuple[float, float, bool]]) -> None:
    own = statistics.median(r[0] for r in runs)
    wall = statistics.median(r[1] for r in runs)
    oks = {r[2] for r in runs}
    print(f"{name:<34} self-test {own:5.1f} s   gatectl wall {wall:5.1f} s   ok={oks}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-selftest-"))
    io_port = free_port()
    peers = [modbus_peer(tmp, "relay-8x8", tcp_port=io_port)]
    board_pty, scan_pty = PtyPair(tmp, "board"), PtyPair(tmp, "scan")
    peers += [board_pty, scan_pty, serial_peer(tmp, board_pty.b, "board-peer"),
              serial_peer(tmp, scan_pty.b, "scan-peer"), RtspCamera(tmp), Broker(tmp)]
    camera, broker = peers[-2], peers[-1]
    try:
        cfg = write_config(tmp, LANE.format(io_port=io_port, board=board_pty.a, scanner=scan_pty.a,
                                            camera=camera.url, mqtt_port=broker.port), sim=False)
        g = Gated(cfg).start()
        try:
            show("healthy, through gated", [timed(cfg) for _ in range(args.runs)])
        finally:
            g.stop()
        show("healthy, standalone", [timed(cfg) for _ in range(args.runs)])
        show("healthy, standalone --yes", [timed(cfg, "--yes") for _ in range(args.runs)])
        broken = tmp / "broken"
        broken.mkdir()
        cfg = write_config(broken, LANE.format(
            io_port=io_port, board=board_pty.a, scanner=scan_pty.a,
            camera=f"rtsp://127.0.0.1:{free_port()}/nobody", mqtt_port=free_port()), sim=False)
        peers[0].signal(signal.SIGSTOP)
        show("broken (camera, Modbus, broker)", [timed(cfg) for _ in range(args.runs)])
    finally:
        for p in reversed(peers):
            p.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
