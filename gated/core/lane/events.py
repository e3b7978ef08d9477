"""Builders for the contract's event bodies (``central-contract.md`` § Events).

Each builder returns an :class:`EventDraft`; the store adds ``v``, ``seq``, ``site`` and
``lane`` when it commits the event. Fields beyond the contract's are additions only.
"""

from __future__ import annotations

from typing import Any

from gated.core import plates
from gated.core.lane.model import EventDraft, LaneParams, Passage, World
from gated.core.timefmt import rfc3339


def draft(
    world: World, params: LaneParams, type_: str, passage_id: str | None,
    evidence: str | None = None, **body: Any
) -> EventDraft:
    return EventDraft(
        id=world.new_id(),
        type=type_,
        ts=rfc3339(world.now.wall, params.tz),
        passage_id=passage_id,
        body=body,
        evidence=evidence,
    )


def _ts(params: LaneParams, wall: float | None) -> str | None:
    return rfc3339(wall, params.tz) if wall is not None else None


def vehicle(p: Passage) -> dict:
    vote = p.plate
    plate = vote.plate if vote and vote.plate else None
    trailer = p.trailer.plate if p.trailer and p.trailer.usable else None
    return {
        "plate": plate,
        "plate_display": plates.display(plate) if plate else None,
        "plate_confidence": round(vote.confidence, 3) if vote else None,
        "reads": vote.reads if vote else 0,
        "country": plates.country_of(plate) if plate else None,
        "trailer_plate": trailer,
    }


def pass_ref(p: Passage) -> dict | None:
    d = p.decision
    if d is None or d.pass_ is None:
        return None
    return {"id": d.pass_.id, "source": d.source or "plate"}


def timing(params: LaneParams, p: Passage) -> dict:
    t = {"first_seen": _ts(params, p.first_seen), "decided": _ts(params, p.decided_wall)}
    for key, wall in (
        ("opened", p.opened_wall),
        ("entered", p.entered_wall),
        ("cleared", p.cleared_wall),
    ):
        if wall is not None:
            t[key] = _ts(params, wall)
    return t


def passage_event(world: World, params: LaneParams, type_: str, p: Passage, **extra) -> EventDraft:
    """``passage.decided`` / ``.completed`` / ``.aborted`` / ``.tailgate`` share one shape."""
    d = p.decision
    decision = (
        {"result": d.result, "reasons": list(d.reasons), "by": p.decided_by} if d else None
    )
    evidence = p.plate.evidence if type_ == "passage.decided" and p.plate else None
    return draft(
        world,
        params,
        type_,
        p.id,
        evidence,
        vehicle=vehicle(p),
        **{"pass": pass_ref(p)},
        decision=decision,
        timing=timing(params, p),
        images=[],
        **extra,
    )


def pass_rejected(world: World, params: LaneParams, p: Passage | None, verdict) -> EventDraft:
    return draft(
        world,
        params,
        "pass.rejected",
        p.id if p else None,
        reason=verdict.reason,
        **{"pass": {"id": verdict.pass_id, "source": verdict.source}},
        plate_read=p.plate.plate if p and p.plate else None,
        detail=getattr(verdict, "detail", None),
    )
