"""The pure QR pass verifier: text in, :class:`QrVerdict` out. No I/O, no clock.

Everything the verifier needs is injected: the trusted keys, the synced passes, where the
lane is (site, lane, direction), the wall-clock time and its skew tolerance, and whether
a pass id has been used. Checks run in this order and the first failure is the verdict:

1. size (``oversize``) and format prefix (``unknown_format``);
2. signed passes: JWS shape (``malformed``), ``alg`` exactly ``EdDSA`` (``bad_algorithm``),
   ``kid`` present and trusted (``unknown_key``), the key's own nbf..exp (``key_expired``),
   header hygiene (``typ``, no ``crit``/embedded keys: ``malformed``), the Ed25519
   signature (``bad_signature``), and only then the claims (``malformed``);
   reference passes: the id is in the synced passes (``unknown_pass``);
3. ``wrong_site``, ``revoked``, ``used``, ``not_yet_valid``, ``expired``, ``wrong_lane``,
   ``wrong_direction``.

The payload of a signed pass is not even decoded before its signature has verified.
Binding the pass to the plate ANPR read is a separate step: :func:`gated.qr.binding.bind`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from cryptography.exceptions import InvalidSignature

from gated.core.passes import Pass, PassBook
from gated.qr.formats import TYP, PassClaims, Scanned, classify, parse_claims
from gated.qr.jws import (
    SIGNATURE_LEN,
    CompactJws,
    TokenError,
    b64url_decode,
    split_compact,
    strict_json_object,
)
from gated.qr.keyring import MAX_KID, Keyring, TrustedKey
from gated.qr.verdict import QrVerdict, reject

UsedFn = Callable[[str], bool]

#: Header members that would make the token carry or point at its own key, or change how
#: it is processed. A pass never needs them; their presence is an attack or a mistake.
FORBIDDEN_HEADER = frozenset({"jwk", "jku", "x5u", "x5c", "x5t", "x5t#S256", "crit", "b64", "zip"})


class StoreError(RuntimeError):
    """The injected ``used`` callable failed. Propagated: the caller fails closed."""


@dataclass(frozen=True, slots=True)
class _Ctx:
    keyring: Keyring
    passes: PassBook
    site: str
    lane: str
    direction: str
    now: float
    skew_s: float
    used: UsedFn | None


def verify(
    text: str,
    *,
    keyring: Keyring,
    passes: PassBook,
    site: str,
    lane: str,
    direction: str,
    now: float,
    skew_s: float,
    used: UsedFn | None = None,
) -> QrVerdict:
    """Check one scanned QR text against the contract. Never raises on any input text.

    ``used(pass_id)`` answers whether a single-use pass has already been used at this site
    (the lane's store); if it raises, :class:`StoreError` propagates and nothing is granted.
    """
    ctx = _Ctx(keyring, passes, site, lane, direction, now, max(0.0, skew_s), used)
    try:
        return verify_unguarded(text, ctx)
    except StoreError:
        raise
    except Exception as exc:  # noqa: BLE001 - a parser bug must still give a rejection
        return reject("malformed", f"unexpected {type(exc).__name__} while parsing")


def verify_unguarded(text: str | bytes, ctx: _Ctx) -> QrVerdict:
    """:func:`verify` without the last-resort guard (the fuzzer calls this to find bugs)."""
    try:
        scanned = classify(text)
    except TokenError as exc:
        return reject(exc.reason, exc.detail)
    if scanned.source == "qr-signed":
        return _signed(scanned, ctx)
    return _reference(scanned, ctx)


def make_context(**kwargs: Any) -> _Ctx:
    """A verification context from :func:`verify`'s keyword arguments (for tools and fuzzing)."""
    kwargs.setdefault("used", None)
    return _Ctx(**kwargs)


# -- signed passes -------------------------------------------------------------------


def _check_header(header: dict[str, Any]) -> str:
    """Return the kid of an acceptable header, or raise with the reason."""
    alg = header.get("alg")
    if alg != "EdDSA":
        raise TokenError("bad_algorithm", f"alg {str(alg)[:20]} is not EdDSA")
    kid = header.get("kid")
    if not isinstance(kid, str) or not 0 < len(kid) <= MAX_KID:
        raise TokenError("unknown_key", "header has no usable kid")
    forbidden = sorted(FORBIDDEN_HEADER & header.keys())
    if forbidden:
        raise TokenError("malformed", f"header member {forbidden[0]} not accepted")
    if header.get("typ") != TYP:
        raise TokenError("malformed", f"typ is not {TYP}")
    return kid


def _trusted_key(kid: str, ctx: _Ctx) -> TrustedKey:
    key = ctx.keyring.get(kid)
    if key is None:
        raise TokenError("unknown_key", f"kid {kid[:40]} is not a trusted key")
    problem = key.window_problem(ctx.now, ctx.skew_s)
    if problem:
        raise TokenError("key_expired", f"kid {kid[:40]}: {problem}")
    return key


def _verified_claims(jws: CompactJws, key: TrustedKey) -> tuple[dict[str, Any], PassClaims]:
    if len(jws.signature) != SIGNATURE_LEN:
        raise TokenError("bad_signature", f"signature is {len(jws.signature)} bytes, not 64")
    try:
        key.public_key.verify(jws.signature, jws.signing_input)
    except InvalidSignature:
        raise TokenError("bad_signature", f"signature does not verify with kid {key.kid}") from None
    raw = strict_json_object(b64url_decode(jws.payload_b64, "payload"), "payload")
    return raw, parse_claims(raw)


def _signed(scanned: Scanned, ctx: _Ctx) -> QrVerdict:
    base = QrVerdict(ok=False, reason=None, source="qr-signed")
    try:
        jws = split_compact(scanned.body)
        kid = _check_header(jws.header)
        base = replace(base, kid=kid)
        key = _trusted_key(kid, ctx)
        raw, claims = _verified_claims(jws, key)
    except TokenError as exc:
        return base.rejected(exc.reason, exc.detail)
    verdict = replace(
        base, pass_id=claims.pid, plate=claims.plt, trailer_plate=claims.trl, claims=raw
    )
    if claims.site != ctx.site:
        return verdict.rejected("wrong_site", f"pass is for site {claims.site}")
    return _common_checks(
        verdict, ctx, ctx.passes.get(claims.pid), claims.nbf, claims.exp, claims.lanes, claims.dir
    )


# -- reference passes ----------------------------------------------------------------


def _reference(scanned: Scanned, ctx: _Ctx) -> QrVerdict:
    base = QrVerdict(ok=False, reason=None, source="qr-ref", pass_id=scanned.body)
    record = ctx.passes.get(scanned.body)
    if record is None:
        return base.rejected("unknown_pass", f"no synced pass {scanned.body}")
    verdict = replace(base, plate=record.plate, trailer_plate=record.trailer_plate)
    site = (record.model_extra or {}).get("site")
    if site is not None and site != ctx.site:
        return verdict.rejected("wrong_site", f"pass is for site {site}")
    lanes = tuple(record.lanes) if record.lanes is not None else None
    return _common_checks(
        verdict,
        ctx,
        record,
        record.valid_from.timestamp(),
        record.valid_to.timestamp(),
        lanes,
        record.direction,
    )


# -- checks common to both -----------------------------------------------------------


def _was_used(ctx: _Ctx, pass_id: str) -> bool:
    if ctx.used is None:
        return False
    try:
        return bool(ctx.used(pass_id))
    except Exception as exc:
        raise StoreError(f"used() failed for a pass: {type(exc).__name__}") from exc


def _common_checks(
    verdict: QrVerdict,
    ctx: _Ctx,
    record: Pass | None,
    nbf: float,
    exp: float,
    lanes: tuple[str, ...] | None,
    direction: str,
) -> QrVerdict:
    pid = verdict.pass_id or ""
    if record is not None and record.status == "revoked":
        return verdict.rejected("revoked", "pass revoked")
    single_use = record.single_use if record is not None else True
    if (record is not None and record.status == "used") or (single_use and _was_used(ctx, pid)):
        return verdict.rejected("used", "single-use pass already used")
    if ctx.now + ctx.skew_s < nbf:
        return verdict.rejected("not_yet_valid", f"valid from {nbf:.0f}, now {ctx.now:.0f}")
    if ctx.now - ctx.skew_s > exp:
        return verdict.rejected("expired", f"valid to {exp:.0f}, now {ctx.now:.0f}")
    if lanes is not None and ctx.lane not in lanes:
        return verdict.rejected("wrong_lane", f"pass is for lanes {', '.join(lanes)}")
    if direction not in ("any", ctx.direction):
        return verdict.rejected("wrong_direction", f"pass is for direction {direction}")
    return replace(verdict, ok=True, reason=None, detail="valid")
