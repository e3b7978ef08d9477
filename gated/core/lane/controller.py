"""The lane controller: a pure state machine, ``step(state, input) -> result``.

No I/O, no clock: the runtime passes the time, the passes and an id source in
:class:`~gated.core.lane.model.World`, commits the returned events, and only then drives
the outputs derived by :func:`gated.core.lane.outputs.desired_outputs`.
"""

from __future__ import annotations

from gated.core.decision import Decision
from gated.core.lane import events as ev
from gated.core.lane.flow import (
    Step,
    advance,
    decide_now,
    end_passage,
    finish_grant,
    in_grant,
    keep_for_next,
    start_passage,
)
from gated.core.lane.model import (
    DeviceDown,
    DeviceUp,
    IoReading,
    LaneInput,
    LaneParams,
    LaneState,
    OperatorOpen,
    Phase,
    PlateVoted,
    QrScanned,
    Reply,
    SetMode,
    StepResult,
    Tick,
    VehicleSighted,
    World,
)
from gated.core.lane.outputs import GRANTED


def initial_state() -> LaneState:
    return LaneState()


def step(state: LaneState, inp: LaneInput, params: LaneParams, world: World) -> StepResult:
    st = Step(state, params, world)
    handler = _HANDLERS.get(type(inp))
    if handler is None:
        raise TypeError(f"not a lane input: {type(inp).__name__}")
    handler(st, inp)
    advance(st)
    return st.result()


# ------------------------------------------------------------------------------- I/O


def _on_io(st: Step, r: IoReading) -> None:
    prev, new = st.s.io, r.inputs
    if prev is None:  # first reading (start or after link loss): be conservative
        st.set(
            io=new,
            safety_free_since=None if new.safety else st.now,
            safety_on_since=st.now if new.safety else None,
        )
        if st.s.phase == Phase.STARTING:
            st.enter(Phase.IDLE)
        elif st.s.phase == Phase.OPENING and new.open_limit:
            _on_barrier_opened(st)
        _on_presence(st, new.presence)
        return
    st.set(io=new)
    if new.safety and not prev.safety:
        _on_vehicle_enters(st, prev_free_since=st.s.safety_free_since)
        st.set(safety_on_since=st.now, safety_free_since=None)
    elif prev.safety and not new.safety:
        st.set(safety_on_since=None, safety_free_since=st.now)
        if in_grant(st.s) and st.s.passage and st.s.passage.vehicles:
            st.set_passage(cleared_wall=st.wall)
    if new.open_limit and not prev.open_limit:
        _on_barrier_opened(st)
    if new.presence != prev.presence:
        _on_presence(st, new.presence)


def _on_vehicle_enters(st: Step, prev_free_since: float | None) -> None:
    if not in_grant(st.s):
        return
    p = st.s.passage
    assert p is not None
    if p.vehicles == 0:
        st.set_passage(vehicles=1, entered_wall=st.wall)
        return
    gap = st.now - prev_free_since if prev_free_since is not None else 0.0
    if gap >= st.p.tailgate_gap_s:  # a shorter gap is the same vehicle (tractor/trailer)
        st.set_passage(vehicles=p.vehicles + 1)
        st.emit_passage("passage.tailgate", vehicles=p.vehicles + 1, gap_s=round(gap, 3))


def _on_barrier_opened(st: Step) -> None:
    if st.s.phase == Phase.OPENING:
        st.device("barrier", "barrier", True)
        st.set_passage(opened_wall=st.wall)
        st.enter(Phase.OPEN)
    elif st.s.phase not in GRANTED:  # rule 5: it opened and nobody asked
        p = st.s.passage
        st.emit("barrier.forced", p.id if p else None, phase=str(st.s.phase))


def _on_presence(st: Step, present: bool) -> None:
    phase, p = st.s.phase, st.s.passage
    if present:
        if phase == Phase.IDLE and st.s.io_ok:
            start_passage(st, presence=True)
        elif phase in (Phase.IDENTIFYING, Phase.WAITING) and p and not p.presence_seen:
            st.set_passage(presence_seen=True)
    elif phase in (Phase.IDENTIFYING, Phase.WAITING) and p and p.presence_seen:
        end_passage(st)  # the vehicle left before (or after being refused) a grant


def _on_down(st: Step, d: DeviceDown) -> None:
    st.device(d.device, d.kind, False, d.reason)
    if d.kind == "io":
        st.set(io=None, io_ok=False, safety_free_since=None, safety_on_since=None)


def _on_up(st: Step, u: DeviceUp) -> None:
    st.device(u.device, u.kind, True)
    if u.kind == "io":
        st.set(io_ok=True)  # inputs stay unknown until the next reading (rule 7)


# -------------------------------------------------------------------- identification


def _on_sighted(st: Step, _: VehicleSighted) -> None:
    if st.s.phase == Phase.IDLE and st.s.io_ok and st.s.io is not None:
        start_passage(st, presence=False)


