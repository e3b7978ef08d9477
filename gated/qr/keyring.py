"""Trusted pass-signing keys: from the config and from the retained ``keys`` topic.

The ``gate/v1/{site}/keys`` payload is ``{"keys": [{"kid", "alg": "EdDSA", "x", "nbf",
"exp"}]}``: ``x`` is the base64url Ed25519 public key; ``nbf``/``exp`` are RFC 3339 with an
offset (a NumericDate number is accepted too; ``null`` means unbounded, but both members
must be present). Parsing never raises: a bad payload gives a :class:`KeysUpdate` with
``ok=False`` and a reason, a bad entry is listed in ``rejected`` and the others are kept.

A :class:`Keyring` is immutable: config keys plus the latest good topic payload. The
retained payload is the whole topic set, so each good update replaces the previous one;
a bad one leaves the keyring as it was. A kid in both places keeps the config key.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from types import MappingProxyType
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from gated.qr.jws import TokenError, b64url_decode, strict_json_object
from gated.qr.safe_text import safe

MAX_KEYS_PAYLOAD = 64 * 1024
MAX_KEYS = 64
MAX_KID = 128
Origin = Literal["config", "topic"]


class KeyConfigError(ValueError):
    """A key in the configuration is unusable; the message says which and why."""


@dataclass(frozen=True)
class TrustedKey:
    kid: str
    x: bytes = field(repr=False)
    nbf: float | None = None
    exp: float | None = None
    origin: Origin = "config"

    @cached_property
    def public_key(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.x)

    def window_problem(self, now: float, skew_s: float) -> str | None:
        """Why the key may not be used at ``now``, or ``None`` when it may."""
        if self.nbf is not None and now + skew_s < self.nbf:
            return "key not valid yet (before its nbf)"
        if self.exp is not None and now - skew_s > self.exp:
            return "key expired (after its exp)"
        return None


@dataclass(frozen=True, slots=True)
class RejectedKey:
    index: int
    kid: str  # escaped, safe to log
    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class KeysUpdate:
    """The result of parsing one ``keys`` payload."""

    ok: bool
    keys: tuple[TrustedKey, ...] = ()
    rejected: tuple[RejectedKey, ...] = ()
    reason: str | None = None
    detail: str = ""


def _when(entry: Mapping[str, Any], key: str, required: bool) -> float | None:
    if key not in entry:
        if required:
            raise TokenError("malformed", f"missing {key!r}")
        return None
    value = entry[key]
    if value is None:
        return None
    if isinstance(value, datetime):  # a TOML datetime in the lane config
        if value.tzinfo is None:
            raise TokenError("malformed", f"{key!r} needs an explicit offset")
        return value.timestamp()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if -1e12 < value < 1e12 and math.isfinite(value):
            return float(value)
    elif isinstance(value, str) and len(value) <= 64:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed.timestamp()
    raise TokenError("malformed", f"{key!r} is not an RFC 3339 time with an offset")


def parse_entry(entry: Any, origin: Origin, require_window: bool) -> TrustedKey:
    """One key entry (``kid``, ``alg``, ``x``, ``nbf``, ``exp``); raises :class:`TokenError`."""
    if not isinstance(entry, dict):
        raise TokenError("malformed", "key entry is not an object")
    kid = entry.get("kid")
    if not isinstance(kid, str) or not 0 < len(kid) <= MAX_KID:
        raise TokenError("malformed", "missing or bad 'kid'")
    if entry.get("alg") != "EdDSA":
        raise TokenError("bad_algorithm", "alg is not EdDSA")
    if entry.get("kty", "OKP") != "OKP" or entry.get("crv", "Ed25519") != "Ed25519":
        raise TokenError("bad_algorithm", "not an OKP Ed25519 key")
    x = entry.get("x")
    if not isinstance(x, str) or len(x) > 64:
        raise TokenError("malformed", "missing or bad 'x'")
    raw = b64url_decode(x, "x")
    if len(raw) != 32:
        raise TokenError("malformed", "'x' is not a 32-byte Ed25519 public key")
    try:
        Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise TokenError("malformed", "'x' is not an Ed25519 public key") from exc
    nbf = _when(entry, "nbf", require_window)
    exp = _when(entry, "exp", require_window)
    return TrustedKey(kid, raw, nbf, exp, origin)


def _entries(payload: bytes | str) -> list[Any]:
    raw = payload.encode("utf-8", "surrogatepass") if isinstance(payload, str) else payload
    if len(raw) > MAX_KEYS_PAYLOAD:
        raise TokenError("oversize", f"{len(raw)} bytes")
    keys = strict_json_object(raw, "keys payload").get("keys")
    if not isinstance(keys, list):
        raise TokenError("malformed", "'keys' is not a list")
    if len(keys) > MAX_KEYS:
        raise TokenError("oversize", f"{len(keys)} keys, limit {MAX_KEYS}")
    return keys


def parse_keys_payload(payload: bytes | str) -> KeysUpdate:
    """Parse the retained ``keys`` topic payload. Never raises.

    An empty payload (the retained message was cleared) is a good update with no keys:
    the lane then trusts its config keys only, and denies passes signed by others.
    """
    if isinstance(payload, (bytes, bytearray)) and not payload:
        return KeysUpdate(ok=True, detail="retained keys cleared")
    try:
        entries = _entries(payload)
    except TokenError as exc:
        return KeysUpdate(ok=False, reason=exc.reason, detail=exc.detail)
    keys: list[TrustedKey] = []
    rejected: list[RejectedKey] = []
    for index, entry in enumerate(entries):
        try:
            keys.append(parse_entry(entry, "topic", require_window=True))
        except TokenError as exc:
            kid = entry.get("kid") if isinstance(entry, dict) else None
            rejected.append(RejectedKey(index, safe(str(kid), 40), exc.reason, exc.detail))
    counts: dict[str, int] = {}
    for key in keys:
        counts[key.kid] = counts.get(key.kid, 0) + 1
    for index, key in enumerate(keys):
        if counts[key.kid] > 1:
            rejected.append(RejectedKey(index, safe(key.kid, 40), "malformed", "duplicate kid"))
    kept = tuple(k for k in keys if counts[k.kid] == 1)
    return KeysUpdate(ok=True, keys=kept, rejected=tuple(rejected))


@dataclass(frozen=True)
class Keyring:
    """Trusted keys by kid. Immutable; build with :meth:`from_config`, update with :meth:`with_topic`."""

    config: Mapping[str, TrustedKey] = field(default_factory=lambda: MappingProxyType({}))
    topic: Mapping[str, TrustedKey] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_config(cls, entries: Iterable[Mapping[str, Any]]) -> Keyring:
        """Keys written in the lane's config (same shape as topic entries; nbf/exp optional)."""
        keys: dict[str, TrustedKey] = {}
        for index, entry in enumerate(entries):
            try:
                key = parse_entry(dict(entry), "config", require_window=False)
            except (TokenError, TypeError, ValueError) as exc:
                raise KeyConfigError(f"trusted key #{index + 1}: {exc}") from None
            if key.kid in keys:
                raise KeyConfigError(f"trusted key #{index + 1}: kid {safe(key.kid)} twice")
            keys[key.kid] = key
        return cls(MappingProxyType(keys), MappingProxyType({}))

    @classmethod
    def of(cls, *keys: TrustedKey) -> Keyring:
        return cls(MappingProxyType({k.kid: k for k in keys}))

    def with_topic(self, update: KeysUpdate) -> Keyring:
        """The keyring with the topic keys replaced by a good update (a bad one changes nothing)."""
        if not update.ok:
            return self
        topic = {k.kid: k for k in update.keys if k.kid not in self.config}
        return Keyring(self.config, MappingProxyType(topic))

    def shadowed(self, update: KeysUpdate) -> tuple[str, ...]:
        """Kids of an update that the config overrides (worth a warning in the log)."""
        return tuple(safe(k.kid, 40) for k in update.keys if k.kid in self.config)

    def get(self, kid: str) -> TrustedKey | None:
        return self.config.get(kid) or self.topic.get(kid)

    @property
    def kids(self) -> tuple[str, ...]:
        return tuple(sorted({*self.config, *self.topic}))

    def __len__(self) -> int:
        return len(self.kids)
