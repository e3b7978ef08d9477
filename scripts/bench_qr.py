#!/usr/bin/env python3
"""Benchmark QR decoding and verification; compare the zxing-cpp and zbar backends.

    python scripts/bench_qr.py --set var/qr-eval            # renders the set if missing
    python scripts/bench_qr.py --set var/qr-eval --backends zxing,zbar,zxing+zbar

Prints, per backend chain and on the same frames: the decode rate per distortion (codes
found with the exact text / codes shown), false decodes (texts that were not shown: must
be 0), the decode time per 1080p frame with and without a code (p50/p99), and the
verification time per token. Timings are wall clock on whatever else the machine runs:
compare backends within one run, not across machines.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

sys.path.insert(0, str(Path(__file__).resolve().parent))
import render_qr_set

from gated.core.passes import PassBook
from gated.qr import Keyring, verify
from gated.qr import mint as m
from gated.qr.decode import make_decoder, to_gray


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def load_set(path: Path, per_kind: int, seed: int) -> list[dict[str, Any]]:
    manifest = path / "manifest.json"
    if not manifest.exists():
        print(f"rendering the evaluation set into {path} ...", file=sys.stderr)
        render_qr_set.render(path, per_kind, seed, list(render_qr_set.DISTORTIONS))
    entries = json.loads(manifest.read_text())
    for e in entries:
        e["gray"] = to_gray(cv2.imread(str(path / e["file"])))
    return entries


def run_chain(spec: str, entries: list[dict[str, Any]], repeat: int) -> dict[str, Any]:
    decoder = make_decoder(spec)
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    times: dict[str, list[float]] = {"code": [], "none": [], "code cpu": [], "none cpu": []}
    for e in entries:
        expected = set(e["texts"])
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            codes = decoder.decode(e["gray"])
            label = "code" if expected else "none"
            times[label].append((time.perf_counter() - t0) * 1000)
            times[f"{label} cpu"].append((time.process_time() - c0) * 1000)
        found = {c.text for c in codes}
        stats = per_kind[e["kind"]]
        stats[0] += len(found & expected)
        stats[1] += len(expected)
        stats[2] += len(found - expected)
    return {"spec": spec, "kinds": dict(per_kind), "times": times}


def verify_times(n: int) -> dict[str, list[float]]:
    key = Ed25519PrivateKey.from_private_bytes(bytes(32))
    now = 1_795_000_000.0
    token = m.mint(
        key,
        m.pass_claims(
            pid="P-1", plate="29C12345", site="s", iat=now, nbf=now - 10, exp=now + 10, dir="in"
        ),
        kid="k",
    )
    ring = Keyring.of(m.trusted(key, "k"))
    forged = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBA")
    args: dict[str, Any] = {
        "keyring": ring,
        "passes": PassBook(),
        "site": "s",
        "lane": "l",
        "direction": "in",
        "now": now,
        "skew_s": 2.0,
    }
    out: dict[str, list[float]] = {}
    for label, text in (("signed ok", token), ("signed forged", forged), ("reference", "GPR:P-1")):
        wall, cpu = [], []
        for _ in range(n):
            t0, c0 = time.perf_counter(), time.process_time()
            verify(text, **args)
            wall.append((time.perf_counter() - t0) * 1e6)
            cpu.append((time.process_time() - c0) * 1e6)
        out[f"{label}, wall"], out[f"{label}, CPU"] = wall, cpu
    return out


def print_report(results: list[dict[str, Any]], vtimes: dict[str, list[float]]) -> None:
    kinds = list(render_qr_set.DISTORTIONS)
    head = "| distortion | " + " | ".join(r["spec"] for r in results) + " |"
    print(head)
    print("|" + "---|" * (len(results) + 1))
    for kind in kinds:
        cells = []
        for r in results:
            ok, shown, false = r["kinds"].get(kind, [0, 0, 0])
            rate = f"{ok}/{shown} ({100 * ok / shown:.0f}%)" if shown else "-"
            cells.append(f"{rate}, {false} false")
        print(f"| {kind} | " + " | ".join(cells) + " |")
    for label in ("code", "none", "code cpu", "none cpu"):
        what = ("with a code" if label.startswith("code") else "no code") + (
            " (CPU time)" if label.endswith("cpu") else " (wall)"
        )
        cells = [
            f"{pct(r['times'][label], 50):.1f} / {pct(r['times'][label], 99):.1f}" for r in results
        ]
        print(f"| ms p50/p99, 1080p {what} | " + " | ".join(cells) + " |")
    total = [sum(v[0] for v in r["kinds"].values()) for r in results]
    shown = [sum(v[1] for v in r["kinds"].values()) for r in results]
    false = [sum(v[2] for v in r["kinds"].values()) for r in results]
    print(
        "| all | "
        + " | ".join(
            f"{t}/{s} ({100 * t / max(s, 1):.0f}%), {f} false"
            for t, s, f in zip(total, shown, false)
        )
        + " |"
    )
    print()
    print("(wall: elapsed time, includes waiting for a core; CPU: this process's own time)")
    for label, samples in vtimes.items():
        print(
            f"verify {label:14} p50 {pct(samples, 50):7.1f} µs  p99 {pct(samples, 99):7.1f} µs"
            f"  (n={len(samples)}, mean {statistics.fmean(samples):.1f} µs)"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", type=Path, default=Path("var/qr-eval"))
    ap.add_argument("--per-kind", type=int, default=24, help="frames per kind when rendering")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--backends", default="zxing,zbar,zxing+zbar")
    ap.add_argument("--repeat", type=int, default=1, help="decodes per frame for timing")
    ap.add_argument("--verify-n", type=int, default=5000)
    args = ap.parse_args(argv)
    entries = load_set(args.set, args.per_kind, args.seed)
    cv2.setNumThreads(1)
    results = [run_chain(s, entries, args.repeat) for s in args.backends.split(",") if s]
    print(f"{len(entries)} frames of 1920x1080 from {args.set}\n")
    print_report(results, verify_times(args.verify_n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