def _on_plate(st: Step, pv: PlateVoted) -> None:
    if st.s.phase == Phase.IDLE and pv.role == "front" and st.s.io_ok and st.s.io is not None:
        start_passage(st, presence=False)
    p = st.s.passage
    if p is None or st.s.phase in (Phase.STARTING, Phase.IDLE):
        return
    if pv.role == "rear":
        if st.s.phase != Phase.CLOSING:
            st.set_passage(trailer=pv.vote)
        return
    if st.s.phase in (*GRANTED, Phase.CLOSING):
        if p.plate is None or pv.vote.plate != p.plate.plate:
            keep_for_next(st, pv)  # most likely the next vehicle, queueing behind
    elif st.s.phase == Phase.IDENTIFYING:
        st.set_passage(plate=pv.vote, plate_at=st.now)
    elif st.s.phase == Phase.WAITING and _lacked_plate(p.decision) and pv.vote.usable:
        st.set_passage(plate=pv.vote, plate_at=st.now)
        decide_now(st)


def _lacked_plate(d: Decision | None) -> bool:
    return d is not None and bool({"no_plate", "low_confidence"} & set(d.reasons))


def _on_qr(st: Step, q: QrScanned) -> None:
    if st.s.phase == Phase.IDLE and st.s.io_ok and st.s.io is not None:
        start_passage(st, presence=False)
    busy = st.s.phase in (*GRANTED, Phase.CLOSING)  # a QR now belongs to the next vehicle
    p = None if busy else st.s.passage
    if not q.verdict.ok:
        st.events.append(ev.pass_rejected(st.w, st.p, p, q.verdict))
    if busy:
        keep_for_next(st, q)
        return
    if p is None or st.s.phase not in (Phase.IDENTIFYING, Phase.WAITING):
        return
    st.set_passage(qr=q.verdict)
    if st.s.phase == Phase.WAITING and q.verdict.ok:
        decide_now(st)


# ---------------------------------------------------------------- operator / central


def _refusal(st: Step, operator: str, reason: str, source: str, expires_at) -> Reply | None:
    """Rules 4 and 8: a manual action needs an operator and a reason, and must be fresh."""
    if not operator.strip() or not reason.strip():
        return Reply(False, "invalid", "an operator and a reason are required")
    if source == "central":
        if expires_at is None:
            return Reply(False, "expired", "command has no expires_at")
        if st.wall > expires_at + st.p.command_skew_s:
            return Reply(False, "expired", "command expired before it could run")
    return None


def _by(source: str, operator: str, command_id: str | None) -> str:
    return f"central:{command_id}" if source == "central" else f"operator:{operator}"


def _on_open(st: Step, o: OperatorOpen) -> None:
    refused = _refusal(st, o.operator, o.reason, o.source, o.expires_at)
    if refused is None and (not st.s.io_ok or st.s.io is None):
        refused = Reply(False, "io_fault", "I/O module not answering: cannot open")
    if refused is not None:
        st.reply = refused
        return
    by = _by(o.source, o.operator, o.command_id)
    if st.s.phase in GRANTED:
        pid = st.s.passage.id if st.s.passage else None
        st.emit("operator.action", pid, action="open", operator=o.operator, reason=o.reason,
                by=by, command_id=o.command_id, effect="already_open")
        st.reply = Reply(True, message="barrier already open", result={"passage_id": pid})
        return
    if st.s.phase == Phase.CLOSING:
        finish_grant(st, closed=False)
    if st.s.phase not in (Phase.IDENTIFYING, Phase.WAITING):
        start_passage(st, presence=bool(st.s.io and st.s.io.presence))
    p = st.s.passage
    assert p is not None
    st.emit("operator.action", p.id, action="open", operator=o.operator, reason=o.reason,
            by=by, command_id=o.command_id)
    decide_now(st, Decision("grant", ("operator_open",), None, None), by=by)
    st.reply = Reply(True, message="opening", result={"passage_id": p.id})


def _on_mode(st: Step, m: SetMode) -> None:
    refused = _refusal(st, m.operator, m.reason, m.source, m.expires_at)
    if refused is not None:
        st.reply = refused
        return
    before = st.s.mode
    by = _by(m.source, m.operator, m.command_id)
    st.emit("operator.action", None, action="set_mode", operator=m.operator, reason=m.reason,
            by=by, command_id=m.command_id, mode=m.mode)
    if m.mode != before:
        st.set(mode=m.mode)
        st.emit("lane.mode_changed", None, **{"from": before, "to": m.mode, "by": by})
    st.reply = Reply(True, message=f"mode {m.mode}", result={"mode": m.mode, "was": before})


_HANDLERS = {
    IoReading: _on_io,
    DeviceDown: _on_down,
    DeviceUp: _on_up,
    Tick: lambda st, _: None,
    VehicleSighted: _on_sighted,
    PlateVoted: _on_plate,
    QrScanned: _on_qr,
    OperatorOpen: _on_open,
    SetMode: _on_mode,
}
