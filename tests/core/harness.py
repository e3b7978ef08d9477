"""A test driver for the pure lane controller, with an independent safety-rule checker.

The :class:`Lane` feeds inputs with a fake clock and counter ids, keeps the outputs the
runtime would drive, and after every step asks :class:`SafetyChecker` whether any rule of
lane-behaviour.md was broken. The checker keeps its own record of the raw inputs: it
never trusts the controller's idea of the world.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone

from gated.core.decision import PlateVote
from gated.core.lane import board_text, desired_outputs, initial_state, step
from gated.core.lane.model import (
    DeviceDown,
    DeviceUp,
    IoReading,
    LaneParams,
    Now,
    OperatorOpen,
    PlateVoted,
    QrScanned,
    SetMode,
    StepResult,
    Tick,
    World,
)
from gated.core.passes import Pass, PassBook
from gated.devices.interfaces import LaneInputs, LaneOutputs

T0_WALL = 1_795_000_000.0  # 2026-11-17, a fixed wall clock for reproducible events
PARAMS = LaneParams(site="huu-nghi", lane="in-01", direction="in")


def make_pass(pid: str, plate: str, **kw) -> Pass:
    start = datetime.fromtimestamp(T0_WALL, timezone.utc)
    fields = dict(
        id=pid,
        plate=plate,
        direction="in",
        valid_from=start - timedelta(days=1),
        valid_to=start + timedelta(days=1),
        single_use=True,
        status="active",
        display=f"{plate} - Bai B",
    )
    fields.update(kw)
    return Pass(**fields)


DEFAULT_PASSES = PassBook.build(
    [
        make_pass("P-1", "29C12345"),
        make_pass("P-2", "桂A1234挂"),
        make_pass("P-3", "51F67890", valid_to=datetime.fromtimestamp(T0_WALL - 3600, timezone.utc)),
        make_pass("P-4", "30G99999", status="revoked"),
    ]
)


def vote(plate: str, confidence: float = 0.95, status: str = "ok") -> PlateVote:
    return PlateVote(plate, confidence, 7, T0_WALL, status)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Verdict:
    """Duck-typed stand-in for gated.qr's verdict (the engine only reads these fields)."""

    ok: bool
    reason: str | None = None
    source: str = "qr-signed"
    pass_id: str | None = None
    plate: str | None = None
    trailer_plate: str | None = None
    detail: str | None = None
    claims: dict = field(default_factory=dict)


IDLE_IO = LaneInputs(presence=False, safety=False, open_limit=False, closed_limit=True)


class SafetyViolation(AssertionError):
    pass


class SafetyChecker:
    """Rules 1, 2, 3, 4, 5, 7 and 8 checked on every step from the raw inputs."""

    def __init__(self, params: LaneParams) -> None:
        self.params = params
        self.io: LaneInputs | None = None  # last raw reading; None = unknown
        self.free_since: float | None = None
        self.last_driven: LaneOutputs | None = None  # outputs last written to the hardware

    def check(self, inp, res: StepResult, out: LaneOutputs | None, now: Now) -> None:
        types = [e.type for e in res.events]
        prev_io = self.io
        if isinstance(inp, IoReading):
            new = inp.inputs
            if prev_io is None or (prev_io.safety and not new.safety):
                self.free_since = None if new.safety else now.mono
            elif new.safety:
                self.free_since = None
            if prev_io is not None and new.open_limit and not prev_io.open_limit:
                commanded = self.last_driven is not None and self.last_driven.barrier == "open"
                if not commanded and "barrier.forced" not in types:
                    raise SafetyViolation("rule 5: barrier opened without command, no event")
            self.io = new
        if isinstance(inp, DeviceDown) and inp.kind == "io":
            self.io = None
            self.free_since = None
        self._check_outputs(out, now)
        self._check_commands(inp, res, types, now)
        if out is not None:
            self.last_driven = out

    def _check_outputs(self, out: LaneOutputs | None, now: Now) -> None:
        if out is None:
            return
        if self.io is None:
            raise SafetyViolation("rules 3/7: outputs driven while the inputs are unknown")
        if out.barrier == "close":
            if self.io.safety or self.free_since is None:
                raise SafetyViolation("rule 1: close while the safety loop is occupied")
            if now.mono - self.free_since < self.params.clear_delay_s:
                raise SafetyViolation("rule 1: close within clear_delay of the loop freeing")
        if out.light == "green" and not self.io.open_limit:
            raise SafetyViolation("rule 2: green while the barrier is not confirmed open")

    def _check_commands(self, inp, res: StepResult, types: list[str], now: Now) -> None:
        if not isinstance(inp, (OperatorOpen, SetMode)):
            return
        assert res.reply is not None, "every command gets a reply"
        if inp.source == "central" and (
            inp.expires_at is None or now.wall > inp.expires_at + self.params.command_skew_s
        ):
            if res.reply.ok or res.events:
                raise SafetyViolation("rule 4: a stale command was executed")
        if res.reply.ok:
            actions = [e for e in res.events if e.type == "operator.action"]
            if not actions or not all(e.body["operator"] and e.body["reason"] for e in actions):
                raise SafetyViolation("rule 8: manual action without an operator.action event")
        elif not (inp.operator.strip() and inp.reason.strip()) and res.events:
            raise SafetyViolation("rule 8: action without operator or reason had effects")


