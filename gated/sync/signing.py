"""Signed central commands: a compact JWS (EdDSA / Ed25519) over the command without ``sig``.

Keys come from the retained ``gate/v1/{site}/keys`` topic, in the contract's format
``{"keys": [{"kid", "alg": "EdDSA", "x", "nbf", "exp"}]}`` (``x`` base64url Ed25519;
``nbf``/``exp`` RFC 3339 with an offset or NumericDate, ``null`` = unbounded) -- the same
payload and rules as the QR pass keyring (``gated.qr.keyring``), which the daemon feeds
from the same topic. Pure functions; every refusal is a :class:`SignatureError`.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from gated.sync.messages import BadMessage, decode_object

MAX_KEYS_PAYLOAD = 64 * 1024


class SignatureError(ValueError):
    """The command's signature does not prove it came from central."""


@dataclass(frozen=True)
class CommandKey:
    kid: str
    public: Ed25519PublicKey
    nbf: float | None
    exp: float | None

    def usable(self, now: float, skew_s: float) -> bool:
        return (self.nbf is None or now + skew_s >= self.nbf) and (
            self.exp is None or now - skew_s <= self.exp
        )


KeyLookup = Callable[[str], "CommandKey | None"]


def b64url(part: str) -> bytes:
    if not isinstance(part, str) or len(part) % 4 == 1 or "=" in part:
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc


def _when(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    if isinstance(value, str) and len(value) <= 64:
        dt = datetime.fromisoformat(value)
        if dt.tzinfo is not None:
            return dt.timestamp()
    raise ValueError("nbf/exp must be RFC 3339 with an offset, a NumericDate or null")


def parse_keys(payload: bytes) -> tuple[dict[str, CommandKey], list[str]]:
    """Good keys by kid, and one problem line per refused entry. Raises :class:`BadMessage`."""
    if not payload:
        return {}, []  # retained keys cleared
    entries = decode_object(payload, MAX_KEYS_PAYLOAD).get("keys")
    if not isinstance(entries, list):
        raise BadMessage("invalid", "keys must be a list")
    keys: dict[str, CommandKey] = {}
    problems: list[str] = []
    for i, entry in enumerate(entries):
        try:
            key = _key(entry)
        except (ValueError, TypeError) as exc:
            problems.append(f"key #{i + 1}: {exc}")
            continue
        keys[key.kid] = key
    return keys, problems


def _key(entry: Any) -> CommandKey:
    if not isinstance(entry, dict) or entry.get("alg") != "EdDSA":
        raise ValueError("not an EdDSA key entry")
    kid = entry.get("kid")
    if not isinstance(kid, str) or not 0 < len(kid) <= 128:
        raise ValueError("missing kid")
    raw = b64url(entry.get("x", ""))
    if len(raw) != 32:
        raise ValueError("x is not a 32-byte Ed25519 key")
    return CommandKey(kid, Ed25519PublicKey.from_public_bytes(raw), _when(entry.get("nbf")),
                      _when(entry.get("exp")))


def verify_command(command: Mapping[str, Any], lookup: KeyLookup, now: float,
                   skew_s: float) -> None:
    """Accept only if ``sig`` verifies with a usable trusted key and its payload, parsed,
    equals the command received minus ``sig``."""
    sig = command.get("sig")
    if not isinstance(sig, str) or sig.count(".") != 2 or len(sig) > 64 * 1024:
        raise SignatureError("command carries no compact JWS in 'sig'")
    header_b64, payload_b64, sig_b64 = sig.split(".")
    try:
        header = decode_object(b64url(header_b64))
        signature = b64url(sig_b64)
        payload = decode_object(b64url(payload_b64))
    except (ValueError, BadMessage) as exc:
        raise SignatureError(f"malformed JWS: {exc}") from None
    if header.get("alg") != "EdDSA":
        raise SignatureError("JWS alg must be EdDSA")
    kid = header.get("kid")
    key = lookup(kid) if isinstance(kid, str) else None
    if key is None:
        raise SignatureError("JWS kid is not a trusted key")
    if not key.usable(now, skew_s):
        raise SignatureError(f"key {kid} is outside its validity window")
    try:
        key.public.verify(signature, f"{header_b64}.{payload_b64}".encode("ascii"))
    except (InvalidSignature, ValueError):
        raise SignatureError("signature does not verify") from None
    unsigned = {k: v for k, v in command.items() if k != "sig"}
    if payload != unsigned:
        raise SignatureError("signed payload differs from the command received")


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def sign_command(command: Mapping[str, Any], kid: str, private_key) -> str:
    """The ``sig`` central would attach (used by tests and the soak's central)."""
    header = b64url_encode(json.dumps({"alg": "EdDSA", "kid": kid}).encode())
    payload = b64url_encode(json.dumps(dict(command), separators=(",", ":")).encode())
    signature = private_key.sign(f"{header}.{payload}".encode("ascii"))
    return f"{header}.{payload}.{b64url_encode(signature)}"
