#!/usr/bin/env python3
"""Benchmarks of the events outbox and the MQTT uplink (not a test: prints figures).

1. durable inserts/s: one event per transaction, ``synchronous=FULL`` (target >= 2,000/s),
   and through the lane runtime when inputs queue up (group commit: every waiting input
   stepped, one transaction, then the outputs), against the runtime committing each input
   alone; with how long an input waits behind the burst (p50/p99);
2. backlog drain: N buffered events delivered to a local mosquitto after an outage
   (target: 100,000 in <= 40 s), counted by a separate "central" process that checks
   seq continuity and de-duplicates by id;
3. RSS of the uplink's process while a large backlog builds (broker down) and drains.

The uplink runs in this process (``MqttUplink`` with the daemon's own store and pumps; a
stub stands in for the lane controller, which plays no part in delivery).

    .venv/bin/python scripts/bench_sync.py [--inserts 3000] [--drain 100000] [--rss 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import structlog

from gated.core.ids import uuid7
from gated.core.lane.model import DeviceDown, DeviceUp, EventDraft, LaneParams
from gated.core.passes import PassBook
from gated.core.timefmt import rfc3339
from gated.daemon.runtime import MAX_BATCH, LaneRuntime
from gated.store import AsyncStore, Store
from gated.sync.client import Settings
from gated.sync.cmdexec import Lane
from gated.sync.topics import Topics
from gated.sync.uplink import Identity, MqttUplink, Options
from scripts.peers.mqtt import Broker
from scripts.peers.processes import free_port

BODY = {"decision": {"result": "grant", "reasons": ["pass_valid", "plate_match_exact"],
                     "by": "auto"},
        "vehicle": {"plate": "29C12345", "plate_display": "29C-123.45", "plate_confidence": 0.97,
                    "reads": 7, "country": "VN", "trailer_plate": None},
        "pass": {"id": "P-2026-000123", "source": "qr-signed"}, "pad": "x" * 600}


def drafts(n: int) -> list[EventDraft]:
    ts = rfc3339(time.time())
    return [EventDraft(uuid7(), "passage.decided", ts, uuid7(), BODY) for _ in range(n)]


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def bench_inserts(tmp: Path, n: int, per_tx: int) -> float:
    """Events/s through ``Store.append`` with ``per_tx`` events per transaction."""
    store = Store(tmp / f"ins-{per_tx}.db", site="huu-nghi", lane="in-01", synchronous="full")
    store.open()
    batch = drafts(n)
    t = time.perf_counter()
    for i in range(0, n, per_tx):
        store.append(batch[i:i + per_tx])
    rate = n / (time.perf_counter() - t)
    store.close()
    return rate


async def _runtime_burst(rt: LaneRuntime, n: int) -> list[float]:
    """Queue ``n`` inputs at once (a camera flapping: one event each); seconds each waited."""
    actor = asyncio.ensure_future(rt.run())
    t0 = time.perf_counter()

    async def one(i: int) -> float:
        await rt.submit(DeviceDown("cam", "camera", "no frame") if i % 2 == 0 else DeviceUp("cam", "camera"))
        return time.perf_counter() - t0

    try:
        return list(await asyncio.gather(*(one(i) for i in range(n))))
    finally:
        actor.cancel()


def bench_runtime(tmp: Path, n: int, max_batch: int) -> dict:
    """Durable events/s through ``LaneRuntime`` when ``n`` inputs queue at once."""
    store = Store(tmp / f"rt-{max_batch}.db", site="huu-nghi", lane="in-01", synchronous="full")
    store.open()
    rt = LaneRuntime(LaneParams(site="huu-nghi", lane="in-01", direction="in"), AsyncStore(store),
                     PassBook(), max_batch=max_batch)
    waits = sorted(asyncio.run(_runtime_burst(rt, n)))
    rt.astore.shutdown()
    return {"rate": n / waits[-1], "commits": rt.commits, "p50_ms": waits[n // 2] * 1000,
            "p99_ms": waits[int(n * 0.99)] * 1000}


def fsyncs_per_s(tmp: Path, n: int = 300) -> float:
    """What the disk allows: 1 KiB write + fsync, the floor under any durable commit."""
    fd = os.open(tmp / "fsync.bin", os.O_WRONLY | os.O_CREAT, 0o600)
    t = time.perf_counter()
    for _ in range(n):
        os.write(fd, b"x" * 1024)
        os.fsync(fd)
    os.close(fd)
    return n / (time.perf_counter() - t)


async def fill(astore: AsyncStore, n: int, sample=None) -> None:
    """Append on the store's own thread, 1,000 events per transaction, as the runtime would."""
    for i in range(0, n, 1000):
        await astore.run(astore.store.append, drafts(min(1000, n - i)))
        if sample and i % 50_000 == 0:
            sample()


