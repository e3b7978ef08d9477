"""``gatectl io``: the subcommand's arguments, the request it sends, how it prints the answer.

The foundation's gatectl calls :func:`add_subparser`; for a parsed ``io`` command it
sends ``args.io_request(args)`` over the control socket and prints
``args.io_render(response)`` (both raise :class:`~gated.devices.iocontrol.RequestError`
with a message for the operator instead of a traceback).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os

from gated.devices.iocontrol import PULSE_MS, PULSE_OUTPUTS, RequestError

INPUT_LABELS = {"presence": "presence loop", "safety": "safety loop",
                "open_limit": "open limit", "closed_limit": "closed limit"}


def add_subparser(subparsers) -> argparse.ArgumentParser:
    io = subparsers.add_parser("io", help="show the lane's live inputs and outputs; pulse an output",
                               description="Show the I/O module's inputs and outputs, or pulse one "
                               "output for wiring checks (manual mode, safety loop free).")
    io.add_argument("--json", action="store_true", help="print the daemon's answer as JSON")
    sub = io.add_subparsers(dest="io_cmd", metavar="{show,pulse}")
    sub.add_parser("show", help="inputs and outputs (the default)")
    pulse = sub.add_parser("pulse", help="drive one output briefly (manual mode only)")
    pulse.add_argument("output", choices=PULSE_OUTPUTS, help="which output")
    pulse.add_argument("--ms", type=int, default=500,
                       help=f"how long, {PULSE_MS[0]}-{PULSE_MS[1]} ms (default 500)")
    pulse.add_argument("--yes", action="store_true", help="confirm: this moves real hardware")
    pulse.add_argument("--operator", default=None, help="who (default: the login name)")
    pulse.add_argument("--reason", default=None, help="why (required, recorded as an event)")
    io.set_defaults(io_request=build_request, io_render=render)
    return io


def default_operator() -> str:
    return os.environ.get("SUDO_USER") or getpass.getuser()


def build_request(args: argparse.Namespace) -> dict:
    if getattr(args, "io_cmd", None) != "pulse":
        return {"cmd": "io.show"}
    if not args.yes:
        raise RequestError("a pulse moves real hardware: add --yes to confirm")
    if not args.reason:
        raise RequestError("say why with --reason (it is recorded with your name)")
    return {"cmd": "io.pulse", "output": args.output, "ms": args.ms, "confirm": True,
            "operator": args.operator or default_operator(), "reason": args.reason}


def _onoff(value: object) -> str:
    return {True: "ON", False: "off", None: "?"}.get(value, str(value))  # type: ignore[arg-type]


def render_show(resp: dict) -> str:
    dev = resp.get("device") or {}
    lines = [f"mode: {resp.get('mode')}   module: {dev.get('name', '?')} "
             f"{'ok' if dev.get('ok') else 'FAULT'} ({dev.get('detail', '')})", "inputs:"]
    inputs = resp.get("inputs")
    for key, label in INPUT_LABELS.items():
        lines.append(f"  {label:<14} {_onoff(None if inputs is None else inputs.get(key))}")
    outputs = resp.get("outputs") or {}
    for which in ("wanted", "written"):
        o = outputs.get(which)
        text = "unknown" if o is None else f"barrier {o['barrier']}, light {o['light']}"
        lines.append(f"outputs {which}: {text}")
    return "\n".join(lines)


def render(resp: dict, as_json: bool = False) -> str:
    if as_json:
        return json.dumps(resp, indent=2, ensure_ascii=False)
    if not resp.get("ok"):
        raise RequestError(resp.get("error") or "the daemon refused")
    if "pulsed" in resp:
        return f"pulsed {resp['pulsed']} for {resp['ms']} ms"
    return render_show(resp)
