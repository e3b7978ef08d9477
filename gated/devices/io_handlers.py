"""Control-socket handlers for ``gatectl io``: the daemon glue around :mod:`iocontrol`.

Registered by the control server (``gated.control.handlers.register_all`` calls
:func:`register`). ``app`` is the running daemon: its ``runtime.state.mode``, its
``devices.io_link`` and its ``audit()``.
"""

from __future__ import annotations

from gated.control.server import CommandError
from gated.devices.iocontrol import (
    IoView,
    RequestError,
    audit_detail,
    check_pulse,
    pulse_output,
    show,
)


def io_view(app) -> IoView:
    link = app.devices.io_link
    return IoView(mode=app.runtime.state.mode, inputs=link.last_inputs, wanted=link.wanted,
                  written=link.written, device=link.reporter.health.to_dict())


async def io_show(app, args: dict) -> dict:
    return show(io_view(app))


async def io_pulse(app, args: dict) -> dict:
    try:
        pulse = check_pulse(args, io_view(app))
    except RequestError as exc:
        if exc.code == "refused":
            await app.audit(source="local", operator=args.get("operator"), action="io.pulse",
                            reason=args.get("reason"), ok=False,
                            detail={"output": args.get("output"), "message": str(exc)})
        raise CommandError(exc.code, str(exc)) from None
    await app.audit(source="local", operator=pulse.operator, action="io.pulse",
                    reason=pulse.reason, ok=True, detail=audit_detail(pulse))
    await pulse_output(app.devices.io_link, pulse)
    return {"pulsed": pulse.output, "ms": pulse.ms}


def register(server) -> None:
    server.register("io", io_show)
    server.register("io.pulse", io_pulse)
