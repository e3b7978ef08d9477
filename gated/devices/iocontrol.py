"""``gatectl io`` on the daemon side, pure: show the lane's I/O, check a technician's pulse.

The control-socket handlers in :mod:`gated.devices.io_handlers` build an :class:`IoView`
of the lane, call :func:`show` or :func:`check_pulse`, and run :func:`pulse_output` on
the lane's IoLink for an accepted pulse. Commands (the socket's ``{"cmd", "args"}``)::

    {"cmd": "io", "args": {}}
    {"cmd": "io.pulse", "args": {"output": "barrier_open", "ms": 500, "confirm": true,
                                 "operator": "tuan", "reason": "wiring check"}}

A pulse is refused unless the lane is in manual mode, the I/O link is up with known
inputs, and the safety loop is free; green is refused unless the open limit switch
confirms the barrier open (rule 2). Operator and reason are required (rule 8).
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, replace
from typing import Any

from gated.devices.interfaces import LaneInputs, LaneOutputs
from gated.devices.link import SAFE_OUTPUTS, IoLink

PULSE_OUTPUTS = ("barrier_open", "barrier_close", "red", "green")
PULSE_MS = (50, 5000)


class RequestError(ValueError):
    """A request that cannot be carried out: ``code`` (``invalid`` or ``refused``) and a
    message for the operator."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class IoView:
    """What ``gatectl io`` needs to know about the lane, filled in by the runtime."""

    mode: str  # the controller's mode: "auto", "manual", ...
    inputs: LaneInputs | None  # None while the link is down or not read yet
    wanted: LaneOutputs | None  # what the controller asks for
    written: LaneOutputs | None  # what was last written (after the interlock)
    device: dict[str, Any]  # Health.to_dict() of the I/O module


@dataclass(frozen=True, slots=True)
class PulseRequest:
    output: str
    ms: int
    operator: str
    reason: str


def _text(req: dict, key: str) -> str:
    value = req.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RequestError("invalid", f"{key} is required (who does this, and why)")
    return value.strip()[:200]


def parse_pulse(req: dict) -> PulseRequest:
    output = req.get("output")
    if output not in PULSE_OUTPUTS:
        raise RequestError("invalid", f"unknown output {output!r}; one of {', '.join(PULSE_OUTPUTS)}")
    ms = req.get("ms", 500)
    if isinstance(ms, bool) or not isinstance(ms, int) or not PULSE_MS[0] <= ms <= PULSE_MS[1]:
        raise RequestError("invalid", f"ms must be a whole number from {PULSE_MS[0]} to {PULSE_MS[1]}")
    if req.get("confirm") is not True:
        raise RequestError("invalid", "a pulse drives real hardware: confirm it (gatectl io pulse ... --yes)")
    return PulseRequest(output, ms, _text(req, "operator"), _text(req, "reason"))


def refusal(pulse: PulseRequest, view: IoView) -> str | None:
    """Why this pulse may not run now, or None."""
    if view.mode != "manual":
        return f"the lane is in {view.mode} mode; switch it to manual first"
    if view.inputs is None or not view.device.get("ok", False):
        return "the I/O module is not answering; its inputs are unknown"
    if view.inputs.safety:
        return "the safety loop is occupied"
    if pulse.output == "green" and not view.inputs.open_limit:
        return "green only while the barrier is confirmed open (open limit switch)"
    return None


def show(view: IoView) -> dict:
    """The result of ``io``: mode, module health, inputs, wanted and written outputs."""
    def outputs(o: LaneOutputs | None) -> dict | None:
        return None if o is None else asdict(o)

    return {
        "mode": view.mode,
        "device": view.device,
        "inputs": None if view.inputs is None else asdict(view.inputs),
        "outputs": {"wanted": outputs(view.wanted), "written": outputs(view.written)},
    }


def check_pulse(args: Any, view: IoView) -> PulseRequest:
    """The pulse to run, or :class:`RequestError` saying why not."""
    if not isinstance(args, dict):
        raise RequestError("invalid", "args must be an object")
    pulse = parse_pulse(args)
    why = refusal(pulse, view)
    if why is not None:
        raise RequestError("refused", why)
    return pulse


def audit_detail(pulse: PulseRequest) -> dict:
    """What the audit entry of a pulse records beside operator and reason (rule 8)."""
    return {"output": pulse.output, "ms": pulse.ms}


def pulse_outputs(output: str, base: LaneOutputs) -> tuple[LaneOutputs, LaneOutputs]:
    """The outputs during the pulse and after it. A barrier contact is not re-commanded
    afterwards (``hold``): no stale command survives the pulse."""
    if output in ("barrier_open", "barrier_close"):
        during = replace(base, barrier="open" if output == "barrier_open" else "close")
        return during, replace(base, barrier="hold")
    return replace(base, light="red" if output == "red" else "green"), base


async def pulse_output(link: IoLink, pulse: PulseRequest) -> None:
    """Drive one output for ``pulse.ms`` through the link (its interlock still applies),
    then put it back unless the lane wrote other outputs meanwhile.

    In a pulse-drive profile a barrier contact closes for the profile's pulse length."""
    during, after = pulse_outputs(pulse.output, link.wanted or SAFE_OUTPUTS)
    await link.write(during)
    await asyncio.sleep(pulse.ms / 1000)
    if link.wanted == during:
        await link.write(after)
