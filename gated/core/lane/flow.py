"""The passage flow: start, identify, decide, open, cross, close (lane-behaviour.md).

These functions work on a :class:`Step`, the scratchpad of one controller step: it
holds the state being built and collects events, effects and the reply. A step is
created, used and discarded inside :func:`gated.core.lane.controller.step`, so the
controller stays a pure function from the outside.
"""

from __future__ import annotations

from dataclasses import replace

from gated.core.decision import Decision, decide
from gated.core.lane import events as ev
from gated.core.lane.model import (
    DeviceState,
    LaneParams,
    LaneState,
    MarkPassUsed,
    Passage,
    Phase,
    PlateVoted,
    QrScanned,
    Reply,
    StepResult,
    World,
)
from gated.core.lane.outputs import GRANTED, safe_to_close
from gated.core.timefmt import rfc3339


class Step:
    def __init__(self, state: LaneState, params: LaneParams, world: World) -> None:
        self.s = state
        self.p = params
        self.w = world
        self.events: list = []
        self.effects: list = []
        self.reply: Reply | None = None

    @property
    def now(self) -> float:
        return self.w.now.mono

    @property
    def wall(self) -> float:
        return self.w.now.wall

    def ts(self) -> str:
        return rfc3339(self.wall, self.p.tz)

    def set(self, **changes) -> None:
        self.s = self.s.evolve(**changes)

    def set_passage(self, **changes) -> None:
        assert self.s.passage is not None
        self.s = self.s.evolve(passage=replace(self.s.passage, **changes))

    def enter(self, phase: Phase) -> None:
        self.s = self.s.evolve(phase=phase, phase_since=self.now)

    def emit(self, type_: str, passage_id: str | None = None, **body) -> None:
        self.events.append(ev.draft(self.w, self.p, type_, passage_id, **body))

    def emit_passage(self, type_: str, **extra) -> None:
        assert self.s.passage is not None
        self.events.append(ev.passage_event(self.w, self.p, type_, self.s.passage, **extra))

    def device(self, name: str, kind: str, ok: bool, reason: str = "") -> None:
        """Record a device's health; emit fault/recovered only on a transition."""
        before = self.s.devices.get(name)
        if before is not None and before.ok == ok and before.reason == reason:
            return
        devices = dict(self.s.devices)
        devices[name] = DeviceState(kind, ok, reason, self.wall)
        self.set(devices=devices)
        if not ok and (before is None or before.ok):
            self.emit("device.fault", None, device=name, kind=kind, reason=reason)
        elif ok and before is not None and not before.ok:
            down_for = round(self.wall - before.since, 3)
            self.emit("device.recovered", None, device=name, kind=kind, down_for_s=down_for)

    def result(self) -> StepResult:
        return StepResult(self.s, tuple(self.events), self.reply, tuple(self.effects))


# --------------------------------------------------------------------------- passages


def start_passage(st: Step, *, presence: bool) -> None:
    passage = Passage(id=st.w.new_id(), started=st.now, first_seen=st.wall, presence_seen=presence)
    fresh = [i for t, i in st.s.pending if st.now - t < st.p.identify_timeout_s]
    st.set(passage=passage, pending=())
    st.enter(Phase.IDENTIFYING)
    for item in fresh:  # what the next vehicle showed while the lane was still busy
        if isinstance(item, PlateVoted):
            st.set_passage(plate=item.vote, plate_at=st.now)
        else:
            st.set_passage(qr=item.verdict)


def keep_for_next(st: Step, item: PlateVoted | QrScanned) -> None:
    st.set(pending=(*st.s.pending[-3:], (st.now, item)))


def finish_grant(st: Step, closed: bool) -> None:
    """Report the granted vehicle's passage complete (once), unless the grant was aborted."""
    p = st.s.passage
    if p is not None and p.decision and p.decision.result == "grant" and p.aborted is None:
        st.emit_passage("passage.completed", vehicles=p.vehicles, closed=st.ts() if closed else None)


def end_passage(st: Step) -> None:
    st.set(passage=None)
    st.enter(Phase.IDLE)
    io = st.s.io
    if io is not None and io.presence and st.s.io_ok:
        start_passage(st, presence=True)  # the next vehicle is already waiting


def store_down(state: LaneState) -> bool:
    """Events cannot be made durable: no automatic grant may depend on them."""
    return any(d.kind == "store" and not d.ok for d in state.devices.values())


