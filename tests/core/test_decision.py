"""The decision engine: every reason code and the fuzzy-match uniqueness rule."""

from datetime import datetime, timezone

from hypothesis import given
from hypothesis import strategies as st

from gated.core import plates
from gated.core.decision import LaneContext, PlateVote, decide
from gated.core.passes import PassBook
from tests.core.harness import T0_WALL, Verdict, make_pass, vote

CTX = LaneContext("huu-nghi", "in-01", "in")
NOW = T0_WALL


def book(*passes):
    return PassBook.build(list(passes))


def reasons(**kw):
    d = decide(passes=kw.pop("passes"), ctx=kw.pop("ctx", CTX), now=kw.pop("now", NOW), **kw)
    return d.result, d.reasons


def test_exact_match_grants():
    assert reasons(plate=vote("29C12345"), passes=book(make_pass("P", "29C-123.45"))) == (
        "grant",
        ("pass_valid", "plate_match_exact"),
    )


def test_each_pass_problem():
    at = lambda h: datetime.fromtimestamp(NOW + h * 3600, timezone.utc)  # noqa: E731
    cases = {
        "pass_expired": make_pass("P", "29C12345", valid_to=at(-1)),
        "pass_not_yet_valid": make_pass("P", "29C12345", valid_from=at(1)),
        "pass_revoked": make_pass("P", "29C12345", status="revoked"),
        "pass_used": make_pass("P", "29C12345", status="used"),
        "wrong_lane": make_pass("P", "29C12345", lanes=["out-02"]),
        "wrong_direction": make_pass("P", "29C12345", direction="out"),
    }
    for reason, p in cases.items():
        assert reasons(plate=vote("29C12345"), passes=book(p)) == (
            "deny",
            (reason, "plate_match_exact"),
        ), reason


def test_skew_tolerance_on_validity_window():
    p = make_pass("P", "29C12345", valid_to=datetime.fromtimestamp(NOW - 1.5, timezone.utc))
    assert reasons(plate=vote("29C12345"), passes=book(p))[0] == "grant"


def test_lane_list_and_any_direction():
    p = make_pass("P", "29C12345", lanes=["in-01", "in-02"], direction="any")
    assert reasons(plate=vote("29C12345"), passes=book(p))[0] == "grant"


def test_one_valid_pass_among_stale_ones_wins():
    old = make_pass("OLD", "29C12345", status="used")
    new = make_pass("NEW", "29C12345")
    d = decide(plate=vote("29C12345"), passes=book(old, new), ctx=CTX, now=NOW)
    assert d.result == "grant" and d.pass_.id == "NEW"


def test_fuzzy_unique_and_ambiguous():
    one = book(make_pass("A", "29C12345"))
    assert reasons(plate=vote("Z9CI2345"), passes=one) == ("grant", ("pass_valid", "plate_match_fuzzy"))
    two = book(make_pass("A", "29C12345"), make_pass("B", "Z9C12345"))
    assert reasons(plate=vote("29CI2345"), passes=two) == ("manual", ("fuzzy_ambiguous",))
    # an inactive look-alike does not make it ambiguous
    two_one_revoked = book(make_pass("A", "29C12345"), make_pass("B", "Z9C12345", status="revoked"))
    assert reasons(plate=vote("29CI2345"), passes=two_one_revoked)[0] == "grant"


def test_a_chinese_read_with_another_province_goes_to_an_officer_never_granted():
    gui = make_pass("G", "桂A12345")
    d = decide(plate=vote("陕A12345"), passes=book(gui), ctx=CTX, now=NOW)
    assert (d.result, d.reasons, d.pass_.id) == ("manual", ("plate_near_miss",), "G")
    two = book(gui, make_pass("Y", "粤A12345"))
    d = decide(plate=vote("陕A12345"), passes=two, ctx=CTX, now=NOW)
    assert (d.result, d.reasons, d.pass_) == ("manual", ("plate_near_miss",), None)
    revoked = book(make_pass("G", "桂A12345", status="revoked"))
    assert reasons(plate=vote("陕A12345"), passes=revoked) == ("deny", ("no_pass",))
    # an exact pass wins over a near one; a Vietnamese digit province is never waived
    assert reasons(plate=vote("粤A12345"), passes=two)[0] == "grant"
    vn = book(make_pass("V", "29C12345"))
    assert reasons(plate=vote("39C12345"), passes=vn) == ("deny", ("no_pass",))


