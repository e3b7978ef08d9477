#!/usr/bin/env python3
"""Soak the uplink: the real daemon under random faults for a while, then count.

Bursts of events (mode changes through the control socket) run all along while, at
random, the broker is SIGKILLed and restarted, the network between gated and the broker
stalls, resets or drops (a TCP proxy), or gated itself is SIGKILLed and restarted. At the
end the faults stop and the test central (which de-duplicates by id and checks seq
continuity) reports events sent, delivered, duplicated, lost and reordered.

    .venv/bin/python scripts/soak_sync.py --minutes 10 [--seed 1]

Exit status 0 when nothing was lost or reordered. Only loopback addresses are used.
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.peers.mqtt import Broker, FaultProxy
from tests.sync.central import Central
from tests.sync.lane import burst, last_seq, sync_lane, wait_online

FAULTS = ("broker_kill", "stall", "reset", "drop", "gated_kill", "calm")


class Producer(threading.Thread):
    """Bursts all along; survives gated being killed (it waits for it to come back)."""

    def __init__(self, lane) -> None:
        super().__init__(daemon=True)
        self.lane = lane
        self.stop = threading.Event()
        self.accepted = 0

    def run(self) -> None:
        while not self.stop.is_set():
            n = burst(self.lane, 20)
            self.accepted += n
            if n < 20:
                time.sleep(0.5)


def fault(kind: str, rnd: random.Random, broker: Broker, proxy: FaultProxy, lane) -> None:
    hold = rnd.uniform(0.5, 8.0)
    if kind == "broker_kill":
        broker.kill()
        time.sleep(hold)
        broker.start()
    elif kind in ("stall", "drop"):
        proxy.set(kind)
        time.sleep(hold)
        proxy.set("pass")
    elif kind == "reset":
        proxy.set("reset")
    elif kind == "gated_kill":
        lane.stop(signal.SIGKILL)
        time.sleep(min(hold, 2.0))
        lane.start()
    time.sleep(rnd.uniform(1.0, 6.0))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--faults", default=",".join(FAULTS), help="comma-separated subset")
    args = p.parse_args()
    kinds = [k for k in args.faults.split(",") if k in FAULTS] or ["calm"]
    rnd = random.Random(args.seed)
    counts = {k: 0 for k in FAULTS}
    with tempfile.TemporaryDirectory(prefix="soak-sync-") as d:
        tmp = Path(d)
        broker = Broker(tmp / "broker", persistence=rnd.random() < 0.5).start()
        proxy = FaultProxy(broker.port)
        central = Central(broker.port).start()
        lane = sync_lane(tmp, proxy.port).start()
        producer = Producer(lane)
        try:
            wait_online(lane)
            producer.start()
            end = time.monotonic() + args.minutes * 60
            while time.monotonic() < end:
                kind = rnd.choice(kinds)
                counts[kind] += 1
                fault(kind, rnd, broker, proxy, lane)
            producer.stop.set()
            producer.join(60)
            proxy.set("pass")
            wait_online(lane, 60)
            sent = last_seq(lane)
            report = central.wait_contiguous(sent, 300)
        finally:
            lane.stop()
            central.close()
            proxy.close()
            broker.stop()
    print(f"soak {args.minutes:g} min, seed {args.seed}, broker persistence"
          f" {broker.persistence}; faults: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    print(f"events sent (last seq) {sent:,}; delivered {report.unique:,}; messages received"
          f" {report.received:,}; duplicated {report.duplicates:,}; lost {report.lost};"
          f" reordered {report.reordered}; seq conflicts {report.conflicts}")
    return 0 if report.ok(sent) else 1


if __name__ == "__main__":
    sys.exit(main())
