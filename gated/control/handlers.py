"""What each control-socket command does. ``app`` is the running :class:`gated.daemon.app.Daemon`.

Every manual action (open, mode) is checked by the controller (operator and reason
required: safety rule 8), answered with its result, and written to the audit table
whether it was accepted or refused.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from gated.control.server import CommandError, ControlServer
from gated.core import plates
from gated.core.decision import PlateVote, decide, pass_problem
from gated.core.lane.model import OperatorOpen, SetMode
from gated.core.timefmt import rfc3339
from gated.devices import io_handlers
from gated.field import handlers as field_handlers
from gated.selftest import handlers as selftest_handlers
from gated.store import StoreError


def _str_arg(args: dict, key: str, required: bool = True) -> str:
    """A string argument; ``required=False`` lets the controller judge emptiness (rule 8)."""
    value = args.get(key, None if required else "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise CommandError("invalid", f"{key} is required (a non-empty string)")
    return value.strip()


def _int_arg(args: dict, key: str, default: int, lo: int, hi: int) -> int:
    value = args.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise CommandError("invalid", f"{key} must be an integer in {lo}..{hi}")
    return value


async def status(app, args: dict) -> dict:
    rt = app.runtime
    s = rt.state
    p = s.passage
    passage = None
    if p is not None:
        d = p.decision
        passage = {
            "id": p.id,
            "plate": p.plate.plate if p.plate else None,
            "decision": {"result": d.result, "reasons": list(d.reasons)} if d else None,
            "age_s": round(time.monotonic() - p.started, 1),
        }
    store = app.store
    try:
        outbox = await rt.astore.run(lambda: {"depth": store.outbox_depth(),
                                              "last_seq": store.last_seq(),
                                              "acked_upto": store.acked_upto()})
    except StoreError as exc:
        outbox = {"error": str(exc)}
    outbox["buffered"] = rt.buffered
    cfg = app.cfg
    return {
        "lane": {"site": cfg.lane.site, "lane": cfg.lane.id, "direction": cfg.lane.direction,
                 "name": cfg.lane.name},
        "version": app.version,
        "boot_id": app.boot_id,
        "started_at": rfc3339(app.started_at, rt.params.tz),
        "uptime_s": round(time.time() - app.started_at, 1),
        "config_sha256": app.loaded.sha256,
        "state": {"phase": str(s.phase), "mode": s.mode, "passage": passage,
                  "phase_age_s": round(time.monotonic() - s.phase_since, 1)},
        "inputs": _asdict(s.io),
        "outputs": _asdict(rt.outputs),
        "board": rt.board,
        "devices": app.device_health(),
        "outbox": outbox,
        "store": {"ok": rt.store_ok, "error": rt.store_error or None, "path": str(store.path)},
        "passes": {"count": len(rt.passes), "version": rt.passes.version},
        "uplink": app.uplink_status(),
        "last_events": rt.recent[-5:],
    }


def _asdict(obj) -> dict | None:
    if obj is None:
        return None
    return {k: getattr(obj, k) for k in obj.__slots__}


async def events(app, args: dict) -> list[dict]:
    limit = _int_arg(args, "limit", 20, 1, 10_000)
    after = args.get("after_seq")
    store = app.store
    if after is None:
        return await app.runtime.astore.run(store.recent_events, limit)
    after = _int_arg(args, "after_seq", 0, 0, 2**62)
    return await app.runtime.astore.run(store.events_after, after, limit)


async def follow(app, args: dict, send) -> None:
    """Stream the last ``limit`` events, then every new one until the client hangs up."""
    for event in await events(app, {"limit": _int_arg(args, "limit", 10, 0, 1000) or 1}):
        await send({"event": event})
    queue: asyncio.Queue = asyncio.Queue()
    app.runtime.bus.followers.add(queue)
    try:
        while True:
            await send({"event": await queue.get()})
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        app.runtime.bus.followers.discard(queue)


async def _manual(app, action: str, inp, operator: str, reason: str, detail: dict) -> dict:
    res = await app.runtime.submit(inp)
    reply = res.reply
    assert reply is not None
    await app.audit(source="local", operator=operator, action=action, reason=reason,
                    ok=reply.ok, detail={**detail, "code": reply.code, "message": reply.message})
    if not reply.ok:
        raise CommandError(reply.code or "refused", reply.message)
    return {"message": reply.message, **(reply.result or {})}


async def open_barrier(app, args: dict) -> dict:
    operator, reason = _str_arg(args, "operator", False), _str_arg(args, "reason", False)
    return await _manual(app, "open", OperatorOpen(operator, reason), operator, reason, {})


async def set_mode(app, args: dict) -> dict:
    mode = args.get("mode")
    if mode not in ("auto", "manual", "closed"):
        raise CommandError("invalid", "mode must be auto, manual or closed")
    operator, reason = _str_arg(args, "operator", False), _str_arg(args, "reason", False)
    return await _manual(app, "set_mode", SetMode(mode, operator, reason), operator, reason,
                         {"mode": mode})


async def passes_lookup(app, args: dict) -> dict:
    """Which passes match a plate, and what the lane would decide for it right now."""
    raw = _str_arg(args, "plate")
    plate = plates.normalise(raw)
    rt = app.runtime
    now = time.time()
    ctx = rt.params.context
    found = [*rt.passes.exact(plate), *rt.passes.fuzzy(plate)]
    verdict = decide(plate=PlateVote(plate, 1.0, 1, now), passes=rt.passes, ctx=ctx, now=now,
                     mode=rt.state.mode, qr_mode="off")
    return {
        "plate": plate,
        "display": plates.display(plate),
        "country": plates.country_of(plate),
        "passes": [
            {**p.model_dump(mode="json"), "match": "exact" if p.plate == plate else "fuzzy",
             "problem": pass_problem(p, ctx, now)}
            for p in found
        ],
        "would_decide": {"result": verdict.result, "reasons": list(verdict.reasons),
                         "pass_id": verdict.pass_.id if verdict.pass_ else None},
    }


async def ping(app, args: dict) -> dict:
    return {"pong": True, "boot_id": app.boot_id}


def register_all(server: ControlServer) -> None:
    for name, fn in (
        ("ping", ping),
        ("status", status),
        ("events", events),
        ("open", open_barrier),
        ("mode", set_mode),
        ("passes.lookup", passes_lookup),
    ):
        server.register(name, fn)
    server.register_stream("events.follow", follow)
    io_handlers.register(server)  # io, io.pulse
    selftest_handlers.register(server)  # selftest (stream)
    field_handlers.register(server)  # events.day


__all__: list[Any] = ["register_all"]
