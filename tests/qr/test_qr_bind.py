"""The plate binding: a valid pass admits only the truck whose plate ANPR read."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gated.qr import QrVerdict, bind, is_near_miss

Check = Callable[..., QrVerdict]


@pytest.mark.parametrize("read", ["29C12345", "29C-123.45", " 29c 123.45 "])
def test_same_plate_however_printed_binds(
    check: Check, signed: Callable[..., str], read: str
) -> None:
    v = bind(check(signed()), read)
    assert (v.ok, v.reason, v.plate) == (True, None, "29C12345")


@pytest.mark.parametrize("read", ["29C12346", "29C1234", "51D12345", "29C1Z345", "29C123450"])
def test_other_plate_is_a_mismatch_even_when_ocr_confusable(
    check: Check, signed: Callable[..., str], read: str
) -> None:
    v = bind(check(signed()), read)
    assert (v.ok, v.reason) == (False, "qr_plate_mismatch")
    assert v.pass_id == "P-2026-000123"  # the event still names the pass shown


def test_near_miss_is_flagged_for_an_operator(check: Check, signed: Callable[..., str]) -> None:
    v = bind(check(signed()), "29C1Z345")
    assert "operator" in v.detail
    assert is_near_miss("29C12345", "29C-1Z3.45") and not is_near_miss("29C12345", "29C12345")


@pytest.mark.parametrize("read", [None, "", "  -. "])
def test_no_plate_read_is_plate_unread(check: Check, signed: Callable[..., str], read: str) -> None:
    assert bind(check(signed()), read).reason == "plate_unread"


def test_reference_pass_binds_to_the_synced_plate(check: Check) -> None:
    v = check("GPR:P-2026-000777")
    assert bind(v, "29C-678.90").ok
    assert bind(v, "29C12345").reason == "qr_plate_mismatch"


def test_rejected_verdict_keeps_its_own_reason(check: Check, signed: Callable[..., str]) -> None:
    v = check(signed(site="mong-cai"))
    assert bind(v, "29C99999") is v and v.reason == "wrong_site"


def test_trailer_is_bound_when_both_sides_have_one(
    check: Check, signed: Callable[..., str]
) -> None:
    v = check(signed(plate="桂A·12345", trl="桂A·1234挂"))
    assert bind(v, "桂A12345", trailer_read="桂A1234挂").ok
    assert bind(v, "桂A12345").ok  # no rear camera: tractor only
    assert bind(v, "桂A12345", trailer_read="桂B9999挂").reason == "qr_plate_mismatch"
