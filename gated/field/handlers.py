"""Control-socket commands for the technician workflows.

``{"cmd": "events.day", "args": {"day": "2026-11-23"}}`` -> the day's events (lane's
calendar day, by stored time; ``day`` omitted: today on the lane).
"""

from __future__ import annotations

import time
from datetime import datetime

from gated.control.server import CommandError
from gated.field.events_csv import day_bounds, events_between, parse_day
from gated.store import StoreError


async def events_day(app, args: dict) -> dict:
    tz = app.runtime.params.tz
    raw = args.get("day")
    try:
        day = parse_day(raw) if raw is not None else datetime.fromtimestamp(time.time(), tz).date()
    except ValueError as exc:
        raise CommandError("invalid", str(exc)) from None
    start, end = day_bounds(day, tz)
    store = app.store
    try:
        events = await app.runtime.astore.run(
            lambda: events_between(store.db.conn, store.path, start, end))
    except StoreError as exc:
        raise CommandError("store", str(exc)) from None
    return {"day": day.isoformat(), "events": events}


def register(server) -> None:
    server.register("events.day", events_day)
