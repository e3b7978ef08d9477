"""The decision engine: grant, deny or manual, with the reasons that explain it.

Pure: everything it needs (the plate vote, a QR verdict, the passes, the lane and the
time) is passed in. The lane controller calls :func:`decide` once identification ends.

Reason codes (a decision lists every one that applies, most important first):

=====================  ======================================================
``pass_valid``         a pass admits this vehicle here and now
``plate_match_exact``  the plate read equals the pass's plate
``plate_match_fuzzy``  equal up to OCR confusions, and unique among active passes
``qr_signed``          the pass came from a verified signed QR (``GP1:``)
``qr_ref``             the pass came from a reference QR (``GPR:``)
``no_pass``            no pass for this plate
``fuzzy_ambiguous``    several active passes match up to OCR confusions
``plate_near_miss``    the read is only near a pass's plate (another Chinese province
                       character; with a QR, any OCR-confusable difference): an officer checks
``no_plate``           no plate was read in time
``low_confidence``     the plate vote did not reach the confidence needed
``pass_expired``       past ``valid_to`` (with the skew tolerance)
``pass_not_yet_valid`` before ``valid_from``
``pass_revoked``       revoked by central
``pass_used``          single-use pass already used
``wrong_lane``         the pass names other lanes
``wrong_direction``    the pass is for the other direction
``qr_plate_mismatch``  a valid QR pass shown by a truck with another plate
``qr_rejected``        the QR failed verification (the ``qr_*`` reason says why)
``qr_missing``         the lane requires a QR and none was shown
``trailer_mismatch``   the trailer read differs from the pass's trailer
``trailer_unread``     the pass names a trailer that was not read (informational)
``lane_manual``        the lane is in manual mode: an officer decides
``lane_closed``        the lane is closed
``io_fault``           (added by the controller) I/O link down: no automatic opening
``store_fault``        (added by the controller) the store cannot record events
``operator_open``      (added by the controller) an operator or central opened the barrier
=====================  ======================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Literal, Protocol

from gated.core import plates
from gated.core.passes import Pass, PassBook

Result = Literal["grant", "deny", "manual"]
Mode = Literal["auto", "manual", "closed"]
QrMode = Literal["off", "optional", "required"]


@dataclass(frozen=True, slots=True)
class PlateVote:
    """What multi-frame voting concluded about one vehicle's plate."""

    plate: str  # normalised; "" when nothing readable
    confidence: float
    reads: int
    first_seen: float  # wall clock, epoch seconds
    status: Literal["ok", "low_confidence"] = "ok"
    camera: str = "front"
    evidence: str | None = None  # key of the best frame's JPEGs, kept by the runtime

    @property
    def usable(self) -> bool:
        return self.status == "ok" and bool(self.plate)


class QrVerdictLike(Protocol):
    """The fields of ``gated.qr.verify.QrVerdict`` the engine relies on."""

    ok: bool
    reason: str | None
    source: str
    pass_id: str | None
    plate: str | None
    trailer_plate: str | None


@dataclass(frozen=True, slots=True)
class LaneContext:
    site: str
    lane: str
    direction: Literal["in", "out"]
    skew_s: float = 2.0


@dataclass(frozen=True, slots=True)
class Decision:
    result: Result
    reasons: tuple[str, ...]
    pass_: Pass | None = None
    source: str | None = None  # "plate", "qr-signed" or "qr-ref"
    extra: dict = field(default_factory=dict)

    def with_reasons(self, *more: str, result: Result | None = None) -> Decision:
        return Decision(result or self.result, self.reasons + more, self.pass_, self.source)


#: QR verifier reason codes that have a decision reason of their own.
_QR_REASON = {
    "expired": "pass_expired",
    "not_yet_valid": "pass_not_yet_valid",
    "revoked": "pass_revoked",
    "used": "pass_used",
    "wrong_lane": "wrong_lane",
    "wrong_direction": "wrong_direction",
    "qr_plate_mismatch": "qr_plate_mismatch",
}


def pass_problem(p: Pass, ctx: LaneContext, now: float) -> str | None:
    """The first reason ``p`` cannot admit a vehicle on this lane now, or ``None``."""
    if p.status == "revoked":
        return "pass_revoked"
    if p.status == "used":
        return "pass_used"
    if now < p.valid_from.timestamp() - ctx.skew_s:
        return "pass_not_yet_valid"
    if now > p.valid_to.timestamp() + ctx.skew_s:
        return "pass_expired"
    if not p.serves_lane(ctx.lane):
        return "wrong_lane"
    if not p.serves_direction(ctx.direction):
        return "wrong_direction"
    return None


