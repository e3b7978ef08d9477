"""Signed central commands: a compact JWS (EdDSA / Ed25519) over the command without ``sig``.

The keys are the lane's one keyring (:class:`gated.qr.keyring.Keyring`: keys from the
config plus the retained ``gate/v1/{site}/keys`` topic), the same one QR passes are
verified with; the JWS is parsed by the same strict parser (:mod:`gated.qr.jws`). Pure
functions; every refusal is a :class:`SignatureError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature

from gated.qr.jws import TokenError, b64url_decode, b64url_encode, split_compact, strict_json_object
from gated.qr.keyring import TrustedKey

MAX_SIG = 64 * 1024

KeyLookup = Callable[[str], "TrustedKey | None"]


class SignatureError(ValueError):
    """The command's signature does not prove it came from central."""


def verify_command(command: Mapping[str, Any], lookup: KeyLookup, now: float,
                   skew_s: float) -> None:
    """Accept only if ``sig`` verifies with a usable trusted key and its payload, parsed,
    equals the command received minus ``sig``."""
    sig = command.get("sig")
    if not isinstance(sig, str) or len(sig) > MAX_SIG:
        raise SignatureError("command carries no compact JWS in 'sig'")
    try:
        jws = split_compact(sig)
    except TokenError as exc:
        raise SignatureError(f"malformed JWS: {exc}") from None
    if jws.header.get("alg") != "EdDSA":
        raise SignatureError("JWS alg must be EdDSA")
    kid = jws.header.get("kid")
    key = lookup(kid) if isinstance(kid, str) else None
    if key is None:
        raise SignatureError("JWS kid is not a trusted key")
    problem = key.window_problem(now, skew_s)
    if problem is not None:
        raise SignatureError(f"key {kid}: {problem}")
    try:
        key.public_key.verify(jws.signature, jws.signing_input)
        payload = strict_json_object(b64url_decode(jws.payload_b64, "payload"), "payload")
    except (InvalidSignature, ValueError):  # TokenError is a ValueError
        raise SignatureError("signature does not verify") from None
    unsigned = {k: v for k, v in command.items() if k != "sig"}
    if payload != unsigned:
        raise SignatureError("signed payload differs from the command received")


def sign_command(command: Mapping[str, Any], kid: str, private_key) -> str:
    """The ``sig`` central would attach (used by tests and the soak's central)."""
    header = b64url_encode(json.dumps({"alg": "EdDSA", "kid": kid}).encode())
    payload = b64url_encode(json.dumps(dict(command), separators=(",", ":")).encode())
    signature = private_key.sign(f"{header}.{payload}".encode("ascii"))
    return f"{header}.{payload}.{b64url_encode(signature)}"
