"""Central commands, pure part: parse, check (signature, expiry, name, arguments), results.

Error codes on ``cmd/res``: ``expired`` and ``unknown_command`` (the contract's), plus
``invalid`` (malformed command or arguments), ``unauthorized`` (signature required and
missing or wrong), ``unavailable`` (no provider for it on this lane), ``refused`` (the
lane controller said no, with its own code in the message) and ``failed``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gated.core.timefmt import parse_rfc3339
from gated.sync.messages import MAX_VERSION, BadMessage
from gated.sync.signing import KeyLookup, SignatureError, verify_command

NAMES = (
    "barrier.open",
    "lane.set_mode",
    "passes.resync",
    "events.replay",
    "snapshot",
    "selftest.run",
    "config.get",
)
MODES = ("auto", "manual", "closed")
#: Commands that move the lane. Their id is recorded *before* they run, so a redelivery
#: after a crash in between is answered "interrupted" and never runs them a second time.
ACTUATING = ("barrier.open", "lane.set_mode")


@dataclass(frozen=True)
class Command:
    id: str
    name: str
    args: Mapping[str, Any]
    operator: str
    expires_at: float | None
    raw: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Refusal:
    code: str
    message: str


def _text(obj: Mapping, key: str, limit: int, required: bool = True) -> str:
    value = obj.get(key, None if required else "")
    if not isinstance(value, str) or len(value) > limit or (required and not value):
        raise BadMessage("invalid", f"{key} must be a string of 1..{limit} characters")
    return value


def _time(obj: Mapping, key: str) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    try:
        if not isinstance(value, str) or len(value) > 64:
            raise ValueError
        return parse_rfc3339(value)
    except ValueError:
        raise BadMessage("invalid", f"{key} must be RFC 3339 with an offset") from None


def command_id(obj: Mapping) -> str | None:
    """The id to answer to, if the message has a usable one."""
    value = obj.get("id")
    return value if isinstance(value, str) and 0 < len(value) <= 64 else None


def parse_command(obj: Mapping[str, Any]) -> Command:
    """A decoded ``cmd/req`` object as a :class:`Command`; raises :class:`BadMessage`.

    Decode with :func:`~gated.sync.messages.decode_object` first, so that a refusal can
    still be answered to the :func:`command_id` when the rest is malformed.
    """
    cid = command_id(obj)
    if cid is None:
        raise BadMessage("invalid", "id must be a string of 1..64 characters")
    name = _text(obj, "name", 64)
    args = obj.get("args", {})
    if not isinstance(args, dict):
        raise BadMessage("invalid", "args must be an object")
    operator = _text(obj, "operator", 128, required=False)
    _time(obj, "issued_at")
    return Command(cid, name, args, operator, _time(obj, "expires_at"), obj)


def check(cmd: Command, *, now: float, skew_s: float, require_signed: bool,
          keys: KeyLookup) -> Refusal | None:
    """Why the command must not run, or None. Order: signature, expiry, name, arguments."""
    if require_signed:
        try:
            verify_command(cmd.raw, keys, now, skew_s)
        except SignatureError as exc:
            return Refusal("unauthorized", str(exc))
    if cmd.expires_at is None:
        return Refusal("expired", "command has no expires_at")
    if now > cmd.expires_at + skew_s:
        return Refusal("expired", f"command expired {now - cmd.expires_at:.1f}s ago")
    if cmd.name not in NAMES:
        return Refusal("unknown_command", f"unknown command name {cmd.name[:64]!r}")
    try:
        check_args(cmd)
    except BadMessage as exc:
        return Refusal("invalid", exc.detail)
    return None


def check_args(cmd: Command) -> None:
    a = cmd.args
    if cmd.name == "barrier.open":
        _text(a, "reason", 500)
        if not cmd.operator.strip():
            raise BadMessage("invalid", "barrier.open needs an operator")
    elif cmd.name == "lane.set_mode":
        if a.get("mode") not in MODES:
            raise BadMessage("invalid", "mode must be auto, manual or closed")
        _text(a, "reason", 500, required=False)
    elif cmd.name == "events.replay":
        value = a.get("from_seq")
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_VERSION:
            raise BadMessage("invalid", "from_seq must be a non-negative integer")
    elif cmd.name == "snapshot":
        _text(a, "camera", 64)


def response(cid: str | None, *, result: Any = None, error: Refusal | None = None) -> dict:
    """The ``cmd/res`` message: ``{"id", "ok", "result"?, "error"?: {"code", "message"}}``."""
    if error is not None:
        return {"id": cid, "ok": False, "error": {"code": error.code, "message": error.message}}
    out: dict[str, Any] = {"id": cid, "ok": True}
    if result is not None:
        out["result"] = result
    return out


SECRET_WORDS = ("password", "secret", "key", "token", "credential")


def redact(value: Any, key: str = "") -> Any:
    """``config.get``: secrets redacted. Keys naming a secret are replaced whatever they hold."""
    if any(w in key.lower() for w in SECRET_WORDS) and value is not None:
        return "***"
    if isinstance(value, dict):
        return {k: redact(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, key) for v in value]
    return value