def decide(
    *,
    plate: PlateVote | None,
    passes: PassBook,
    ctx: LaneContext,
    now: float,
    mode: Mode = "auto",
    qr: QrVerdictLike | None = None,
    qr_mode: QrMode = "optional",
    trailer: PlateVote | None = None,
) -> Decision:
    """Decide one passage. See the module docstring for the reason codes."""
    if mode == "closed":
        return Decision("deny", ("lane_closed",))
    if qr is not None:
        decision = _decide_by_qr(qr, plate, passes, ctx, now)
    elif qr_mode == "required":
        decision = Decision("deny", ("qr_missing",))
    else:
        decision = _decide_by_plate(plate, passes, ctx, now)
    decision = _check_trailer(decision, trailer)
    if mode == "manual":
        return decision.with_reasons("lane_manual", result="manual")
    return decision


def _decide_by_plate(
    vote: PlateVote | None, passes: PassBook, ctx: LaneContext, now: float
) -> Decision:
    if vote is None or not vote.plate:
        return Decision("manual", ("no_plate",))
    if vote.status != "ok":
        return Decision("manual", ("low_confidence",))
    exact = passes.exact(vote.plate)
    problems = [(p, pass_problem(p, ctx, now)) for p in exact]
    valid = [p for p, why in problems if why is None]
    if valid:
        return Decision("grant", ("pass_valid", "plate_match_exact"), valid[0], "plate")
    if problems:
        p, why = problems[0]
        return Decision("deny", (why or "no_pass", "plate_match_exact"), p, "plate")
    fuzzy = [p for p in passes.fuzzy(vote.plate) if pass_problem(p, ctx, now) is None]
    if len(fuzzy) == 1:
        return Decision("grant", ("pass_valid", "plate_match_fuzzy"), fuzzy[0], "plate")
    if len(fuzzy) > 1:
        return Decision("manual", ("fuzzy_ambiguous",))
    near = [p for p in passes.near(vote.plate) if pass_problem(p, ctx, now) is None]
    if near:  # never granted: the province is what tells two such trucks apart
        only = near[0] if len(near) == 1 else None
        return Decision("manual", ("plate_near_miss",), only, "plate")
    return Decision("deny", ("no_pass",))


def _decide_by_qr(
    qr: QrVerdictLike, vote: PlateVote | None, passes: PassBook, ctx: LaneContext, now: float
) -> Decision:
    source = qr.source
    found = passes.get(qr.pass_id) if qr.pass_id else None
    if not qr.ok:
        mapped = _QR_REASON.get(qr.reason or "")
        reasons = ("qr_rejected", mapped) if mapped else ("qr_rejected", f"qr_{qr.reason}")
        return Decision("deny", reasons, found, source)
    tag = "qr_signed" if source == "qr-signed" else "qr_ref"
    if found is not None:  # the store knows this pass: its status wins over the QR's claims
        why = pass_problem(found, ctx, now)
        if why is not None:
            return Decision("deny", (why, tag), found, source)
    if vote is None or not vote.plate:
        return Decision("manual", ("no_plate", tag), found, source)
    if vote.status != "ok":
        return Decision("manual", ("low_confidence", tag), found, source)
    qr_plate = plates.normalise(qr.plate) if qr.plate is not None else None
    if qr_plate is not None and plates.is_near_miss(qr_plate, vote.plate):
        return Decision("manual", ("qr_plate_mismatch", "plate_near_miss", tag), found, source)
    if qr_plate != vote.plate:
        return Decision("deny", ("qr_plate_mismatch", tag), found, source)
    granted = found or _pass_from_qr(qr)
    return Decision("grant", ("pass_valid", "plate_match_exact", tag), granted, source)


def _pass_from_qr(qr: QrVerdictLike) -> Pass | None:
    claims = getattr(qr, "claims", None) or {}
    try:
        return Pass(
            id=qr.pass_id or "",
            plate=qr.plate or "",
            trailer_plate=qr.trailer_plate,
            direction=claims.get("dir", "any"),
            lanes=claims.get("lanes"),
            valid_from=datetime.fromtimestamp(claims.get("nbf", 0), timezone.utc),
            valid_to=datetime.fromtimestamp(claims.get("exp", 0), timezone.utc),
        )
    except (ValueError, TypeError):
        return None


def _check_trailer(decision: Decision, trailer: PlateVote | None) -> Decision:
    p = decision.pass_
    if decision.result != "grant" or p is None or not p.trailer_plate:
        return decision
    if trailer is None or not trailer.usable:
        return decision.with_reasons("trailer_unread")
    if plates.confusion_key(trailer.plate) != plates.confusion_key(p.trailer_plate):
        return decision.with_reasons("trailer_mismatch", result="manual")
    return decision
