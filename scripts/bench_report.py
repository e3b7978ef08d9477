"""Rows, targets, the machine header, and the table/JSON output of ``scripts/bench``.

A :class:`Row` is one figure: its measured values, an optional :class:`Target` on one of
them, and a result (``pass``, ``FAIL``, ``no target``, ``skipped: why``, ``error: why``).
The table is Markdown so it can go into the README as printed.
"""

from __future__ import annotations

import json
import math
import os
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Target:
    """``values[key] <op> limit``; ``text`` is how the table states it."""

    key: str
    op: str  # "<=" or ">="
    limit: float
    text: str
    chosen: bool = False  # a budget chosen for this benchmark, not one from an issue

    def met(self, values: dict[str, float]) -> bool:
        v = values[self.key]
        return v <= self.limit if self.op == "<=" else v >= self.limit


@dataclass
class Row:
    figure: str
    values: dict[str, float] = field(default_factory=dict)
    unit: str = ""
    target: Target | None = None
    note: str = ""  # shown beside the values (conditions, counts)
    extra: dict[str, Any] = field(default_factory=dict)  # JSON only
    status: str = ""  # set by :func:`judge` unless skipped/error

    def judge(self) -> Row:
        if not self.status:
            if self.target is None:
                self.status = "no target"
            else:
                self.status = "pass" if self.target.met(self.values) else "FAIL"
        return self

    def measured(self) -> str:
        if not self.values:
            return "–"
        parts = [f"{k} {fmt(v)}" if k != "value" else fmt(v) for k, v in self.values.items()]
        text = " / ".join(parts) + (f" {self.unit}" if self.unit else "")
        return f"{text} ({self.note})" if self.note else text

    def target_text(self) -> str:
        if self.target is None:
            return "–"
        return self.target.text + (" (budget chosen here)" if self.target.chosen else "")


def not_run(figures: list[str], status: str) -> list[Row]:
    """Rows for a sub-benchmark that could not run: ``status`` is "skipped: …"/"error: …"."""
    return [Row(name, status=status) for name in figures]


def fmt(v: float) -> str:
    if math.isnan(v):
        return "n/a"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def mem_total_gb() -> float:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return float("nan")


def machine(note: str = "") -> dict[str, Any]:
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)),
        "memory_gb": round(mem_total_gb(), 1),
        "kernel": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load_at_start": load_now(),
        "note": note,
    }


def header(m: dict[str, Any]) -> str:
    text = (f"gated benchmarks, {m['date']}: {m['cpu']}, {m['cores']} cores "
            f"({m['cores_usable']} usable), {m['memory_gb']} GB, {m['kernel']}, "
            f"Python {m['python']}; load average at start {_load(m['load_at_start'])}")
    if m.get("load_at_end"):
        text += f", at end {_load(m['load_at_end'])}"
    return text + (f"\nnote: {m['note']}" if m["note"] else "")


def _load(xs: list[float]) -> str:
    return " ".join(f"{x:.2f}" for x in xs)


def load_now() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def table(rows: list[Row]) -> str:
    lines = ["| figure | measured | target | result |", "|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.figure} | {r.measured()} | {r.target_text()} | {r.status} |")
    return "\n".join(lines)


def report(m: dict[str, Any], rows: list[Row]) -> str:
    return header(m) + "\n\n" + table(rows)


def to_json(m: dict[str, Any], rows: list[Row], command: str) -> dict[str, Any]:
    out = []
    for r in rows:
        d = asdict(r)
        d["target"] = None if r.target is None else {**asdict(r.target), "text": r.target_text()}
        out.append(d)
    return {"machine": m, "command": command, "rows": out}


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(_clean(data), indent=2, ensure_ascii=False, default=str))
    tmp.replace(path)


def _clean(o: Any) -> Any:
    """NaN (a figure that could not be computed) becomes null: JSON has no NaN."""
    if isinstance(o, float) and math.isnan(o):
        return None
    if isinstance(o, dict):
        return {k: _clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_clean(v) for v in o]
    return o
