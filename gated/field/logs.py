"""``gatectl logs``: the daemon's recent log lines, readable.

gated logs one JSON object per line to stdout; journald keeps them. This reads them back
with ``journalctl -u gated -o json`` (or from a file with ``--file``) and prints each as
one line -- date, time, level mark, event, facts -- the same layout as the demo's console
log. Lines that are not gated's JSON (a Python traceback, systemd's own messages) are
printed as they are, with the journal's time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

from gated.daemon.logs import console_line

LEVELS = ("debug", "info", "warning", "error", "critical")
EXAMPLES = """examples:
  gatectl logs                       # the last 50 lines of the gated service
  gatectl logs -n 200 --level warning
  gatectl logs --since "1 hour ago" --follow
  gatectl logs --file /var/log/gated.log"""


def add_subparser(sub, parents: list[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = sub.add_parser("logs", parents=parents, help="recent daemon log lines, readable",
                       description=__doc__.replace("``", ""), epilog=EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-n", "--lines", type=int, default=50, help="how many recent lines (50)")
    p.add_argument("--level", choices=LEVELS, default="debug", help="this level and above")
    p.add_argument("--since", help='journal only: e.g. "1 hour ago", "2026-11-23 08:00"')
    p.add_argument("--follow", "-f", action="store_true", help="keep printing new lines")
    p.add_argument("--unit", default="gated", help="systemd unit (default gated)")
    p.add_argument("--file", type=Path, help="read this log file instead of the journal")
    p.set_defaults(fn=cmd_logs, offline=True)
    return p


def readable(line: str, min_level: str = "debug", when: float | None = None) -> str | None:
    """One line for a person, or None when it is below ``min_level``."""
    try:
        event = json.loads(line)
    except ValueError:
        event = None
    if not isinstance(event, dict) or "event" not in event:
        stamp = datetime.fromtimestamp(when).isoformat(" ", "milliseconds") if when else ""
        return f"{stamp} {line}".strip()
    level = str(event.get("level", "info"))
    if level in LEVELS and LEVELS.index(level) < LEVELS.index(min_level):
        return None
    day = str(event.get("timestamp", ""))[:10]
    return f"{day} {console_line(None, None, event)}".rstrip()


def _message(entry: dict) -> str:
    msg = entry.get("MESSAGE", "")
    if isinstance(msg, list):  # journald sends non-UTF-8 text as a byte list
        msg = bytes(msg).decode("utf-8", "replace")
    return str(msg)


def journal_lines(entries: Iterable[str], min_level: str) -> Iterator[str]:
    """``journalctl -o json`` lines -> readable lines."""
    for raw in entries:
        try:
            entry = json.loads(raw)
        except ValueError:
            continue
        when = int(entry.get("__REALTIME_TIMESTAMP", 0)) / 1e6 or None
        shown = readable(_message(entry), min_level, when)
        if shown is not None:
            yield shown


def tail(path: Path, n: int, block: int = 65536) -> list[str]:
    """The last ``n`` lines of a file without reading all of it."""
    with path.open("rb") as f:
        f.seek(0, os.SEEK_END)
        end = pos = f.tell()
        data = b""
        while pos > 0 and data.count(b"\n") <= n:
            pos = max(0, pos - block)
            f.seek(pos)
            data = f.read(end - pos)
    return data.decode("utf-8", "replace").splitlines()[-n:]


def _file(args: argparse.Namespace) -> int:
    try:
        lines = tail(args.file, args.lines)
    except OSError as exc:
        print(f"gatectl logs: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 1
    _print(readable(ln, args.level) for ln in lines)
    if args.follow:
        with args.file.open("rb") as f:
            f.seek(0, os.SEEK_END)
            while True:
                line = f.readline()
                if not line:
                    time.sleep(0.5)
                    continue
                _print([readable(line.decode("utf-8", "replace").rstrip("\n"), args.level)])
    return 0


def _print(lines: Iterable[str | None]) -> None:
    for line in lines:
        if line is not None:
            print(line, flush=True)


def journal_argv(args: argparse.Namespace) -> list[str]:
    argv = ["journalctl", "-u", args.unit, "-o", "json", "-n", str(args.lines), "--no-pager"]
    if args.since:
        argv += ["--since", args.since]
    return argv + (["-f"] if args.follow else [])


def _journal(args: argparse.Namespace) -> int:
    if shutil.which("journalctl") is None:
        print("gatectl logs: no journalctl here: give --file PATH", file=sys.stderr)
        return 1
    proc = subprocess.Popen(journal_argv(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, errors="replace")
    shown = 0
    assert proc.stdout is not None
    for line in journal_lines(proc.stdout, args.level):
        print(line, flush=True)
        shown += 1
    err = proc.stderr.read().strip() if proc.stderr else ""
    if proc.wait() != 0 or (shown == 0 and args.level == "debug"):
        print(f"gatectl logs: no lines from unit {args.unit} in the journal"
              f"{': ' + err.splitlines()[-1] if err else ''} (is gated installed as a "
              "service? --file PATH reads a log file)", file=sys.stderr)
        return 1
    return 0


def cmd_logs(args: argparse.Namespace) -> int:
    if args.lines < 1:
        print("gatectl logs: -n must be at least 1", file=sys.stderr)
        return 2
    try:
        return _file(args) if args.file else _journal(args)
    except KeyboardInterrupt:
        return 0
