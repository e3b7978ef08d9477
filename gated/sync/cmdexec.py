"""Central commands, shell part: idempotency through the store, then check, run, record.

A command id seen before (even before a restart) gets its first result again and is
never run twice. The result is recorded before ``cmd/res`` is published and before the
MQTT message is acknowledged, so a crash at any point gives a redelivery that answers
the same. Every command, accepted or refused, is written to the audit table.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from gated.core.lane.model import OperatorOpen, SetMode
from gated.store import AsyncStore
from gated.sync import commands as cm
from gated.sync.messages import BadMessage, decode_object
from gated.sync.signing import KeyLookup

log = structlog.get_logger()

PROVIDER_TIMEOUT_S = 30.0
Snapshot = Callable[[str], Awaitable[bytes]]  # camera name -> JPEG bytes
Selftest = Callable[[], Awaitable[Mapping[str, Any]]]


@dataclass
class Lane:
    """What commands act on; the daemon fills it in (providers arrive with other issues)."""

    submit: Callable[[Any], Awaitable[Any]]  # LaneRuntime.submit
    audit: Callable[..., Awaitable[None]]
    config: Callable[[], Mapping[str, Any]]
    resync: Callable[[], Awaitable[int]]
    replay: Callable[[int], Awaitable[dict]]
    publish_image: Callable[[str, str, bytes], str]  # (id, kind, jpeg) -> topic
    snapshot: Snapshot | None = None
    selftest: Selftest | None = None


class CommandRunner:
    def __init__(self, astore: AsyncStore, lane: Lane, *, skew_s: float, require_signed: bool,
                 keys: KeyLookup) -> None:
        self.astore = astore
        self.store = astore.store
        self.lane = lane
        self.skew_s = skew_s
        self.require_signed = require_signed
        self.keys = keys
        self.handled = 0

    async def handle(self, payload: bytes) -> dict:
        """The ``cmd/res`` message for one ``cmd/req`` payload (never raises on bad input)."""
        try:
            obj = decode_object(payload)
        except BadMessage as exc:
            log.warning("command.malformed", reason=exc.reason, detail=exc.detail)
            return cm.response(None, error=cm.Refusal("invalid", exc.detail))
        cid = cm.command_id(obj)
        if cid is not None:
            first = await self.astore.run(self.store.command_result, cid)
            if first is not None:
                log.info("command.redelivered", command_id=cid)
                return first
        try:
            cmd = cm.parse_command(obj)
        except BadMessage as exc:
            log.warning("command.invalid", command_id=cid, detail=exc.detail)
            res = cm.response(cid, error=cm.Refusal("invalid", exc.detail))
            return await self._record(cid, str(obj.get("name"))[:64], res)
        res = await self._run(cmd)
        return await self._record(cid, cmd.name, res)

    async def _record(self, cid: str | None, name: str, res: dict) -> dict:
        if cid is not None:
            await self.astore.run(self.store.record_command, cid, name, res,
                                  settle=name in cm.ACTUATING)
        self.handled += 1
        return res

    async def _run(self, cmd: cm.Command) -> dict:
        refusal = cm.check(cmd, now=time.time(), skew_s=self.skew_s,
                           require_signed=self.require_signed, keys=self.keys)
        if refusal is None:
            try:
                await self._write_ahead(cmd)
                result = await self._execute(cmd)
            except Refused as exc:
                refusal = exc.refusal
            except Exception as exc:  # a provider failed: answer, never crash
                log.exception("command.failed", command_id=cmd.id, name=cmd.name)
                refusal = cm.Refusal("failed", f"{type(exc).__name__}: {str(exc)[:200]}")
        res = cm.response(cmd.id, result=None if refusal else result, error=refusal)
        log.info("command.done", command_id=cmd.id, name=cmd.name, ok=refusal is None,
                 code=refusal.code if refusal else None)
        await self.lane.audit(source="central", operator=cmd.operator or "central",
                              action=cmd.name, reason=str(cmd.args.get("reason", ""))[:500],
                              ok=refusal is None,
                              detail={"command_id": cmd.id, "args": dict(cmd.args),
                                      "code": refusal.code if refusal else None})
        return res

    async def _write_ahead(self, cmd: cm.Command) -> None:
        """Record an actuating command as interrupted before it runs; ``_record`` replaces
        that with the real result. A crash in between must not make it run twice."""
        if cmd.name in cm.ACTUATING:
            res = cm.response(cmd.id, error=cm.Refusal(
                "interrupted", "started, but no result was recorded (gated stopped while it ran,"
                " or it is still running): check the lane's events"))
            await self.astore.run(self.store.record_command, cmd.id, cmd.name, res)

    async def _execute(self, cmd: cm.Command) -> Any:
        a, lane = cmd.args, self.lane
        if cmd.name == "barrier.open":
            return await self._lane_input(OperatorOpen(
                cmd.operator, a["reason"], source="central", command_id=cmd.id,
                expires_at=cmd.expires_at))
        if cmd.name == "lane.set_mode":
            return await self._lane_input(SetMode(
                a["mode"], cmd.operator, a.get("reason") or f"central command {cmd.id}",
                source="central", command_id=cmd.id, expires_at=cmd.expires_at))
        if cmd.name == "passes.resync":
            return {"have_version": await lane.resync()}
        if cmd.name == "events.replay":
            return await lane.replay(a["from_seq"])
        if cmd.name == "config.get":
            return cm.redact(dict(lane.config()))
        if cmd.name == "snapshot":
            jpeg = await _provided(lane.snapshot, "snapshot", "no camera snapshot provider on"
                                   " this lane yet", a["camera"])
            return {"topic": lane.publish_image(cmd.id, "scene", jpeg), "bytes": len(jpeg)}
        return dict(await _provided(lane.selftest, "selftest.run", "no self-test provider on"
                                    " this lane yet"))

    async def _lane_input(self, inp) -> dict:
        res = await self.lane.submit(inp)
        reply = res.reply
        if reply is None or not reply.ok:
            code = reply.code if reply is not None and reply.code else "refused"
            message = reply.message if reply is not None else "no reply"
            raise Refused(cm.Refusal("expired" if code == "expired" else "refused",
                                        f"{code}: {message}" if code != "expired" else message))
        return {"message": reply.message, **(reply.result or {})}


class Refused(Exception):
    """The command was understood but not carried out; ``refusal`` is the answer."""

    def __init__(self, refusal: cm.Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


async def _provided(fn, name: str, missing: str, *args):
    if fn is None:
        raise Refused(cm.Refusal("unavailable", f"{name}: {missing}"))
    try:
        return await asyncio.wait_for(fn(*args), PROVIDER_TIMEOUT_S)
    except ValueError as exc:  # providers raise ValueError for a bad argument (no such camera)
        raise Refused(cm.Refusal("invalid", f"{name}: {exc}")) from None
