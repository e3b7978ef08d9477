"""End to end through the pure lane controller with real tokens and the real verifier:
a valid pass shown by the wrong truck is denied; by the right truck it is granted."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gated.qr import Keyring, QrVerdict, bind, verify
from gated.qr import mint as m
from tests.core.harness import PARAMS, T0_WALL, Lane

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
RING = Keyring.of(m.trusted(KEY, "central-2026"))


def _token(plate: str = "29C-999.88", **kw: Any) -> str:
    claims = m.pass_claims(
        pid="P-QR-1",
        plate=plate,
        site=PARAMS.site,
        iat=T0_WALL,
        nbf=T0_WALL - 60,
        exp=T0_WALL + 86_400,
        dir="in",
        **kw,
    )
    return m.mint(KEY, claims, kid="central-2026")


def _scan(lane: Lane, text: str) -> QrVerdict:
    verdict = verify(
        text,
        keyring=RING,
        passes=lane.passes,
        site=PARAMS.site,
        lane=PARAMS.lane,
        direction=PARAMS.direction,
        now=lane.now.wall,
        skew_s=2.0,
    )
    lane.qr(verdict)  # type: ignore[arg-type]
    return verdict


def _arrive() -> Lane:
    lane = Lane()
    lane.set_io()
    lane.set_io(presence=True)
    return lane


def test_valid_signed_pass_shown_by_the_wrong_truck_is_denied() -> None:
    lane = _arrive()
    verdict = _scan(lane, _token())
    assert verdict.ok  # the pass itself is genuine
    lane.plate("29C12345")  # but this truck is another one (it even has a pass of its own)
    decided = lane.last("passage.decided").body
    assert decided["decision"]["result"] == "deny"
    assert decided["decision"]["reasons"][0] == "qr_plate_mismatch"
    assert bind(verdict, "29C12345").reason == "qr_plate_mismatch"  # the helper agrees
    assert lane.outputs is not None and lane.outputs.barrier != "open"


def test_the_same_pass_shown_by_its_own_truck_is_granted() -> None:
    lane = _arrive()
    verdict = _scan(lane, _token())
    lane.plate("29C99988")
    decided = lane.last("passage.decided").body
    assert decided["decision"]["result"] == "grant"
    assert decided["pass"]["id"] == "P-QR-1" and bind(verdict, "29C-999.88").ok


def test_forged_pass_is_a_pass_rejected_event_with_its_reason() -> None:
    lane = _arrive()
    other = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
    forged = m.mint(
        other,
        m.pass_claims(
            pid="P-QR-2",
            plate="29C12345",
            site=PARAMS.site,
            iat=T0_WALL,
            nbf=T0_WALL,
            exp=T0_WALL + 60,
        ),
        kid="central-2026",
    )
    _scan(lane, forged)
    rejected = lane.last("pass.rejected").body
    assert rejected["reason"] == "bad_signature"
    assert rejected["pass"] == {"id": None, "source": "qr-signed"}  # unverified: no id trusted
    lane.plate("29C12345")
    assert lane.last("passage.decided").body["decision"]["result"] == "deny"


def test_reference_pass_for_another_plate_is_denied() -> None:
    lane = _arrive()
    assert _scan(lane, "GPR:P-1").ok  # P-1 is 29C12345 in the harness's passes
    lane.plate("15H54321")
    assert lane.last("passage.decided").body["decision"]["reasons"][0] == "qr_plate_mismatch"
