"""Running the check families: bounded, concurrent, never a traceback to the technician.

Each family is an ``async run(ctx, emit)`` that emits :class:`Result` s as it measures.
Families run concurrently (a dead camera's timeouts do not hold up the broker check),
the CPU-heavy model loading after the rest so it does not skew frame rates. A family
that raises or overruns its time becomes one ``fail`` result naming it, and the others
go on. The final report lists the results in family order.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from gated.config.schema import LaneConfig
from gated.core.timefmt import parse_offset, rfc3339
from gated.selftest import cameras, clock, iocheck, models, mqttcheck, qrcheck, serialcheck, store
from gated.selftest.context import Context, Emit, Options, Recorder
from gated.selftest.report import Report, Result, failed

log = structlog.get_logger()

Family = Callable[[Context, Emit], Awaitable[None]]

#: (name, run, time limit in seconds), in report order; each wave runs concurrently.
WAVES: tuple[tuple[tuple[str, Family, float], ...], ...] = (
    (
        ("io", iocheck.run, 90.0),  # a barrier cycle takes open + close timeouts
        ("serial", serialcheck.run, 30.0),
        ("qr", qrcheck.run, 90.0),  # --scan-wait is bounded to 60 s
        ("camera", cameras.run, 120.0),
        ("mqtt", mqttcheck.run, 40.0),
        ("store", store.run, 60.0),
        ("clock", clock.run, 15.0),
    ),
    (("models", models.run, 60.0),),
)
FAMILIES: tuple[str, ...] = tuple(name for wave in WAVES for name, _, _ in wave)
# the light sequence is reported under its own name by the io family
REPORT_ORDER: tuple[str, ...] = ("io", "lights", "serial", "qr", "camera", "mqtt", "store",
                                 "clock", "models")

Progress = Callable[[dict[str, Any]], Awaitable[None]]


async def _nothing(_: dict[str, Any]) -> None:
    return None


async def _run_family(name: str, fn: Family, limit_s: float, ctx: Context,
                      progress: Progress) -> list[Result]:
    async def emit(result: Result) -> None:
        await progress({"result": result.to_dict()})

    rec = Recorder(emit)
    await progress({"started": name})
    try:
        async with asyncio.timeout(limit_s):
            await fn(ctx, rec)
    except TimeoutError:
        await rec(failed(name, "", "finished", f"the {name} check did not finish in "
                         f"{limit_s:.0f} s: run it alone (--only {name}) and look at the log"))
    except Exception as exc:  # a bug in one check must not hide the others' results
        log.exception("selftest.check_crashed", check=name)
        await rec(failed(name, "", "finished", "a bug in the self-test: report it with "
                         "'gatectl logs'; the other checks are still valid",
                         detail=f"{type(exc).__name__}: {exc}"[:300]))
    return rec.results


def _ordered(results: list[Result]) -> tuple[Result, ...]:
    rank = {name: i for i, name in enumerate(REPORT_ORDER)}
    indexed = sorted(enumerate(results), key=lambda ir: (rank.get(ir[1].check, 99), ir[0]))
    return tuple(r for _, r in indexed)


async def run(ctx: Context, progress: Progress = _nothing) -> Report:
    """Every wanted family; the report, whatever happened."""
    started, t0 = time.time(), time.monotonic()
    results: list[Result] = []
    for wave in WAVES:
        wanted = [(n, fn, lim) for n, fn, lim in wave if ctx.options.wants(n)
                  or (n == "io" and ctx.options.wants("lights"))]
        got = await asyncio.gather(*(_run_family(n, fn, lim, ctx, progress)
                                     for n, fn, lim in wanted))
        for family_results in got:
            results.extend(family_results)
    lane = ctx.cfg.lane
    report = Report(ctx.mode, lane.site, lane.id, rfc3339(started, parse_offset(lane.timezone)),
                    time.monotonic() - t0, _ordered(results))
    log.info("selftest.done", mode=ctx.mode, ok=report.ok, duration_s=round(report.duration_s, 2),
             **report.to_dict()["summary"])
    return report


async def run_standalone(cfg: LaneConfig, options: Options,
                         progress: Progress = _nothing) -> Report:
    """gated is stopped: the checks open the devices themselves."""
    return await run(Context(cfg, options, "standalone"), progress)


async def run_in_daemon(app: Any, options: Options, progress: Progress = _nothing) -> Report:
    """Inside the running daemon: live links instead of opening devices again; nothing is
    moved (the barrier cycle and light sequence need gated stopped)."""
    return await run(Context(app.cfg, options, "daemon", app), progress)


async def run_selftest(app: Any) -> dict[str, Any]:
    """The report for central's ``selftest.run`` command (read-only, nothing moves)."""
    return (await run_in_daemon(app, Options())).to_dict()
