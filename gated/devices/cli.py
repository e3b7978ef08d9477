"""``gatectl io``: its arguments, the call it makes, how it prints the answer.

The foundation's gatectl calls ``add_subparser(sub, parents=[common])``; the parser sets
``fn=cmd_io`` like every other gatectl command (``fn(client, args) -> exit status``).
Refusals come back as the client's ``Refused`` and are printed by gatectl's main.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from gated.devices.iocontrol import PULSE_MS, PULSE_OUTPUTS

INPUT_LABELS = {"presence": "presence loop", "safety": "safety loop",
                "open_limit": "open limit", "closed_limit": "closed limit"}
EXAMPLE = 'gatectl io pulse barrier_open --yes --operator tran.van.b --reason "wiring check"'


def add_subparser(subparsers, parents=()) -> argparse.ArgumentParser:
    io = subparsers.add_parser(
        "io", parents=list(parents), help="live inputs and outputs; pulse an output",
        description="Show the I/O module's inputs and outputs, or pulse one output for "
        "wiring checks (manual mode, safety loop free; audited).",
        epilog=f"examples:\n  gatectl io\n  gatectl io --watch\n  {EXAMPLE}",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    io.add_argument("--watch", "-w", action="store_true",
                    help="keep showing the I/O as it changes (Ctrl-C to stop)")
    sub = io.add_subparsers(dest="io_command", metavar="{show,pulse}")
    sub.add_parser("show", parents=list(parents), help="inputs and outputs (the default)")
    pulse = sub.add_parser("pulse", parents=list(parents), epilog=f"example: {EXAMPLE}",
                           help="drive one output briefly (manual mode only, audited)")
    pulse.add_argument("output", choices=PULSE_OUTPUTS, help="which output")
    pulse.add_argument("--ms", type=int, default=500,
                       help=f"how long, {PULSE_MS[0]}-{PULSE_MS[1]} ms (default 500)")
    pulse.add_argument("--yes", action="store_true", help="confirm: this moves real hardware")
    pulse.add_argument("--operator", required=True, help="who does this (your login name)")
    pulse.add_argument("--reason", required=True, help="why (kept in the audit log)")
    io.set_defaults(fn=cmd_io)
    return io


def request(args: argparse.Namespace) -> tuple[str, dict]:
    """The control-socket command and its args for parsed ``gatectl io`` arguments."""
    if getattr(args, "io_command", None) != "pulse":
        return "io", {}
    return "io.pulse", {"output": args.output, "ms": args.ms, "confirm": bool(args.yes),
                        "operator": args.operator, "reason": args.reason}


def cmd_io(client, args: argparse.Namespace) -> int:
    if getattr(args, "io_command", None) == "pulse" and not args.yes:
        print("gatectl: a pulse moves real hardware: add --yes to confirm", file=sys.stderr)
        return 2
    cmd, call_args = request(args)
    if cmd == "io" and getattr(args, "watch", False):
        return watch(client, args)
    _print(args, client.call(cmd, **call_args))
    return 0


def _print(args: argparse.Namespace, result: dict) -> None:
    print(json.dumps(result, ensure_ascii=False) if getattr(args, "json", False) else render(result),
          flush=True)


def watch(client, args: argparse.Namespace, period_s: float = 0.2) -> int:
    """Print the I/O each time it changes, until Ctrl-C."""
    last = None
    try:
        while True:
            result = client.call("io")
            if result != last:
                _print(args, result)
                last = result
            time.sleep(period_s)
    except KeyboardInterrupt:
        return 0


def _onoff(value: object) -> str:
    return "?" if value is None else ("ON" if value else "off")


def render(result: dict) -> str:
    if "pulsed" in result:
        return f"pulsed {result['pulsed']} for {result['ms']} ms"
    dev = result.get("device") or {}
    health = "ok" if dev.get("ok") else "FAULT"
    head = f"mode: {result.get('mode')}   module: {dev.get('name', '?')} {health} ({dev.get('detail', '')})"
    lines = [head, "inputs:"]
    inputs = result.get("inputs")
    for key, label in INPUT_LABELS.items():
        lines.append(f"  {label:<14} {_onoff(None if inputs is None else inputs.get(key))}")
    for which in ("wanted", "written"):
        o = (result.get("outputs") or {}).get(which)
        text = "unknown" if o is None else f"barrier {o['barrier']}, light {o['light']}"
        lines.append(f"outputs {which}: {text}")
    return "\n".join(lines)
