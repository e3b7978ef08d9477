"""Attacks on the JWS header and encoding: each is refused with the expected reason."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import pytest

from gated.qr import QrVerdict
from gated.qr import mint as m
from gated.qr.jws import b64url_encode

from .conftest import claims

Check = Callable[..., QrVerdict]
TYP = "gate-pass+jwt"


def _raw(header: bytes, payload: bytes, sig: bytes) -> str:
    return "GP1:" + ".".join(b64url_encode(p) for p in (header, payload, sig))


def _payload() -> bytes:
    return json.dumps(claims()).encode()


def test_alg_none_without_signature(check: Check) -> None:
    token = _raw(json.dumps({"alg": "none", "kid": "k1", "typ": TYP}).encode(), _payload(), b"")
    assert check(token).reason == "bad_algorithm"


def test_hs256_with_the_public_key_as_secret(check: Check, key: Any) -> None:
    """The classic key-confusion attack: HMAC keyed with the (public) verification key."""
    header = b64url_encode(json.dumps({"alg": "HS256", "kid": "k1", "typ": TYP}).encode())
    body = b64url_encode(_payload())
    for secret in (m.public_x(key), b64url_encode(m.public_x(key)).encode()):
        mac = hmac.new(secret, f"{header}.{body}".encode(), hashlib.sha256).digest()
        assert check(f"GP1:{header}.{body}.{b64url_encode(mac)}").reason == "bad_algorithm"


@pytest.mark.parametrize(
    "alg",
    [
        "ES256",
        "RS256",
        "PS256",
        "HS512",
        "eddsa",
        "EDDSA",
        "Ed25519",
        "Ed448",
        "EdDSA ",
        "",
        None,
        1,
        ["EdDSA"],
    ],
)
def test_every_other_algorithm_is_refused(check: Check, key: Any, alg: Any) -> None:
    token = "GP1:" + m.sign_compact(key, {"alg": alg, "kid": "k1", "typ": TYP}, claims())
    assert check(token).reason == "bad_algorithm"


def test_missing_alg(check: Check, key: Any) -> None:
    assert check("GP1:" + m.sign_compact(key, {"kid": "k1", "typ": TYP}, claims())).reason == (
        "bad_algorithm"
    )


@pytest.mark.parametrize("kid", [None, "", 7, "x" * 200])
def test_missing_or_bad_kid_is_unknown_key(check: Check, key: Any, kid: Any) -> None:
    header: dict[str, Any] = {"alg": "EdDSA", "typ": TYP}
    if kid is not None:
        header["kid"] = kid
    assert check("GP1:" + m.sign_compact(key, header, claims())).reason == "unknown_key"


def test_duplicate_header_member_is_malformed(check: Check, key: Any) -> None:
    """{"alg":"none","alg":"EdDSA"}: parsers that keep the first or the last disagree."""
    header = b'{"alg":"none","alg":"EdDSA","kid":"k1","typ":"gate-pass+jwt"}'
    signing_input = f"{b64url_encode(header)}.{b64url_encode(_payload())}"
    token = f"GP1:{signing_input}.{b64url_encode(key.sign(signing_input.encode()))}"
    assert check(token).reason == "malformed"


def test_embedded_attacker_key_is_never_used(check: Check, other_key: Any) -> None:
    jwk = m.keys_entry(other_key, "k1")
    for member in ({"jwk": jwk}, {"jku": "https://evil.invalid/k"}, {"x5c": ["AAAA"]}):
        header = {"alg": "EdDSA", "kid": "k1", "typ": TYP, **member}
        assert check("GP1:" + m.sign_compact(other_key, header, claims())).reason == "malformed"


@pytest.mark.parametrize(
    "extra", [{"crit": ["exp"]}, {"b64": False, "crit": ["b64"]}, {"zip": "DEF"}]
)
def test_processing_changing_members_are_refused(check: Check, key: Any, extra: Any) -> None:
    header = {"alg": "EdDSA", "kid": "k1", "typ": TYP, **extra}
    assert check("GP1:" + m.sign_compact(key, header, claims())).reason == "malformed"


@pytest.mark.parametrize("typ", [None, "JWT", "gate-pass+JWT "])
def test_wrong_typ_is_refused(check: Check, key: Any, typ: Any) -> None:
    header: dict[str, Any] = {"alg": "EdDSA", "kid": "k1"}
    if typ is not None:
        header["typ"] = typ
    assert check("GP1:" + m.sign_compact(key, header, claims())).reason == "malformed"


def test_signed_command_payload_cannot_pose_as_a_pass(check: Check, key: Any) -> None:
    """Commands are signed by the same keys, with header {alg, kid} and no typ."""
    command = {"id": "0193", "name": "barrier.open", "args": {"reason": "x"}}
    token = "GP1:" + m.sign_compact(key, {"alg": "EdDSA", "kid": "k1"}, command)
    assert check(token).reason == "malformed"


def test_tampered_payload_fails_the_signature(check: Check, signed: Callable[..., str]) -> None:
    head, _, sig = signed().split(".")
    forged = b64url_encode(json.dumps(claims(plate="51D99999")).encode())
    assert check(f"{head}.{forged}.{sig}").reason == "bad_signature"


def test_non_canonical_signature_encoding_is_refused(
    check: Check, signed: Callable[..., str]
) -> None:
    """The last base64url character of a 64-byte value has 2 unused bits: set them."""
    head, body, sig = signed().split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet[alphabet.index(sig[-1]) | 1]
    assert last != sig[-1]
    assert check(f"{head}.{body}.{sig[:-1]}{last}").reason == "malformed"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t + "==",  # padding
        lambda t: t.replace("-", "+").replace("_", "/") if ("-" in t or "_" in t) else t + "+",
        lambda t: t + ".",  # four parts
        lambda t: t.rsplit(".", 1)[0],  # two parts
        lambda t: t[: len(t) // 2],  # truncated
        lambda t: t[:4] + " " + t[4:],
    ],
)
def test_encoding_damage_is_malformed_or_bad_signature(
    check: Check, signed: Callable[..., str], mutate: Callable[[str], str]
) -> None:
    assert check(mutate(signed())).reason in {"malformed", "bad_signature"}


def test_short_signature_is_bad_signature(check: Check, signed: Callable[..., str]) -> None:
    head, body, _ = signed().split(".")
    assert check(f"{head}.{body}.{b64url_encode(b'x' * 63)}").reason == "bad_signature"


@pytest.mark.parametrize(
    "payload",
    [b"[]", b"null", b'{"pid":"P"}', b"\xff\xfe", b'{"pid":"P","pid":"Q"}', b'{"exp": NaN}'],
)
def test_signed_but_bad_claims_are_malformed(check: Check, key: Any, payload: bytes) -> None:
    token = "GP1:" + m.sign_compact(key, {"alg": "EdDSA", "kid": "k1", "typ": TYP}, payload)
    assert check(token).reason == "malformed"


@pytest.mark.parametrize(
    "bad",
    [
        {"plt": ""},
        {"plt": 29},
        {"site": None},
        {"exp": "tomorrow"},
        {"nbf": True},
        {"dir": "sideways"},
        {"lanes": "in-01"},
        {"pid": "P 1"},
        {"exp": 10**400},
    ],
)
def test_claim_types_are_checked(check: Check, key: Any, bad: dict[str, Any]) -> None:
    c = claims()
    c.update(bad)
    assert check(m.mint(key, c, kid="k1")).reason == "malformed"


@pytest.mark.parametrize(
    "text", ["", "   ", "gp1:abc", "GP2:abc", "GPR", "P-2026-000123", "\x00GP1:a.b.c"]
)
def test_unknown_formats(check: Check, text: str) -> None:
    assert check(text).reason == "unknown_format"


@pytest.mark.parametrize("text", ["GPR:", "GPR:has space", "GPR:\x1b[31mred", "GPR:" + "P" * 65])
def test_bad_reference_ids_are_malformed(check: Check, text: str) -> None:
    assert check(text).reason == "malformed"


def test_bytes_in_are_handled(check: Check) -> None:
    assert check(b"\xff\xfeGP1:").reason == "malformed"  # type: ignore[arg-type]
    assert check(b"GPR:P-2026-000777").ok  # type: ignore[arg-type]


def test_detail_of_hostile_text_is_escaped_and_bounded(
    check: Check, signed: Callable[..., str]
) -> None:
    v = check(signed(site="evil\u202e\x1b[2J" + "s" * 50))
    assert v.reason == "wrong_site"
    assert "\u202e" not in v.detail and "\x1b" not in v.detail
    assert "\\u202e" in v.detail and "\\x1b" in v.detail
    assert "\u202e" not in json.dumps(v.summary(), ensure_ascii=False)
    assert len(check("GPR:" + "Z" * 64).detail) <= 201
