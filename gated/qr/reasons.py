"""Reason codes for a rejected QR pass: exactly one per rejection, stable on the wire.

Each code is what a ``pass.rejected`` event carries and what a decision explains. The
texts are for technicians (``gatectl pass verify``) and the message board, never parsed.
"""

from __future__ import annotations

from typing import Final, Literal

Reason = Literal[
    "unknown_format",
    "oversize",
    "malformed",
    "bad_algorithm",
    "unknown_key",
    "key_expired",
    "bad_signature",
    "not_yet_valid",
    "expired",
    "wrong_site",
    "wrong_lane",
    "wrong_direction",
    "revoked",
    "used",
    "unknown_pass",
    "plate_unread",
    "qr_plate_mismatch",
]

#: Every reason and what it means, in the order the verifier checks them.
EXPLANATIONS: Final[dict[str, str]] = {
    "oversize": "the scanned text is longer than any pass can be; not parsed",
    "unknown_format": "the text starts with neither 'GP1:' (signed pass) nor 'GPR:' (reference)",
    "malformed": "the pass is not well formed: bad base64url, bad JSON, duplicate or "
    "forbidden header fields, wrong 'typ', missing or mistyped claims, bad pass id",
    "bad_algorithm": "the header's 'alg' is missing or is not exactly 'EdDSA' "
    "(none, HS256, RS256, ES256, ... are all refused)",
    "unknown_key": "the header has no 'kid', or the kid is not a trusted key (config or keys topic)",
    "key_expired": "the signing key is outside its own nbf..exp window",
    "bad_signature": "the Ed25519 signature does not verify with the trusted key",
    "wrong_site": "the pass is for another site",
    "revoked": "the pass is revoked in the lane's synced passes",
    "used": "the single-use pass has already been used",
    "not_yet_valid": "now (plus the clock skew tolerance) is before the pass's nbf / valid_from",
    "expired": "now (minus the clock skew tolerance) is after the pass's exp / valid_to",
    "wrong_lane": "the pass names lanes and this lane is not one of them",
    "wrong_direction": "the pass is for the other direction",
    "unknown_pass": "a 'GPR:' reference to a pass id the lane does not have",
    "plate_unread": "the pass is valid but ANPR read no plate to bind it to",
    "qr_plate_mismatch": "the pass is valid but for another plate than the one ANPR read",
}

#: Reasons ``verify`` can return (the binding reasons come from ``bind``).
VERIFY_REASONS: Final[frozenset[str]] = frozenset(EXPLANATIONS) - {
    "plate_unread",
    "qr_plate_mismatch",
}
BIND_REASONS: Final[frozenset[str]] = frozenset({"plate_unread", "qr_plate_mismatch"})


def explain(reason: str | None) -> str:
    if reason is None:
        return "valid"
    return EXPLANATIONS.get(reason, "unknown reason")