def make_uplink(store: Store, port: int) -> MqttUplink:
    astore = AsyncStore(store)
    runtime = SimpleNamespace(state=SimpleNamespace(mode="auto"), submit_nowait=lambda i: None,
                              reload_passes=None)

    async def nothing(*a):
        return None

    lane = Lane(submit=nothing, audit=nothing, config=dict, resync=nothing, replay=nothing,
                publish_image=lambda *a: "")
    settings = Settings("127.0.0.1", port, "gated-huu-nghi-in-01", keepalive_s=30,
                        inflight_window=256)
    ident = Identity(uuid7(), "bench", time.time(), "0" * 64, UTC)
    return MqttUplink(settings, Topics("huu-nghi", "in-01"), ident,
                      Options(reconnect_min_s=0.2, reconnect_max_s=1.0, telemetry_interval_s=3600),
                      astore, runtime, lane)


def start_central(port: int, expected: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "tests.sync.central_proc", str(port),
                             str(expected), "--timeout", "1800"], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    assert json.loads(proc.stdout.readline())["ready"]
    return proc


async def drain(tmp: Path, n: int, rss: list | None) -> dict:
    """Build an ``n``-event backlog while the broker is down, then start it and drain."""
    broker = Broker(tmp / f"broker-{n}", persistence=False, port=free_port())
    store = Store(tmp / f"drain-{n}.db", site="huu-nghi", lane="in-01")
    store.open()
    uplink = make_uplink(store, broker.port)
    task = asyncio.create_task(uplink.run())  # retries while the broker is down
    sample = (lambda: rss.append(("build", store.last_seq(), round(rss_mb(), 1)))) if rss \
        is not None else None
    await fill(uplink.astore, n, sample)
    broker.start()
    central = start_central(broker.port, n)
    t = time.monotonic()
    line = None
    while line is None:
        await asyncio.sleep(0.5)
        if rss is not None:
            rss.append(("drain", uplink.pump.published, round(rss_mb(), 1)))
        if central.poll() is not None or _ready(central):
            line = json.loads(central.stdout.readline())
    elapsed = time.monotonic() - t
    await uplink.stop()
    task.cancel()
    broker.stop()
    store.close()
    return {"events": n, "drain_s": round(elapsed, 1), "rate": round(n / elapsed), **line}


def _ready(proc: subprocess.Popen) -> bool:
    import select

    return bool(select.select([proc.stdout], [], [], 0)[0])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--inserts", type=int, default=3000)
    p.add_argument("--drain", type=int, default=100_000)
    p.add_argument("--rss", type=int, default=1_000_000, help="0 to skip")
    args = p.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as d:
        tmp = Path(d)
        os.chmod(tmp, 0o755)
        print(f"disk: {fsyncs_per_s(tmp):,.0f} fsyncs/s (1 KiB write + fsync)", flush=True)
        for per_tx in (1, 10):
            rate = bench_inserts(tmp, args.inserts, per_tx)
            print(f"durable inserts (synchronous=FULL, {per_tx} event(s)/transaction):"
                  f" {rate:,.0f} events/s  [target >= 2,000/s]", flush=True)
        for max_batch in (1, MAX_BATCH):
            r = bench_runtime(tmp, args.inserts, max_batch)
            label = "each input alone" if max_batch == 1 else f"group commit, <= {max_batch} inputs"
            print(f"lane runtime, {args.inserts:,} inputs queued at once ({label}):"
                  f" {r['rate']:,.0f} events/s in {r['commits']:,} transactions; an input"
                  f" waited p50 {r['p50_ms']:,.0f} ms, p99 {r['p99_ms']:,.0f} ms"
                  f"  [target >= 2,000/s]", flush=True)
        res = asyncio.run(drain(tmp, args.drain, None))
        print(f"backlog drain: {res['events']:,} events in {res['drain_s']} s"
              f" = {res['rate']:,}/s; delivered {res['unique']:,}, duplicates"
              f" {res['duplicates']}, missing {len(res['missing'])}, reordered"
              f" {res['reordered']}  [target <= 40 s]", flush=True)
        if args.rss:
            samples: list = []
            res = asyncio.run(drain(tmp, args.rss, samples))
            build = [s[2] for s in samples if s[0] == "build"]
            drained = [s[2] for s in samples if s[0] == "drain"]
            print(f"RSS with a {args.rss:,}-event backlog: build {min(build):.0f}..{max(build):.0f}"
                  f" MB, drain {min(drained):.0f}..{max(drained):.0f} MB; drained in"
                  f" {res['drain_s']} s ({res['rate']:,}/s), missing {len(res['missing'])}",
                  flush=True)


if __name__ == "__main__":
    main()
