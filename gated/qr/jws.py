"""Compact JWS (RFC 7515) taken apart strictly, before any cryptography.

Pure functions. Every failure raises :class:`TokenError` carrying exactly one reason
code. Strictness is the point: base64url without padding and canonical (no stray bits,
so one signature has one encoding), JSON objects only, no duplicate member names (a
header ``{"alg": "none", "alg": "EdDSA"}`` must not mean different things to different
parsers), no NaN/Infinity, bounded sizes.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

from gated.core.strictjson import loads_object
from gated.qr.reasons import Reason

_B64URL = re.compile(r"[A-Za-z0-9_-]*")
MAX_HEADER_B64 = 512
MAX_PAYLOAD_B64 = 2048
SIGNATURE_LEN = 64  # Ed25519


class TokenError(ValueError):
    """The token cannot be accepted. ``reason`` is one reason code, ``detail`` is safe text."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason: Reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class CompactJws:
    """The three parts of a compact JWS, with the header already decoded."""

    header: dict[str, Any]
    payload_b64: str
    signature: bytes
    signing_input: bytes  # ASCII of ``header_b64 + "." + payload_b64``, exactly as received


def b64url_decode(part: str, what: str) -> bytes:
    """Strict, canonical base64url without padding (RFC 7515 section 2)."""
    if not _B64URL.fullmatch(part) or len(part) % 4 == 1:
        raise TokenError("malformed", f"{what} is not base64url")
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError) as exc:
        raise TokenError("malformed", f"{what} is not base64url") from exc
    if b64url_encode(raw) != part:
        raise TokenError("malformed", f"{what} is not canonical base64url")
    return raw


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def strict_json_object(raw: bytes, what: str) -> dict[str, Any]:
    """A JSON object from UTF-8 bytes, refusing duplicates, NaN/Infinity and non-objects."""
    try:
        return loads_object(raw)
    except ValueError as exc:
        raise TokenError("malformed", f"{what} is not a strict UTF-8 JSON object") from exc


def split_compact(token: str) -> CompactJws:
    """Split ``header.payload.signature``; decode the header and the signature only.

    The payload stays encoded: it is not looked at until the signature has verified.
    The signature's length is checked by the verifier, after the algorithm.
    """
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("malformed", f"compact JWS has {len(parts)} parts, not 3")
    header_b64, payload_b64, sig_b64 = parts
    if len(header_b64) > MAX_HEADER_B64 or len(payload_b64) > MAX_PAYLOAD_B64:
        raise TokenError("oversize", "JWS header or payload too long")
    if not header_b64 or not payload_b64:
        raise TokenError("malformed", "empty JWS header or payload")
    header = strict_json_object(b64url_decode(header_b64, "header"), "header")
    signature = b64url_decode(sig_b64, "signature")
    b64url_decode(payload_b64, "payload")  # shape check only; content comes later
    return CompactJws(header, payload_b64, signature, f"{header_b64}.{payload_b64}".encode())
