"""The controller side of a passage over real Modbus: scripted, or the real one.

:class:`ScriptedController` grants every vehicle and follows the safety rules by hand.
:class:`RealController` feeds the foundation's pure lane controller the way the runtime
does (an ``IoReading`` on change, a ``Tick`` on every other poll, a plate vote when the
truck reaches the presence loop) and drives what ``desired_outputs`` asks for.
Both offer ``step(inputs) -> LaneOutputs`` and ``state``; :func:`make_controller` picks.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from gated.core.decision import PlateVote
from gated.core.lane import desired_outputs, initial_state, step
from gated.core.lane.model import IoReading, LaneParams, Now, PlateVoted, Tick, World
from gated.core.passes import Pass, PassBook
from gated.devices.interfaces import LaneInputs, LaneOutputs

PLATE = "29C12345"


@dataclass
class ScriptedController:
    state: str = "idle"
    outputs: LaneOutputs = field(default_factory=lambda: LaneOutputs(barrier="hold", light="red"))
    trail: list[str] = field(default_factory=list)

    def step(self, i: LaneInputs) -> LaneOutputs:
        s = self.state
        if s == "idle" and i.presence:  # loop on → plate → grant
            self._go("opening", LaneOutputs("open", "red"))
        elif s == "opening" and i.open_limit:  # rule 2: green once confirmed open
            self._go("open", LaneOutputs("open", "green"))
        elif s == "open" and i.safety:
            self._go("passing", self.outputs)
        elif s == "passing" and not i.safety and not i.presence:  # rule 1: clear first
            self._go("closing", LaneOutputs("close", "red"))
        elif s == "closing" and i.closed_limit:
            self._go("idle", LaneOutputs("hold", "red"))
        return self.outputs

    def _go(self, state: str, outputs: LaneOutputs) -> None:
        self.state, self.outputs = state, outputs
        self.trail.append(state)


class RealController:
    """gated.core.lane driven like the runtime drives it, with one valid pass for PLATE."""

    def __init__(self, clear_delay_s: float = 0.3) -> None:
        now = datetime.now(UTC)
        lane_pass = Pass(id="P-1", plate=PLATE, direction="in", valid_from=now - timedelta(days=1),
                         valid_to=now + timedelta(days=1))
        self.passes = PassBook.build([lane_pass])
        self.params = LaneParams(site="huu-nghi", lane="in-01", direction="in",
                                 clear_delay_s=clear_delay_s)
        self.lane = initial_state()
        self.last: LaneInputs | None = None
        self.outputs = LaneOutputs(barrier="hold", light="red")
        self.events: list[str] = []
        self._ids = itertools.count(1)

    @property
    def state(self) -> str:
        return "idle" if str(self.lane.phase) == "idle" else str(self.lane.phase)

    def _feed(self, inp) -> None:
        now = Now(time.monotonic(), time.time())
        res = step(self.lane, inp, self.params, World(now, self.passes, lambda: f"id-{next(self._ids)}"))
        self.lane = res.state
        self.events.extend(e.type for e in res.events)
        self.outputs = desired_outputs(self.lane, self.params, now.mono) or self.outputs

    def step(self, inputs: LaneInputs) -> LaneOutputs:
        if inputs != self.last:
            arrived = inputs.presence and not (self.last and self.last.presence)
            self.last = inputs
            self._feed(IoReading(inputs))
            if arrived:  # the ANPR vote for the truck now at the loop
                self._feed(PlateVoted(PlateVote(PLATE, 0.97, 5, time.time())))
        else:
            self._feed(Tick())
        return self.outputs


def make_controller(kind: str = "scripted") -> ScriptedController | RealController:
    return RealController() if kind == "real" else ScriptedController()
