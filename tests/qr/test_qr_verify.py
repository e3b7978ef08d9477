"""The verifier: valid passes, and every rejection reason from one place each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gated.core.passes import PassBook
from gated.qr import VERIFY_REASONS, Keyring, QrVerdict, StoreError
from gated.qr import mint as m
from gated.qr.formats import MAX_TEXT

from .conftest import LANE, NOW, PLATE, a_pass

Check = Callable[..., QrVerdict]


def test_valid_signed_pass_carries_its_identity(check: Check, signed: Callable[..., str]) -> None:
    v = check(signed(trl="桂A·1234挂", lanes=["in-01", "in-02"], dir="in"))
    assert (v.ok, v.reason, v.source) == (True, None, "qr-signed")
    assert (v.pass_id, v.plate, v.trailer_plate, v.kid) == (
        "P-2026-000123",
        PLATE,
        "桂A1234挂",
        "k1",
    )
    assert v.claims["site"] == "huu-nghi"


def test_valid_reference_pass_takes_the_synced_plate(check: Check) -> None:
    v = check("GPR:P-2026-000777\r\n")
    assert (v.ok, v.source, v.pass_id, v.plate) == (True, "qr-ref", "P-2026-000777", "29C67890")


def test_several_kids_are_trusted_at_once(check: Check, key: Any, other_key: Any) -> None:
    ring = Keyring.of(m.trusted(key, "old"), m.trusted(other_key, "new"))
    for private, kid in ((key, "old"), (other_key, "new")):
        token = m.mint(private, _claims(), kid=kid)
        assert check(token, keyring=ring).kid == kid and check(token, keyring=ring).ok


def _claims(**kw: Any) -> dict[str, Any]:
    from .conftest import claims

    return claims(**kw)


# One case per reason code: (reason, how to get it).
def _cases(key: Any, other_key: Any) -> dict[str, Callable[[Check], QrVerdict]]:
    tok = lambda **kw: m.mint(key, _claims(**kw), kid="k1")
    return {
        "oversize": lambda c: c("GP1:" + "A" * MAX_TEXT),
        "unknown_format": lambda c: c("https://example.invalid/pass?id=1"),
        "malformed": lambda c: c("GP1:abc.def"),
        "bad_algorithm": lambda c: c(
            "GP1:"
            + m.sign_compact(key, {"alg": "ES256", "kid": "k1", "typ": "gate-pass+jwt"}, _claims())
        ),
        "unknown_key": lambda c: c(m.mint(key, _claims(), kid="nobody")),
        "key_expired": lambda c: c(tok(), keyring=Keyring.of(m.trusted(key, "k1", exp=NOW - 100))),
        "bad_signature": lambda c: c(m.mint(other_key, _claims(), kid="k1")),
        "not_yet_valid": lambda c: c(tok(nbf=NOW + 60)),
        "expired": lambda c: c(tok(exp=NOW - 60)),
        "wrong_site": lambda c: c(tok(site="mong-cai")),
        "wrong_lane": lambda c: c(tok(lanes=["in-02"])),
        "wrong_direction": lambda c: c(tok(dir="out")),
        "revoked": lambda c: c(
            tok(), passes=PassBook.build([a_pass(id="P-2026-000123", status="revoked")])
        ),
        "used": lambda c: c(tok(), used=lambda pid: pid == "P-2026-000123"),
        "unknown_pass": lambda c: c("GPR:P-2026-999999"),
    }


@pytest.mark.parametrize("reason", sorted(VERIFY_REASONS))
def test_every_reason_has_a_case_that_yields_exactly_it(
    reason: str, check: Check, key: Any, other_key: Any
) -> None:
    v = _cases(key, other_key)[reason](check)
    assert (v.ok, v.reason) == (False, reason)
    assert v.detail and v.explanation() != "unknown reason"


@pytest.mark.parametrize(
    ("field", "status_or_used", "reason"),
    [
        ("status", "revoked", "revoked"),
        ("status", "used", "used"),
        ("used", True, "used"),
    ],
)
def test_reference_pass_store_state(
    check: Check, field: str, status_or_used: Any, reason: str
) -> None:
    if field == "status":
        book = PassBook.build([a_pass(status=status_or_used)])
        v = check("GPR:P-2026-000777", passes=book)
    else:
        v = check("GPR:P-2026-000777", used=lambda pid: status_or_used)
    assert v.reason == reason


def test_multi_use_pass_is_not_asked_about_use(check: Check) -> None:
    book = PassBook.build([a_pass(single_use=False)])
    assert check("GPR:P-2026-000777", passes=book, used=lambda pid: True).ok


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        (
            {"valid_from": "2026-11-18T10:00:00+00:00", "valid_to": "2026-11-18T11:00:00+00:00"},
            "expired",
        ),
        ({"lanes": ["out-01"]}, "wrong_lane"),
        ({"direction": "out"}, "wrong_direction"),
        ({"site": "mong-cai"}, "wrong_site"),
    ],
)
def test_reference_pass_place_and_time(
    check: Check, overrides: dict[str, Any], reason: str
) -> None:
    book = PassBook.build([a_pass(**overrides)])
    assert check("GPR:P-2026-000777", passes=book).reason == reason


@pytest.mark.parametrize(
    ("nbf", "exp", "ok"),
    [
        (NOW + 1.5, NOW + 100, True),  # early by less than the skew
        (NOW + 2.5, NOW + 100, False),
        (NOW - 100, NOW - 1.5, True),  # late by less than the skew
        (NOW - 100, NOW - 2.5, False),
    ],
)
def test_time_window_allows_the_skew_and_no_more(
    check: Check, key: Any, nbf: float, exp: float, ok: bool
) -> None:
    c = _claims()
    c.update(nbf=nbf, exp=exp)
    assert check(m.mint(key, c, kid="k1")).ok is ok


def test_key_window_allows_the_skew(check: Check, key: Any, signed: Callable[..., str]) -> None:
    early = Keyring.of(m.trusted(key, "k1", nbf=NOW + 1))
    late = Keyring.of(m.trusted(key, "k1", nbf=NOW + 10))
    assert check(signed(), keyring=early).ok
    assert check(signed(), keyring=late).reason == "key_expired"


def test_store_failure_propagates_instead_of_granting(
    check: Check, signed: Callable[..., str]
) -> None:
    def broken(pid: str) -> bool:
        raise OSError("disk gone")

    with pytest.raises(StoreError):
        check(signed(), used=broken)


def test_lane_default_lanes_null_means_every_lane(check: Check, signed: Callable[..., str]) -> None:
    assert check(signed(), lane="out-07", direction="in").ok
    assert check(signed(lanes=[LANE])).ok


def test_event_fields_name_the_pass_and_the_reason(check: Check) -> None:
    v = check("GPR:P-2026-999999")
    assert v.event_fields() == {
        "pass": {"id": "P-2026-999999", "source": "qr-ref"},
        "reason": "unknown_pass",
        "detail": v.detail,
    }
