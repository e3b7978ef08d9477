"""Timestamps as the contract writes them: RFC 3339, milliseconds, explicit offset."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone


def parse_offset(text: str) -> timezone:
    """``+07:00`` / ``-03:30`` / ``Z`` -> a fixed-offset timezone."""
    if text in ("Z", "+00:00", "UTC"):
        return timezone.utc
    sign = {"+": 1, "-": -1}.get(text[:1])
    hh, _, mm = text[1:].partition(":")
    if sign is None or not (hh.isdigit() and mm.isdigit() and len(hh) == 2 and len(mm) == 2):
        raise ValueError(f"offset must look like +07:00, got {text!r}")
    minutes = int(hh) * 60 + int(mm)
    if minutes > 14 * 60:
        raise ValueError(f"offset out of range: {text!r}")
    return timezone(sign * timedelta(minutes=minutes))


def rfc3339(epoch_s: float, tz: timezone = timezone.utc) -> str:
    """``2026-11-23T10:15:30.123+07:00``."""
    return datetime.fromtimestamp(epoch_s, tz).isoformat(timespec="milliseconds")


def parse_rfc3339(text: str) -> float:
    """Epoch seconds from an RFC 3339 timestamp with an explicit offset."""
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        raise ValueError(f"timestamp needs an explicit offset: {text!r}")
    return dt.timestamp()
