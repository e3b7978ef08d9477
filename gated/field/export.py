"""``gatectl events --day D [--csv]``: one day's events, through gated or from the store.

With gated running the daemon answers (``events.day``); with it stopped and ``--config``
given, the store is read directly (read-only), so a technician can export the day of a
lane whose daemon will not start.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from pathlib import Path

from gated.config import load_config
from gated.control import render
from gated.control.client import Client, NotRunning
from gated.core.timefmt import parse_offset
from gated.field.events_csv import parse_day, read_day, to_csv
from gated.store import StoreError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--day", metavar="YYYY-MM-DD", help="every event of that day on the lane")
    p.add_argument("--csv", action="store_true", help="as CSV (a day: --day, default today)")
    p.add_argument("--out", type=Path, help="write to this file instead of the screen")


def wanted(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "csv", False) or getattr(args, "day", None))


def _from_store(config: str, day_text: str | None) -> tuple[str, list[dict]]:
    cfg = load_config(config).config
    tz = parse_offset(cfg.lane.timezone)
    day = parse_day(day_text) if day_text else datetime.fromtimestamp(time.time(), tz).date()
    print("gatectl: gated is not running: reading the store directly", file=sys.stderr)
    return day.isoformat(), read_day(Path(cfg.store.path), day, tz)


def fetch(client: Client, args: argparse.Namespace) -> tuple[str, list[dict]]:
    if args.day:
        parse_day(args.day)  # a usage error before asking anyone
    try:
        res = client.call("events.day", **({"day": args.day} if args.day else {}))
        return res["day"], res["events"]
    except NotRunning:
        if not args.config:
            raise
        return _from_store(args.config, args.day)


def cmd_export(client: Client, args: argparse.Namespace) -> int:
    try:
        day, events = fetch(client, args)
    except ValueError as exc:
        print(f"gatectl events: {exc}", file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"gatectl events: {exc}", file=sys.stderr)
        return 1
    if args.csv:
        text = to_csv(events)
    elif args.json:
        text = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events)
    else:
        text = render.event_rows(events) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"{len(events)} events of {day} written to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
