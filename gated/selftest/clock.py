"""The clock: plausible at all, and kept right by NTP (chrony or systemd-timesyncd).

Pass validity, command expiry and event timestamps all hang on it: an offset beyond
``[timing] command_skew_s`` makes the lane refuse good commands and accept stale ones.
The offset is what the NTP client measured (``chronyc tracking``, ``timedatectl
timesync-status``); nothing here talks NTP itself.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from gated.core.timefmt import parse_offset, rfc3339
from gated.selftest.context import Context, Emit
from gated.selftest.report import failed, passed, warned

C = "clock"
EARLIEST = 1767225600  # 2026-01-01T00:00:00Z: a clock before this lost its RTC (battery?)
WARN_OFFSET_S = 0.5
TIMESYNCD_FLAG = Path("/run/systemd/timesync/synchronized")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0}


@dataclass(frozen=True)
class NtpStatus:
    client: str  # chrony, timesyncd
    synced: bool
    offset_s: float | None  # positive: the lane's clock is ahead
    source: str = ""
    detail: str = ""


def parse_chrony(text: str) -> NtpStatus:
    """``chronyc tracking`` output."""
    fields = dict(_pairs(text))
    leap = fields.get("Leap status", "")
    offset = None
    m = re.match(r"([0-9.]+) seconds (fast|slow)", fields.get("System time", ""))
    if m:
        offset = float(m.group(1)) * (1 if m.group(2) == "fast" else -1)
    ref = fields.get("Reference ID", "")
    source = ref[ref.find("(") + 1:ref.rfind(")")] if "(" in ref else ref
    return NtpStatus("chrony", leap.lower() in ("normal", "insert second", "delete second"),
                     offset, source, f"leap status {leap or 'unknown'}")


def parse_timesyncd(text: str, synced: bool) -> NtpStatus:
    """``timedatectl timesync-status`` output, with whether the kernel clock is synced."""
    fields = dict(_pairs(text))
    offset = _duration(fields.get("Offset", ""))
    return NtpStatus("timesyncd", synced, offset, fields.get("Server", ""),
                     f"stratum {fields.get('Stratum', '?')}")


def _pairs(text: str):
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            yield key.strip(), value.strip()


def _duration(text: str) -> float | None:
    m = re.match(r"([+-]?[0-9.]+)\s*(ns|us|µs|ms|s|min)\b", text)
    return float(m.group(1)) * _UNITS[m.group(2)] if m else None


def _run(argv: list[str]) -> str | None:
    try:
        res = subprocess.run(argv, capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return res.stdout if res.returncode == 0 else None


def ntp_status() -> NtpStatus | str:
    """The NTP client's view, or why there is none (blocking: a few subprocesses)."""
    if shutil.which("chronyc"):
        out = _run(["chronyc", "tracking"])
        if out:
            return parse_chrony(out)
        return "chrony is installed but chronyd does not answer: start it (systemctl start chrony)"
    if shutil.which("timedatectl"):
        out = _run(["timedatectl", "timesync-status"])
        if out:
            return parse_timesyncd(out, TIMESYNCD_FLAG.exists())
    if TIMESYNCD_FLAG.exists():
        return NtpStatus("timesyncd", True, None, detail="synchronized (offset not readable)")
    return "no NTP client found: install chrony and point it at the site's NTP server"


async def run(ctx: Context, emit: Emit) -> None:
    now = time.time()
    shown = rfc3339(now, parse_offset(ctx.cfg.lane.timezone))[:19].replace("T", " ") + \
        f" {ctx.cfg.lane.timezone}"
    if now < EARLIEST:
        await emit(failed(C, "", "plausible", "the clock is far behind (RTC battery?): set it "
                          "(date -s) and make NTP work before anything else", shown))
    else:
        await emit(passed(C, "", "plausible", shown))
    status = await asyncio.to_thread(ntp_status)
    await emit(judge(status, ctx.cfg.timing.command_skew_s))


def judge(status: NtpStatus | str, skew_s: float):
    """The ``ntp`` step's result for what the NTP client said (pure)."""
    if isinstance(status, str):
        return warned(C, "", "ntp", status, "not synced")
    off = status.offset_s
    figure = f"offset {off * 1000:+.1f} ms" if off is not None else "offset unknown"
    detail = f"{status.client} {status.source} {status.detail}".strip()
    if off is not None and abs(off) > skew_s:
        return failed(C, "", "ntp", f"the clock is off by more than command_skew_s ({skew_s} s): "
                      "commands and passes will be judged wrongly; fix NTP", figure, off, "s", detail)
    if not status.synced:
        return warned(C, "", "ntp", f"{status.client} is not synchronised: check that the NTP "
                      "server is reachable from the lane", figure, off, "s", detail)
    if off is not None and abs(off) > WARN_OFFSET_S:
        return warned(C, "", "ntp", "large offset: NTP is still converging, or the server is "
                      "far; check again in a few minutes", figure, off, "s", detail)
    return passed(C, "", "ntp", figure, off, "s", detail)
