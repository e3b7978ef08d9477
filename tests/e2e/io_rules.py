"""Safety rules checked on the wire: the I/O module's own log of loops, limits and coils.

The log is the demo world's JSON lines (``input`` / ``output`` events stamped with the
system-wide monotonic clock), so this checks what gated really did to the hardware, not
what it says it did. Rules (``lane-behaviour.md``):

1. the close contact never energises while the safety loop is occupied, nor within
   ``clear_delay`` after it freed;
2. green only while the barrier is confirmed open (open limit switch on);
and the driver's own rule: open and close contacts are never energised together.
"""

from __future__ import annotations

import json
from pathlib import Path

INPUTS = ("presence", "safety", "open_limit", "closed_limit")


def load_all(path: Path) -> list[dict]:
    """Every JSON line of the log (vehicles, inputs, outputs), in file order."""
    out = []
    for line in path.read_text(errors="replace").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def load(path: Path) -> list[dict]:
    """The input and output changes, in time order."""
    wire = [m for m in load_all(path) if m.get("event") in ("input", "output")]
    return sorted(wire, key=lambda m: m["t"])


def violations(log: list[dict], clear_delay_s: float) -> list[str]:
    inputs = {"presence": False, "safety": False, "open_limit": False, "closed_limit": True}
    outputs = {"barrier_open": False, "barrier_close": False, "red": False, "green": False}
    freed_at = float("-inf")
    found = []
    for m in log:
        name, value, t = m["name"], m["value"], m["t"]
        if m["event"] == "input":
            if name == "safety" and inputs["safety"] and not value:
                freed_at = t
            inputs[name] = value
        else:
            outputs[name] = value
        if outputs["barrier_close"] and m["event"] == "output" and name == "barrier_close":
            if inputs["safety"]:
                found.append(f"{t:.3f}: close while the safety loop is occupied (rule 1)")
            elif t - freed_at < clear_delay_s:
                found.append(f"{t:.3f}: close {t - freed_at:.2f}s after the safety loop freed"
                             f" (rule 1, clear_delay {clear_delay_s}s)")
        if outputs["green"] and not inputs["open_limit"]:
            found.append(f"{t:.3f}: green while the barrier is not confirmed open (rule 2)")
        if outputs["barrier_open"] and outputs["barrier_close"]:
            found.append(f"{t:.3f}: open and close contacts energised together")
    return found
