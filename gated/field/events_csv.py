"""A day's events as CSV, for a technician's spreadsheet or a ticket.

A day is the lane's calendar day (``[lane] timezone``), by the time each event was stored.
Through the running daemon (control command ``events.day``) or, with gated stopped,
straight from the store opened read-only. One row per event; nested facts flattened into
fixed columns; ``what`` is the same one-line summary ``gatectl events`` shows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from gated.control.render import event_summary
from gated.store.db import connect, translated

MAX_EVENTS = 200_000  # a busy lane stores a few thousand a day
COLUMNS = ("seq", "ts", "type", "id", "passage_id", "plate", "plate_display", "confidence",
           "trailer_plate", "pass_id", "decision", "reasons", "by", "device", "reason",
           "operator", "what")


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(f"day must be YYYY-MM-DD, got {str(text)[:40]!r}") from None


def day_bounds(day: date, tz: timezone) -> tuple[float, float]:
    """Epoch seconds of the lane's midnight starting ``day`` and the next one."""
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    return start.timestamp(), (start + timedelta(days=1)).timestamp()


def events_between(conn: Any, path: Path, start: float, end: float,
                   limit: int = MAX_EVENTS) -> list[dict]:
    """Blocking: events stored in [start, end), in seq order (uses the created_at index)."""
    import json

    with translated(path):
        rows = conn.execute("SELECT body FROM events WHERE created_at >= ? AND created_at < ? "
                            "ORDER BY seq LIMIT ?", (start, end, limit)).fetchall()
    return [json.loads(r[0]) for r in rows]


def read_day(path: Path, day: date, tz: timezone) -> list[dict]:
    """Blocking, gated stopped (or not): the day's events from a read-only connection."""
    db = connect(path, readonly=True)
    try:
        return events_between(db.conn, path, *day_bounds(day, tz))
    finally:
        db.conn.close()


def row(e: dict) -> dict[str, Any]:
    vehicle, decision = e.get("vehicle") or {}, e.get("decision") or {}
    return {
        "seq": e.get("seq"), "ts": e.get("ts"), "type": e.get("type"), "id": e.get("id"),
        "passage_id": e.get("passage_id"), "plate": vehicle.get("plate"),
        "plate_display": vehicle.get("plate_display"),
        "confidence": vehicle.get("plate_confidence"),
        "trailer_plate": vehicle.get("trailer_plate"), "pass_id": (e.get("pass") or {}).get("id"),
        "decision": decision.get("result"), "reasons": " ".join(decision.get("reasons") or []),
        "by": decision.get("by"), "device": e.get("device"), "reason": e.get("reason"),
        "operator": e.get("operator"), "what": event_summary(e),
    }


def _cell(value: Any) -> Any:
    """Spreadsheets run cells that start with = + - @ as formulas: a plate or a QR-derived
    reason must never become one (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def to_csv(events: Iterable[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for e in events:
        writer.writerow({k: _cell(v) for k, v in row(e).items()})
    return out.getvalue()
