"""One table of gated's performance figures, each beside its target (``scripts/bench``).

    scripts/bench                       # the full run (~5 min)
    scripts/bench --quick               # smaller sizes, a smoke run (~1-2 min)
    scripts/bench --only inserts,drain  # some rows only
    scripts/bench --json out.json --note "2 cores shared with other jobs"

Each sub-benchmark is the project's own (``scripts/bench_anpr.py``, ``bench_qr.py``,
``bench_io.py``, ``bench_sync.py``, ``bench_daemon.py``) called as a function; their
progress goes to stderr, the table to stdout, and the table with every sample summary to
JSON (default ``var/bench/latest.json``). A sub-benchmark that cannot run here (no
mosquitto, no GStreamer) gives ``skipped: why`` rows; one that breaks gives ``error: why``.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import redirect_stdout
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts.bench_report import (
    Row,
    Target,
    load_now,
    machine,
    not_run,
    report,
    to_json,
    write_json,
)


class Skip(Exception):
    """This sub-benchmark cannot run on this machine; the message says why."""


@dataclass(frozen=True)
class Sizes:
    anpr_frames: int = 300  # timed detection + OCR calls
    anpr_loops: int = 5  # vehicles approaching on the RTSP stream
    qr_per_kind: int = 3  # rendered frames per distortion (10 kinds), cached in var/bench
    qr_repeat: int = 5  # decodes per frame
    io_cycles: int = 500  # Modbus TCP presence flips, poll 50 ms
    inserts: int = 3000
    drain: int = 100_000
    daemon_s: float = 60.0


QUICK = Sizes(anpr_frames=60, anpr_loops=2, qr_per_kind=1, qr_repeat=3, io_cycles=100,
              inserts=500, drain=10_000, daemon_s=15.0)
POLL_MS = 50
CACHE = ROOT / "var" / "bench"


def ms_row(figure: str, samples_ms: list[float], target: Target | None, note: str = "",
           keys: tuple[str, ...] = ("p50", "p99")) -> Row:
    import numpy as np

    if not samples_ms:
        return Row(figure, status="error: no samples")
    a = np.asarray(samples_ms)
    pick = {"p50": lambda: np.percentile(a, 50), "p99": lambda: np.percentile(a, 99),
            "max": lambda: a.max()}
    values = {k: float(pick[k]()) for k in keys}
    return Row(figure, values, "ms", target, note or f"n={len(a)}")


# --------------------------------------------------------------------------- ANPR
ANPR_FIGURES = ["ANPR detection + OCR per 1080p frame (one core)",
                "ANPR vote decision after first read (RTSP 25 fps, one core)"]


def anpr_rows(s: Sizes) -> list[Row]:
    import numpy as np

    from gated.anpr.reader import AnprReader, camera_config
    from scripts import bench_anpr
    from scripts.anpr.rtsp_peer import gstreamer_available

    with bench_anpr.one_core():
        reader = AnprReader(config=camera_config(False))  # as the daemon reads a lane camera
        t, by_count = bench_anpr.frame_figures(reader, s.anpr_frames)
        per_count = "; ".join(f"{c} plate(s) p50 {np.percentile(v, 50) * 1000:.1f} ms"
                              for c, v in by_count.items())
        rows = [ms_row(ANPR_FIGURES[0], [x * 1000 for x in t], Target("p50", "<=", 20, "p50 ≤ 20 ms"),
                       f"n={len(t)} over {bench_anpr.LANE_FRAMES} frames; {per_count}")]
        if not gstreamer_available():
            return rows + not_run(ANPR_FIGURES[1:], "skipped: GStreamer RTSP server missing")
        r = bench_anpr.bench_rtsp(reader, s.anpr_loops)["first_read_to_decision"]
    return rows + [ms_row(ANPR_FIGURES[1], [x * 1000 for x in r],
                          Target("max", "<=", 300, "every decision ≤ 300 ms"),
                          f"{len(r)} vehicles", keys=("p50", "max"))]


# ----------------------------------------------------------------------------- QR
QR_FIGURES = ["QR decode per 1080p frame, with a code", "QR decode per 1080p frame, no code"]


def qr_rows(s: Sizes) -> list[Row]:
    import cv2

    from scripts import bench_qr

    entries = bench_qr.load_set(CACHE / f"qr-set-{s.qr_per_kind}", s.qr_per_kind, seed=1)
    cv2.setNumThreads(1)
    res = bench_qr.run_chain("auto", entries, s.qr_repeat)
    target = Target("p50", "<=", 10, "p50 ≤ 10 ms")
    return [ms_row(QR_FIGURES[0], res["times"]["code"], target),
            ms_row(QR_FIGURES[1], res["times"]["none"], target)]


# ------------------------------------------------------------------------- Modbus
IO_FIGURES = [f"Modbus TCP decision → output written (poll {POLL_MS} ms)"]


def io_rows(s: Sizes) -> list[Row]:
    from scripts import bench_io

    with tempfile.TemporaryDirectory(prefix="bench-io-") as d:
        res = asyncio.run(bench_io.bench("tcp", s.io_cycles, POLL_MS, Path(d)))
    w, total = res["decision → written"], res["input → written"]
    return [Row(IO_FIGURES[0], {"p50": w["p50"], "p99": w["p99"]}, "ms",
                Target("p99", "<=", 60, "p99 ≤ 60 ms"),
                f"n={w['n']}; loop change → output written p99 {total['p99']:.0f} ms", extra=res)]


# ------------------------------------------------------------------ events store
SYNC_FIGURES = ["durable event inserts (synchronous=FULL, 1 per transaction)",
                "durable events through the lane runtime, inputs queued (group commit)",
                "backlog drain to mosquitto"]


def insert_rows(s: Sizes) -> list[Row]:
    from scripts import bench_sync

    with tempfile.TemporaryDirectory(prefix="bench-ins-") as d:
        fsyncs = bench_sync.fsyncs_per_s(Path(d))
        rate = bench_sync.bench_inserts(Path(d), s.inserts, 1)
        burst = bench_sync.bench_runtime(Path(d), s.inserts, bench_sync.MAX_BATCH)
    target = Target("value", ">=", 2000, "≥ 2,000/s")
    return [Row(SYNC_FIGURES[0], {"value": rate}, "events/s", target,
                f"n={s.inserts}; disk {fsyncs:,.0f} fsyncs/s", extra={"fsyncs_per_s": fsyncs}),
            Row(SYNC_FIGURES[1], {"value": burst["rate"]}, "events/s", target,
                f"n={s.inserts} queued at once; {burst['commits']} transactions; an input waited"
                f" p99 {burst['p99_ms']:,.0f} ms", extra=burst)]


def drain_rows(s: Sizes) -> list[Row]:
    import os

    import structlog

    from scripts import bench_sync

    if shutil.which("mosquitto") is None:
        raise Skip("mosquitto not installed (scripts/system-packages.sh test)")
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    with tempfile.TemporaryDirectory(prefix="bench-drain-") as d:
        os.chmod(d, 0o755)  # mosquitto runs as its own user when we are root
        res = asyncio.run(bench_sync.drain(Path(d), s.drain, None))
    lost = f", missing {len(res['missing'])}, duplicates {res['duplicates']}"
    return [Row(SYNC_FIGURES[2], {"value": res["rate"]}, "events/s",
                Target("value", ">=", 2500, "≥ 2,500/s (100,000 in ≤ 40 s)"),
                f"{res['events']:,} in {res['drain_s']} s{lost}",
                extra={k: v for k, v in res.items() if k != "missing"})]


# ------------------------------------------------------------------------- daemon
DAEMON_FIGURES = ["daemon start → READY (sd_notify)",
                  "daemon RSS, two 1080p RTSP cameras at 25 fps",
                  "daemon CPU, two 1080p RTSP cameras at 25 fps"]


def daemon_rows(s: Sizes) -> list[Row]:
    from scripts import bench_daemon
    from scripts.anpr.rtsp_peer import gstreamer_available

    ready = Target("value", "<=", 10, "≤ 10 s", chosen=True)
    if not gstreamer_available():
        with tempfile.TemporaryDirectory(prefix="bench-ready-") as d:
            ready_s = bench_daemon.measure_ready(Path(d))
        return [Row(DAEMON_FIGURES[0], {"value": ready_s}, "s", ready, "lane without cameras"),
                *not_run(DAEMON_FIGURES[1:], "skipped: GStreamer RTSP server missing")]
    ready_s, u = bench_daemon.run(s.daemon_s)
    fps = ", ".join(f"{k} {v:.1f}" for k, v in u.fps.items())
    extra = vars(u)
    slow = min(u.fps.values(), default=0.0) < 0.9 * 25
    return [
        Row(DAEMON_FIGURES[0], {"value": ready_s}, "s", ready, "two cameras, ANPR models loaded"),
        Row(DAEMON_FIGURES[1], {"max": u.rss_max_mb}, "MB",
            Target("max", "<=", 500, "≤ 500 MB", chosen=True),
            f"{u.seconds:.0f} s; peak since start {u.hwm_mb:.0f} MB", extra=extra),
        Row(DAEMON_FIGURES[2], {"value": u.cpu_pct}, "% of one core",
            Target("value", "<=", 200, "≤ 100% of one core per camera", chosen=True),
            f"{u.seconds:.0f} s; cameras delivered {fps} fps; RTSP servers apart "
            f"{u.servers_cpu_pct:.0f}%", extra=extra,
            status="inconclusive: the cameras delivered < 25 fps" if slow else ""),
    ]


@dataclass(frozen=True)
class Bench:
    key: str
    figures: list[str]
    run: Callable[[Sizes], list[Row]]


BENCHES = [Bench("anpr", ANPR_FIGURES, anpr_rows), Bench("qr", QR_FIGURES, qr_rows),
           Bench("io", IO_FIGURES, io_rows), Bench("inserts", SYNC_FIGURES[:2], insert_rows),
           Bench("drain", SYNC_FIGURES[2:], drain_rows),
           Bench("daemon", DAEMON_FIGURES, daemon_rows)]


def run_one(b: Bench, sizes: Sizes, debug: bool) -> list[Row]:
    """The bench's rows; a Skip or a failure becomes rows that say so, never a traceback."""
    started = time.monotonic()
    print(f"[bench] {b.key} ...", file=sys.stderr, flush=True)
    try:
        with redirect_stdout(sys.stderr):
            rows = b.run(sizes)
    except Skip as exc:
        rows = not_run(b.figures, f"skipped: {exc}")
    except Exception as exc:
        if debug:
            raise
        print(f"[bench] {b.key} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        first = (str(exc).strip().splitlines() or [""])[0]
        rows = not_run(b.figures, f"error: {type(exc).__name__}: {first}"[:160])
    print(f"[bench] {b.key} done in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return [r.judge() for r in rows]


def parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes: a 1-2 min smoke run")
    ap.add_argument("--only", default="", help="comma-separated: " +
                    ",".join(b.key for b in BENCHES))
    ap.add_argument("--json", type=Path, default=CACHE / "latest.json", help="write JSON here")
    ap.add_argument("--note", default="", help="a line for the header (e.g. machine shared)")
    ap.add_argument("--daemon-seconds", type=float, help="override the daemon window")
    ap.add_argument("--debug", action="store_true", help="let a failing bench raise")
    args = ap.parse_args(argv)
    keys = {b.key for b in BENCHES}
    args.only = [k for k in args.only.split(",") if k]
    if unknown := set(args.only) - keys:
        ap.error(f"unknown --only {', '.join(sorted(unknown))}; choose from {', '.join(keys)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    sizes = QUICK if args.quick else Sizes()
    if args.daemon_seconds:
        sizes = replace(sizes, daemon_s=args.daemon_seconds)
    m = machine(args.note)
    m["sizes"] = "quick" if args.quick else "default"
    rows: list[Row] = []
    for b in BENCHES:
        if not args.only or b.key in args.only:
            rows += run_one(b, sizes, args.debug)
    m["load_at_end"] = load_now()
    print(report(m, rows), flush=True)
    command = "scripts/bench " + shlex.join(sys.argv[1:] if argv is None else argv)
    write_json(args.json, to_json(m, rows, command.strip()))
    print(f"\n(JSON: {args.json})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
