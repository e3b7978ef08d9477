"""The control socket's ``selftest`` stream: the self-test inside the running daemon.

Request ``{"cmd": "selftest", "args": {"only": ["camera", "mqtt"]}}`` (``only`` optional).
The daemon streams ``{"started": FAMILY}`` and ``{"result": {...}}`` lines while it runs and
ends with ``{"report": {...}}`` (:mod:`gated.selftest.report`). Nothing is moved from
here: the barrier cycle and the light sequence need gated stopped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from gated.control.server import CommandError
from gated.selftest.context import Options
from gated.selftest.runner import REPORT_ORDER, run_in_daemon


def options_from(args: dict[str, Any]) -> Options:
    only = args.get("only") or []
    if not isinstance(only, list) or not all(isinstance(o, str) for o in only):
        raise CommandError("invalid", "only must be a list of check names")
    unknown = sorted(set(only) - set(REPORT_ORDER))
    if unknown:
        raise CommandError("invalid", f"unknown check(s) {', '.join(unknown)}; "
                                      f"known: {', '.join(REPORT_ORDER)}")
    return Options(only=tuple(only))


async def selftest(app: Any, args: dict, send: Callable[[dict], Awaitable[None]]) -> None:
    options = options_from(args)
    listening = True

    async def progress(item: dict) -> None:
        nonlocal listening
        if listening:
            try:
                await send(item)
            except (ConnectionError, RuntimeError):
                listening = False  # gatectl went away: finish quietly, the log has it

    report = await run_in_daemon(app, options, progress)
    await progress({"report": report.to_dict()})


def register(server) -> None:
    server.register_stream("selftest", selftest)
