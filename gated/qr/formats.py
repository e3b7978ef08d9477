"""The two QR pass formats of the contract, recognised and parsed (no cryptography here).

* ``GP1:`` + compact JWS: a signed pass, verifiable offline.
* ``GPR:`` + pass id: a reference to a pass in the lane's synced passes.

Anything else is ``unknown_format``. The input is bounded before anything else is done
with it (``oversize``), and claims are validated field by field into :class:`PassClaims`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from gated.core import plates
from gated.qr.jws import TokenError

SIGNED_PREFIX = "GP1:"
REF_PREFIX = "GPR:"
#: Longest text accepted: a signed pass is ~500 characters; a version 40 QR holds 2953 bytes.
MAX_TEXT = 2048
MAX_ID = 64
MAX_LANES = 64
TYP = "gate-pass+jwt"

SourceKind = Literal["qr-signed", "qr-ref"]


@dataclass(frozen=True, slots=True)
class Scanned:
    """A recognised QR text: which format, and the part after the prefix."""

    source: SourceKind
    body: str


def as_text(raw: str | bytes) -> str:
    """Scanner/decoder output as text; bytes must be UTF-8 (else ``malformed``)."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, (bytes, bytearray)):
        if len(raw) > MAX_TEXT * 4:
            raise TokenError("oversize", f"{len(raw)} bytes scanned")
        try:
            return bytes(raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise TokenError("malformed", "scanned bytes are not UTF-8") from exc
    raise TokenError("malformed", f"scanned value is a {type(raw).__name__}, not text")


def classify(raw: str | bytes) -> Scanned:
    """Recognise the format of scanned text. Surrounding whitespace (a scanner's CR) is ignored."""
    text = as_text(raw)
    if len(text) > MAX_TEXT:
        raise TokenError("oversize", f"{len(text)} characters scanned, limit {MAX_TEXT}")
    text = text.strip(" \t\r\n")
    if text.startswith(SIGNED_PREFIX):
        return Scanned("qr-signed", text[len(SIGNED_PREFIX) :])
    if text.startswith(REF_PREFIX):
        return Scanned("qr-ref", check_pass_id(text[len(REF_PREFIX) :]))
    raise TokenError("unknown_format", "neither a GP1: signed pass nor a GPR: reference")


def check_pass_id(value: Any) -> str:
    if (
        not isinstance(value, str)
        or not 0 < len(value) <= MAX_ID
        or not value.isprintable()
        or any(ch.isspace() for ch in value)
    ):
        raise TokenError("malformed", "pass id is empty, too long or not printable")
    return value


@dataclass(frozen=True, slots=True)
class PassClaims:
    """The claims of a signed pass, typed. ``plt``/``trl`` are normalised plates."""

    pid: str
    plt: str
    trl: str | None
    site: str
    dir: str
    lanes: tuple[str, ...] | None
    iat: float
    nbf: float
    exp: float


def _text(claims: dict[str, Any], key: str, max_len: int, optional: bool = False) -> str | None:
    value = claims.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= max_len:
        raise TokenError("malformed", f"claim {key!r} missing or not a short string")
    return value


def _date(claims: dict[str, Any], key: str) -> float:
    value = claims.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TokenError("malformed", f"claim {key!r} missing or not a NumericDate")
    try:
        out = float(value)
    except OverflowError as exc:
        raise TokenError("malformed", f"claim {key!r} out of range") from exc
    if not math.isfinite(out):
        raise TokenError("malformed", f"claim {key!r} is not finite")
    return out


def _plate(claims: dict[str, Any], key: str, optional: bool = False) -> str | None:
    value = _text(claims, key, plates.MAX_PLATE_LEN + 8, optional)
    if value is None:
        return None
    plate = plates.normalise(value)
    if not plate:
        raise TokenError("malformed", f"claim {key!r} is an empty plate")
    return plate


def _lanes(claims: dict[str, Any]) -> tuple[str, ...] | None:
    value = claims.get("lanes")
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or len(value) > MAX_LANES
        or not all(isinstance(v, str) and 0 < len(v) <= MAX_ID for v in value)
    ):
        raise TokenError("malformed", "claim 'lanes' is not a list of lane names")
    return tuple(value)


def parse_claims(claims: dict[str, Any]) -> PassClaims:
    """Validate a signed pass's claims (contract: pid, plt, trl?, site, dir?, lanes?, iat, nbf, exp)."""
    direction = claims.get("dir", "any")
    if direction not in ("in", "out", "any"):
        raise TokenError("malformed", "claim 'dir' is not in, out or any")
    return PassClaims(
        pid=check_pass_id(claims.get("pid")),
        plt=_plate(claims, "plt") or "",
        trl=_plate(claims, "trl", optional=True),
        site=_text(claims, "site", MAX_ID) or "",
        dir=direction,
        lanes=_lanes(claims),
        iat=_date(claims, "iat"),
        nbf=_date(claims, "nbf"),
        exp=_date(claims, "exp"),
    )