def ready_to_decide(st: Step) -> bool:
    p, params = st.s.passage, st.p
    if p is None:
        return False
    if st.now - p.started >= params.identify_timeout_s:
        return True
    if p.plate is None or p.plate_at is None:
        return False
    if params.qr_mode != "required" or p.qr is not None:
        return True
    return st.now - p.plate_at >= params.qr_wait_s


def decide_now(st: Step, override: Decision | None = None, by: str = "auto") -> None:
    p = st.s.passage
    assert p is not None
    if override is not None:
        d = override
    else:
        d = decide(
            plate=p.plate,
            passes=st.w.passes,
            ctx=st.p.context,
            now=st.wall,
            mode=st.s.mode,
            qr=p.qr,
            qr_mode=st.p.qr_mode,
            trailer=p.trailer,
        )
        if d.result == "grant" and (not st.s.io_ok or st.s.io is None):
            d = d.with_reasons("io_fault", result="manual")  # rule 3: no automatic opening
        elif d.result == "grant" and store_down(st.s):
            d = d.with_reasons("store_fault", result="manual")  # nothing can be recorded
    st.set_passage(decision=d, decided_by=by, decided_at=st.now, decided_wall=st.wall)
    st.emit_passage("passage.decided")
    if d.result != "grant":
        st.enter(Phase.WAITING)
        return
    if d.pass_ is not None and d.pass_.single_use and st.w.passes.get(d.pass_.id) is not None:
        st.effects.append(MarkPassUsed(d.pass_.id))
    st.enter(Phase.OPENING)


def abort_grant(st: Step, reason: str) -> None:
    st.set_passage(aborted=reason)
    st.emit_passage("passage.aborted", reason=reason)
    st.enter(Phase.CLOSING)


# ----------------------------------------------------------------------------- timers


def advance(st: Step) -> None:
    """Fire whatever the time and the current state make due. Runs after every input.

    A phase change can make the next one due at once (closed, and the next vehicle is
    already identified), so this repeats until the phase settles (bounded).
    """
    for _ in range(4):
        before = (st.s.phase, st.s.passage.id if st.s.passage else None)
        _advance_once(st)
        if (st.s.phase, st.s.passage.id if st.s.passage else None) == before:
            return


def _advance_once(st: Step) -> None:
    phase = st.s.phase
    if phase == Phase.IDENTIFYING and ready_to_decide(st):
        decide_now(st)
    elif phase == Phase.OPENING and st.now - st.s.phase_since >= st.p.open_timeout_s:
        st.device("barrier", "barrier", False, f"open not confirmed in {st.p.open_timeout_s:g}s")
        abort_grant(st, "open_timeout")
    elif phase == Phase.OPEN:
        _advance_open(st)
    elif phase == Phase.CLOSING:
        _advance_closing(st)
    elif phase == Phase.WAITING:
        p = st.s.passage
        if p is not None and not p.presence_seen and p.decided_at is not None:
            if st.now - p.decided_at >= st.p.leave_timeout_s:
                end_passage(st)


def _advance_open(st: Step) -> None:
    p = st.s.passage
    assert p is not None
    if p.vehicles == 0:
        if st.now - st.s.phase_since >= st.p.pass_timeout_s:
            abort_grant(st, "no_vehicle")
    elif safe_to_close(st.s, st.p, st.now):
        st.enter(Phase.CLOSING)


def _advance_closing(st: Step) -> None:
    io = st.s.io
    if io is None or not st.s.io_ok:
        return
    if not safe_to_close(st.s, st.p, st.now):
        st.set(phase_since=st.now)  # the close timer only runs while closing is allowed
        return
    if io.closed_limit and not io.open_limit:
        st.device("barrier", "barrier", True)
        finish_grant(st, closed=True)
        end_passage(st)
    elif st.now - st.s.phase_since >= st.p.close_timeout_s:
        st.device("barrier", "barrier", False, f"close not confirmed in {st.p.close_timeout_s:g}s")
        finish_grant(st, closed=False)
        end_passage(st)


def in_grant(state: LaneState) -> bool:
    """A grant is under way: opening, open, or closing after a granted vehicle."""
    p = state.passage
    if p is None or p.decision is None or p.decision.result != "grant":
        return False
    return state.phase in GRANTED or (state.phase == Phase.CLOSING and p.aborted is None)
