"""Making signed passes and keys: for commissioning, tests and the fuzzer. Not used at the lane.

Central signs real passes; the lane only verifies. These helpers exist so a technician
can commission a lane (``gatectl pass keygen`` / ``gatectl pass mint``) and tests can make
tokens. All cryptography is the ``cryptography`` package's Ed25519.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gated.core import plates
from gated.qr.formats import REF_PREFIX, SIGNED_PREFIX, TYP
from gated.qr.jws import b64url_encode
from gated.qr.keyring import TrustedKey


def public_x(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def thumbprint(x: bytes) -> str:
    """RFC 7638 JWK thumbprint of an Ed25519 public key: the default ``kid``."""
    canonical = json.dumps(
        {"crv": "Ed25519", "kty": "OKP", "x": b64url_encode(x)}, separators=(",", ":")
    )
    return b64url_encode(hashlib.sha256(canonical.encode()).digest())


def keys_entry(
    private: Ed25519PrivateKey,
    kid: str | None = None,
    nbf: str | None = None,
    exp: str | None = None,
) -> dict[str, Any]:
    """The ``keys`` topic / config entry (a public JWK) for ``private``'s public key."""
    x = public_x(private)
    return {
        "kid": kid or thumbprint(x),
        "alg": "EdDSA",
        "kty": "OKP",
        "crv": "Ed25519",
        "x": b64url_encode(x),
        "nbf": nbf,
        "exp": exp,
    }


def trusted(private: Ed25519PrivateKey, kid: str | None = None, **window: float) -> TrustedKey:
    x = public_x(private)
    return TrustedKey(kid or thumbprint(x), x, window.get("nbf"), window.get("exp"))


def private_pem(private: Ed25519PrivateKey) -> bytes:
    return private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_private(pem: bytes) -> Ed25519PrivateKey:
    """An Ed25519 private key from PEM; raises ``ValueError`` with a plain message otherwise."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError("not an unencrypted PEM private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the private key is not Ed25519")
    return key


def _compact_json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def sign_compact(
    private: Ed25519PrivateKey, header: dict[str, Any], payload: dict[str, Any] | bytes
) -> str:
    """A compact JWS over arbitrary header and payload (tests use this for header tricks)."""
    body = payload if isinstance(payload, bytes) else _compact_json(payload)
    signing_input = f"{b64url_encode(_compact_json(header))}.{b64url_encode(body)}"
    return f"{signing_input}.{b64url_encode(private.sign(signing_input.encode()))}"


def pass_claims(
    *, pid: str, plate: str, site: str, iat: float, nbf: float, exp: float, **extra: Any
) -> dict[str, Any]:
    """Contract claims; ``extra`` may carry ``trl``, ``dir``, ``lanes`` (None values dropped)."""
    claims: dict[str, Any] = {"pid": pid, "plt": plates.normalise(plate), "site": site}
    if extra.get("trl"):
        extra["trl"] = plates.normalise(extra["trl"])
    claims.update({k: v for k, v in extra.items() if v is not None})
    claims.update({"iat": int(iat), "nbf": int(nbf), "exp": int(exp)})
    return claims


def mint(private: Ed25519PrivateKey, claims: dict[str, Any], kid: str | None = None) -> str:
    """A ``GP1:`` signed pass text for ``claims``."""
    header = {"alg": "EdDSA", "kid": kid or thumbprint(public_x(private)), "typ": TYP}
    return SIGNED_PREFIX + sign_compact(private, header, claims)


def reference(pass_id: str) -> str:
    return REF_PREFIX + pass_id
