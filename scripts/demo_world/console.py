"""The demo's live view: one readable line per thing that happens at the lane.

It merges four real sources: the lane's events (gated's control socket, ``events``
after the last seq seen), gated's JSON log (ANPR votes, QR codes seen at the cab window),
the I/O module's log (what the world drove on the loops, what gated wrote on the coils,
the limit switches) and the message board's frames.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

from gated.control.client import Client, NotRunning, Refused

GREY, GREEN, RED, YELLOW, BOLD, RESET = ("\033[90m", "\033[32m", "\033[31m", "\033[33m",
                                         "\033[1m", "\033[0m")
RESULT_COLOUR = {"grant": GREEN, "deny": RED, "manual": YELLOW}


class Tail:
    """New JSON lines of a growing file."""

    def __init__(self, path: Path) -> None:
        self.path, self.pos = path, 0

    def lines(self) -> list[dict]:
        if not self.path.exists():
            return []
        with open(self.path, "rb") as f:
            f.seek(self.pos)
            data = f.read()
        end = data.rfind(b"\n") + 1
        self.pos += end
        out = []
        for line in data[:end].splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out


def _secs(a: str | None, b: str | None) -> str:
    if not a or not b:
        return "?"
    return f"{(datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds():.2f}s"


def describe_event(e: dict) -> str | None:
    kind = e["type"]
    head = f"#{e['seq']:<4} {kind:<18}"
    if kind.startswith("passage."):
        v, d, p = e.get("vehicle") or {}, e.get("decision") or {}, e.get("pass")
        plate = v.get("plate_display") or "(no plate)"
        conf = v.get("plate_confidence")
        read = f"{plate} ({conf:.2f}, {v.get('reads')} reads)" if conf is not None else plate
        pas = f"pass {p['id']} via {p['source']}" if p else "no pass"
        t = e.get("timing") or {}
        result = d.get("result", "?")
        colour = RESULT_COLOUR.get(result, "")
        line = f"{head} {BOLD}{read}{RESET}  {pas}  {colour}{result.upper()}{RESET} " \
               f"{d.get('reasons')}"
        if kind == "passage.decided":
            return f"{line}  seen→decided {_secs(t.get('first_seen'), t.get('decided'))}"
        if kind == "passage.completed":
            return f"{line}  decided→open {_secs(t.get('decided'), t.get('opened'))}, " \
                   f"seen→cleared {_secs(t.get('first_seen'), t.get('cleared'))}"
        return f"{line}  {RED if kind == 'passage.tailgate' else ''}vehicles " \
               f"{e.get('vehicles', '?')}{RESET}"
    if kind == "pass.rejected":
        return f"{head} {RED}QR pass rejected: {e.get('reason')}{RESET} (pass " \
               f"{(e.get('pass') or {}).get('id')}, plate read {e.get('plate_read')})"
    detail = {k: e[k] for k in ("device", "kind", "reason", "mode", "action", "operator")
              if k in e}
    return f"{head} {detail}"


def describe_io(e: dict) -> str | None:
    kind = e.get("event")
    if kind == "vehicle":
        return f"{BOLD}▶ vehicle {e['index'] + 1}: {e['label']} [{e['plate']}]{RESET}"
    if kind == "output" and e.get("value"):
        return f"{GREY}  io  coil {e['name']} on{RESET}"
    if kind == "input" and e["name"] in ("open_limit", "closed_limit"):
        if not e.get("value"):
            return None  # the boom left a limit switch: the next line says where it went
        return f"{GREY}  io  barrier {'UP' if e['name'] == 'open_limit' else 'DOWN'}{RESET}"
    if kind == "input":
        return f"{GREY}  io  {e['name']} loop {'occupied' if e['value'] else 'free'}{RESET}"
    return None


class LogView:
    """ANPR votes and QR scans from gated's log; a QR held in view is shown once."""

    def __init__(self, quiet_s: float = 15.0) -> None:
        self.quiet_s = quiet_s
        self.seen: dict[str, float] = {}

    def describe(self, e: dict) -> str | None:
        if e.get("event") == "anpr.voted":
            return f"{GREY}  anpr voted {e.get('plate')} ({e.get('status')}, confidence " \
                   f"{e.get('confidence')}, {e.get('reads')} reads, " \
                   f"{e.get('decision_ms')} ms after the first read){RESET}"
        if e.get("event") == "qr.scanned":
            text, now = str(e.get("text")), time.monotonic()
            fresh = now - self.seen.get(text, float("-inf")) > self.quiet_s
            self.seen[text] = now
            return f"{GREY}  qr   cab window: {text[:40]}…{RESET}" if fresh else None
        return None


def describe_board(e: dict) -> str | None:
    if e.get("event") == "frame" and e.get("text"):
        return f"{GREY}  board «{e['text']}»{RESET}"
    return None


class Console:
    def __init__(self, socket: Path, io_log: Path, board_log: Path, gated_log: Path,
                 out=print) -> None:
        self.client = Client(socket, timeout=5)
        self.io, self.board = Tail(io_log), Tail(board_log)
        self.log, self.log_view = Tail(gated_log), LogView()
        self.after: int | None = None  # the last seq shown; None: skip earlier runs' events
        self.out = out

    def poll(self) -> None:
        for e in self.io.lines():
            self._show(describe_io(e))
        for e in self.board.lines():
            self._show(describe_board(e))
        for e in self.log.lines():
            self._show(self.log_view.describe(e))
        try:
            if self.after is None:
                last = self.client.call("events", limit=1)
                self.after = last[-1]["seq"] if last else 0
            events = self.client.call("events", after_seq=self.after, limit=100)
        except (NotRunning, Refused, OSError):
            return
        for e in events:
            self.after = max(self.after, e["seq"])
            self._show(describe_event(e))

    def _show(self, line: str | None) -> None:
        if line:
            self.out(f"{time.strftime('%H:%M:%S')} {line}")
