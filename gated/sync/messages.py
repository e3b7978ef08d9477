"""Pure parsers for what central sends. Every failure is a :class:`BadMessage` with a reason.

Nothing here trusts its input: sizes are bounded before parsing, JSON must be one UTF-8
object without duplicate keys or NaN, and every field is type-checked (``True`` is not an
integer here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from gated.core.passes import Pass
from gated.core.strictjson import loads_object

MAX_MESSAGE = 256 * 1024  # commands, acks, deltas
MAX_CHUNK = 4 * 1024 * 1024  # one snapshot chunk
MAX_CHUNKS = 10_000
MAX_VERSION = 2**62


class BadMessage(ValueError):
    """A message that cannot be used; ``reason`` is a short code, the text says why."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def decode_object(payload: bytes, limit: int = MAX_MESSAGE) -> dict[str, Any]:
    """One JSON object from UTF-8 bytes, at most ``limit`` bytes."""
    if len(payload) > limit:
        raise BadMessage("oversize", f"{len(payload)} bytes, limit {limit}")
    try:
        return loads_object(payload)
    except ValueError as exc:
        raise BadMessage("malformed", f"not a UTF-8 JSON object: {str(exc)[:120]}") from None


def int_field(obj: dict, key: str, lo: int = 0, hi: int = MAX_VERSION) -> int:
    value = obj.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise BadMessage("invalid", f"{key} must be an integer in {lo}..{hi}")
    return value


def parse_ack(payload: bytes) -> int:
    """``events/ack`` ``{"upto_seq": N}`` -> N."""
    return int_field(decode_object(payload), "upto_seq")


def parse_pass(raw: Any) -> Pass:
    if not isinstance(raw, dict):
        raise BadMessage("invalid", "pass must be an object")
    try:
        return Pass.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "pass"
        raise BadMessage("invalid", f"pass {where}: {first['msg']}") from None


@dataclass(frozen=True, slots=True)
class Delta:
    version: int
    op: Literal["upsert", "revoke"]
    pass_: Pass | None  # upsert (and a revoke that carries the whole pass)
    pass_id: str


def parse_delta(payload: bytes) -> Delta:
    """``gate/v1/{site}/passes`` ``{"version", "op", "pass"}``."""
    obj = decode_object(payload)
    version = int_field(obj, "version", 1)
    op = obj.get("op")
    raw = obj.get("pass")
    if op not in ("upsert", "revoke"):
        raise BadMessage("invalid", "op must be 'upsert' or 'revoke'")
    if op == "revoke" and isinstance(raw, dict) and set(raw) <= {"id", "status"}:
        pass_id = raw.get("id")
        if not isinstance(pass_id, str) or not 0 < len(pass_id) <= 64:
            raise BadMessage("invalid", "pass.id must be a string")
        return Delta(version, "revoke", None, pass_id)
    p = parse_pass(raw)
    return Delta(version, op, p, p.id)


@dataclass(frozen=True, slots=True)
class Chunk:
    version: int
    index: int
    of: int
    passes: tuple[Pass, ...]


def parse_chunk(payload: bytes) -> Chunk:
    """``passes/sync`` ``{"version", "chunk", "of", "passes": [...]}``; bad passes are fatal.

    A snapshot replaces every pass: a chunk with a pass that does not validate is refused
    whole rather than silently shrinking the lane's passes.
    """
    obj = decode_object(payload, MAX_CHUNK)
    version = int_field(obj, "version")
    of = int_field(obj, "of", 1, MAX_CHUNKS)
    index = int_field(obj, "chunk", 1, of)
    raw = obj.get("passes")
    if not isinstance(raw, list):
        raise BadMessage("invalid", "passes must be a list")
    return Chunk(version, index, of, tuple(parse_pass(p) for p in raw))
