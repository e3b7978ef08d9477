"""The self-test report, pure: one :class:`Result` per measured step, a :class:`Report`.

The same dict comes out of ``gatectl selftest --json``, the control socket's ``selftest``
command and the central ``selftest.run`` command::

    {"v": 1, "ok": false, "mode": "standalone", "lane": {"site", "lane"},
     "started_at": "...", "duration_s": 7.4,
     "summary": {"pass": 12, "warn": 2, "fail": 1, "skip": 3},
     "results": [{"check": "camera", "device": "front", "step": "connect",
                  "status": "fail", "figure": "no answer in 5.0 s", "value": null,
                  "unit": null, "detail": "...", "remedy": "...", "duration_s": 5.0}]}

``status`` is ``pass`` (works), ``warn`` (works, but look at it), ``fail`` (does not work:
the exit status is non-zero) or ``skip`` (not configured, or needs ``--yes``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

Status = Literal["pass", "warn", "fail", "skip"]
STATUSES: tuple[Status, ...] = ("pass", "warn", "fail", "skip")
REPORT_VERSION = 1


@dataclass(frozen=True, slots=True)
class Result:
    """One step of one check: what was measured and what to do about it."""

    check: str  # family: camera, qr, io, lights, serial, mqtt, store, clock, models
    device: str  # the configured device name ("front", "io", "board") or "" for the lane
    step: str  # connect, frame_rate, decode, plate_read, snapshot, ...
    status: Status
    figure: str = ""  # the measured figure, for people: "24.8 fps", "3 ms", "12.1 GB free"
    value: float | None = None  # the same figure for machines
    unit: str | None = None  # unit of ``value``: s, ms, fps, bytes, events, days, ...
    detail: str = ""  # what was seen
    remedy: str = ""  # one line: what to do about it (empty when nothing is to be done)
    duration_s: float = 0.0

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.check, self.device, self.step) if p)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if isinstance(self.value, float):
            d["value"] = round(self.value, 4)
        return d

    def timed(self, duration_s: float) -> Result:
        return replace(self, duration_s=round(duration_s, 3))


def passed(check: str, device: str, step: str, figure: str = "", value: float | None = None,
           unit: str | None = None, detail: str = "") -> Result:
    return Result(check, device, step, "pass", figure, value, unit, detail)


def warned(check: str, device: str, step: str, remedy: str, figure: str = "",
           value: float | None = None, unit: str | None = None, detail: str = "") -> Result:
    return Result(check, device, step, "warn", figure, value, unit, detail, remedy)


def failed(check: str, device: str, step: str, remedy: str, figure: str = "",
           value: float | None = None, unit: str | None = None, detail: str = "") -> Result:
    return Result(check, device, step, "fail", figure, value, unit, detail, remedy)


def skipped(check: str, device: str, step: str, remedy: str, detail: str = "") -> Result:
    return Result(check, device, step, "skip", detail=detail, remedy=remedy)


def from_dict(d: dict[str, Any]) -> Result:
    """A result back from its dict (the control socket streams them)."""
    status = d.get("status")
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    known = {f for f in Result.__dataclass_fields__}
    return Result(**{k: v for k, v in d.items() if k in known})


def summary(results: Iterable[Result]) -> dict[str, int]:
    counts = {s: 0 for s in STATUSES}
    for r in results:
        counts[r.status] += 1
    return counts


@dataclass(frozen=True)
class Report:
    mode: str  # "standalone" (devices opened by gatectl) or "daemon" (through gated)
    site: str
    lane: str
    started_at: str
    duration_s: float
    results: tuple[Result, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not any(r.status == "fail" for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        return {
            "v": REPORT_VERSION,
            "ok": self.ok,
            "mode": self.mode,
            "lane": {"site": self.site, "lane": self.lane},
            "started_at": self.started_at,
            "duration_s": round(self.duration_s, 2),
            "summary": summary(self.results),
            "results": [r.to_dict() for r in self.results],
        }


def report_from_dict(d: dict[str, Any]) -> Report:
    lane = d.get("lane") or {}
    return Report(str(d.get("mode", "")), str(lane.get("site", "")), str(lane.get("lane", "")),
                  str(d.get("started_at", "")), float(d.get("duration_s", 0.0)),
                  tuple(from_dict(r) for r in d.get("results", [])))


def exit_status(report: Report) -> int:
    """0 when nothing failed, 1 otherwise (warnings and skips do not fail a lane)."""
    return 0 if report.ok else 1