class Lane:
    """Feeds the controller like the runtime does, checking safety after each step."""

    def __init__(self, params: LaneParams = PARAMS, passes: PassBook = DEFAULT_PASSES) -> None:
        self.params = params
        self.passes = passes
        self.state = initial_state()
        self.mono = 100.0
        self._ids = itertools.count(1)
        self.events: list = []
        self.replies: list = []
        self.outputs: LaneOutputs | None = None
        self.io = IDLE_IO
        self.checker = SafetyChecker(params)

    @property
    def now(self) -> Now:
        return Now(self.mono, T0_WALL + self.mono)

    def feed(self, inp) -> StepResult:
        world = World(self.now, self.passes, lambda: f"id-{next(self._ids):04d}")
        res = step(self.state, inp, self.params, world)
        self.state = res.state
        self.events.extend(res.events)
        if res.reply is not None:
            self.replies.append(res.reply)
        for eff in res.effects:  # the runtime marks single-use passes used
            used = self.passes.get(eff.pass_id)
            if used is not None:
                self.passes = self.passes.with_pass(used.model_copy(update={"status": "used"}))
        self.outputs = desired_outputs(self.state, self.params, self.now.mono)
        self.checker.check(inp, res, self.outputs, self.now)
        return res

    # convenience -----------------------------------------------------------------
    def set_io(self, **changes) -> StepResult:
        self.io = replace(self.io, **changes)
        return self.feed(IoReading(self.io))

    def tick(self, seconds: float) -> None:
        """Advance time in small steps, as the runtime's tick loop would."""
        end = self.mono + seconds
        while self.mono < end - 1e-9:
            self.mono = min(end, self.mono + 0.1)
            self.feed(Tick())

    def jump(self, seconds: float) -> None:
        """Advance time in one leap (the controller must not depend on tick size)."""
        self.mono += seconds
        self.feed(Tick())

    def plate(self, plate: str, **kw) -> StepResult:
        return self.feed(PlateVoted(vote(plate, **kw)))

    def qr(self, verdict: Verdict) -> StepResult:
        return self.feed(QrScanned(verdict))

    def open(self, operator: str = "nguyen.van.a", reason: str = "test", **kw) -> StepResult:
        return self.feed(OperatorOpen(operator, reason, **kw))

    def io_down(self, reason: str = "timeout") -> StepResult:
        return self.feed(DeviceDown("io", "io", reason))

    def io_up(self) -> StepResult:
        return self.feed(DeviceUp("io", "io"))

    def types(self) -> list[str]:
        return [e.type for e in self.events]

    def last(self, type_: str):
        return [e for e in self.events if e.type == type_][-1]

    @property
    def board(self) -> str:
        return board_text(self.state)

    def barrier_follows(self, seconds: float = 1.0) -> None:
        """Physics: move the limit switches to where the barrier output drives them."""
        if self.outputs is None:
            return
        if self.outputs.barrier == "open" and not self.io.open_limit:
            self.tick(seconds)
            self.set_io(open_limit=True, closed_limit=False)
        elif self.outputs.barrier == "close" and not self.io.closed_limit:
            self.set_io(open_limit=False)
            self.tick(seconds)
            self.set_io(closed_limit=True)