def test_no_pass_no_plate_low_confidence():
    assert reasons(plate=vote("15H54321"), passes=book()) == ("deny", ("no_pass",))
    assert reasons(plate=None, passes=book()) == ("manual", ("no_plate",))
    low = PlateVote("29C12345", 0.4, 2, NOW, "low_confidence")
    assert reasons(plate=low, passes=book(make_pass("P", "29C12345"))) == ("manual", ("low_confidence",))


def test_modes():
    b = book(make_pass("P", "29C12345"))
    assert reasons(plate=vote("29C12345"), passes=b, mode="closed") == ("deny", ("lane_closed",))
    assert reasons(plate=vote("29C12345"), passes=b, mode="manual") == (
        "manual",
        ("pass_valid", "plate_match_exact", "lane_manual"),
    )


def test_qr_signed_binding():
    b = book()
    ok = Verdict(True, pass_id="P-9", plate="29C12345", claims={"nbf": NOW - 60, "exp": NOW + 60})
    assert reasons(plate=vote("29C12345"), passes=b, qr=ok) == (
        "grant",
        ("pass_valid", "plate_match_exact", "qr_signed"),
    )
    assert reasons(plate=vote("29C99999"), passes=b, qr=ok) == ("deny", ("qr_plate_mismatch", "qr_signed"))
    near = ("manual", ("qr_plate_mismatch", "plate_near_miss", "qr_signed"))
    assert reasons(plate=vote("29C1Z345"), passes=b, qr=ok) == near  # OCR-confusable: officer
    cn = Verdict(True, pass_id="P-8", plate="桂A12345", claims={"nbf": NOW - 60, "exp": NOW + 60})
    assert reasons(plate=vote("琼A12345"), passes=b, qr=cn) == near
    assert reasons(plate=None, passes=b, qr=ok) == ("manual", ("no_plate", "qr_signed"))


def test_qr_store_status_wins_over_claims():
    b = book(make_pass("P-9", "29C12345", status="revoked"))
    ok = Verdict(True, pass_id="P-9", plate="29C12345")
    assert reasons(plate=vote("29C12345"), passes=b, qr=ok) == ("deny", ("pass_revoked", "qr_signed"))


def test_qr_rejections_map_to_decision_reasons():
    for reason, expected in (("expired", "pass_expired"), ("bad_signature", "qr_bad_signature")):
        bad = Verdict(False, reason=reason)
        assert reasons(plate=vote("29C12345"), passes=book(), qr=bad) == ("deny", ("qr_rejected", expected))


def test_qr_required():
    b = book(make_pass("P", "29C12345"))
    assert reasons(plate=vote("29C12345"), passes=b, qr_mode="required") == ("deny", ("qr_missing",))


def test_trailer_checks():
    p = make_pass("P", "桂A12345", trailer_plate="桂A1234挂")
    b = book(p)
    assert reasons(plate=vote("桂A12345"), passes=b)[1][-1] == "trailer_unread"
    assert reasons(plate=vote("桂A12345"), passes=b, trailer=vote("桂A1234挂"))[0] == "grant"
    assert reasons(plate=vote("桂A12345"), passes=b, trailer=vote("桂B9999挂")) == (
        "manual",
        ("pass_valid", "plate_match_exact", "trailer_mismatch"),
    )


_CN = st.builds(lambda p, t: p + t, st.sampled_from(plates.CN_PROVINCES[:4]),
                st.from_regex(r"\A[AB][0-9ZSB]{2}[0-9]\Z"))


@given(st.lists(_CN, max_size=4), _CN)
def test_a_plate_read_grants_only_a_pass_it_matches_up_to_ocr_confusions(pass_plates, read):
    passes = book(*(make_pass(f"P{i}", p) for i, p in enumerate(pass_plates)))
    d = decide(plate=vote(read), passes=passes, ctx=CTX, now=NOW)
    if d.result == "grant":
        assert plates.confusion_key(d.pass_.plate) == plates.confusion_key(read)
    if "plate_near_miss" in d.reasons:
        assert d.result == "manual" and any(plates.is_near_miss(p, read) for p in pass_plates)
