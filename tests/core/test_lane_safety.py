"""Hypothesis: no sequence of inputs makes the controller break a safety rule.

The state machine throws every kind of input at the controller in any order, including
impossible hardware (limit switches flickering, both limits on, loops toggling at random)
and the realistic one (the barrier following its outputs). After every step the harness's
independent :class:`SafetyChecker` verifies rules 1, 2, 3, 4, 5, 7 and 8; rule 6 has its
own property below. ``GATED_SAFETY_EXAMPLES`` raises the number of sequences for soak runs.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from gated.core.lane.model import DeviceDown, DeviceUp, PlateVoted, SetMode, VehicleSighted
from tests.core.harness import T0_WALL, Lane, Verdict, vote

EXAMPLES = int(os.environ.get("GATED_SAFETY_EXAMPLES", "2000"))
PLATES = ["29C12345", "29C1Z345", "桂A1234挂", "51F67890", "30G99999", "99Z99999", ""]


class LaneMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.lane = Lane()

    @rule(
        presence=st.booleans(),
        safety=st.booleans(),
        open_limit=st.booleans(),
        closed_limit=st.booleans(),
    )
    def io_reading(self, presence, safety, open_limit, closed_limit):
        self.lane.set_io(
            presence=presence, safety=safety, open_limit=open_limit, closed_limit=closed_limit
        )

    @rule(presence=st.booleans(), safety=st.booleans())
    def loops(self, presence, safety):
        self.lane.set_io(presence=presence, safety=safety)

    @rule(seconds=st.sampled_from([0.05, 0.3, 1.0, 1.9, 2.0, 2.1, 5.0, 11.0, 31.0]))
    def tick(self, seconds):
        self.lane.jump(seconds)

    @rule()
    def barrier_follows(self):
        self.lane.barrier_follows(0.5)

    @rule(plate=st.sampled_from(PLATES), low=st.booleans(), rear=st.booleans())
    def plate(self, plate, low, rear):
        v = vote(plate, status="low_confidence" if low else "ok")
        self.lane.feed(PlateVoted(v, "rear" if rear else "front"))

    @rule(plate=st.sampled_from(PLATES), wait=st.sampled_from([0.5, 2.5]))
    def vehicle_drives_through(self, plate, wait):
        """A realistic passage, so long runs also reach open, crossing and closing."""
        lane = self.lane
        lane.set_io(presence=True)
        lane.plate(plate)
        lane.barrier_follows(0.5)
        lane.set_io(presence=False, safety=True)
        lane.jump(1.0)
        lane.set_io(safety=False)
        lane.jump(wait)
        lane.barrier_follows(0.5)

    @rule()
    def sighted(self):
        self.lane.feed(VehicleSighted("front"))

    @rule(
        ok=st.booleans(),
        plate=st.sampled_from(PLATES),
        reason=st.sampled_from(["bad_signature", "expired", "used", "unknown_format"]),
    )
    def qr(self, ok, plate, reason):
        self.lane.qr(Verdict(ok, None if ok else reason, pass_id="P-1", plate=plate))

    @rule(
        operator=st.sampled_from(["", "nguyen.van.a"]),
        reason=st.sampled_from(["", " ", "paper pass"]),
        central=st.booleans(),
        expires=st.sampled_from([None, -100.0, -2.5, -1.0, 0.0, 30.0]),
    )
    def operator_open(self, operator, reason, central, expires):
        exp = None if expires is None else T0_WALL + self.lane.mono + expires
        src = "central" if central else "local"
        self.lane.open(operator, reason, source=src, command_id="c", expires_at=exp)

    @rule(
        mode=st.sampled_from(["auto", "manual", "closed"]),
        operator=st.sampled_from(["", "le.van.c"]),
        central=st.booleans(),
        expires=st.sampled_from([None, -10.0, 10.0]),
    )
    def set_mode(self, mode, operator, central, expires):
        exp = None if expires is None else T0_WALL + self.lane.mono + expires
        src = "central" if central else "local"
        self.lane.feed(SetMode(mode, operator, "shift", src, "c", exp))

    @rule(kind=st.sampled_from(["io", "camera", "board"]), down=st.booleans())
    def device(self, kind, down):
        name = {"io": "io", "camera": "front", "board": "board"}[kind]
        self.lane.feed(DeviceDown(name, kind, "lost") if down else DeviceUp(name, kind))

    @invariant()
    def every_event_is_well_formed(self):
        for e in self.lane.events[-5:]:
            assert e.id and e.type and e.ts.endswith("+00:00")
            if e.type.startswith("passage."):
                assert e.passage_id is not None


LaneMachine.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLaneSafety = LaneMachine.TestCase


@settings(max_examples=max(200, EXAMPLES // 10), deadline=None)
@given(
    gaps=st.lists(  # away from the 1 s threshold, where float time steps make it a coin toss
        st.one_of(st.floats(0.0, 0.95), st.floats(1.05, 1.9)), min_size=0, max_size=6
    )
)
def test_rule6_each_extra_vehicle_on_one_grant_is_a_tailgate(gaps):
    """Pulses on the safety loop during one grant: every gap >= tailgate_gap is a new vehicle."""
    lane = Lane()
    lane.set_io()
    lane.set_io(presence=True)
    lane.plate("29C12345")
    lane.barrier_follows()
    lane.set_io(presence=False, safety=True)
    for gap in gaps:  # gaps stay below clear_delay (2 s) so the barrier never closes
        lane.tick(0.5)
        lane.set_io(safety=False)
        lane.tick(gap)
        lane.set_io(safety=True)
    lane.set_io(safety=False)
    expected = sum(1 for g in gaps if g >= lane.params.tailgate_gap_s)
    tailgates = [e for e in lane.events if e.type == "passage.tailgate"]
    assert len(tailgates) == expected
    assert [e.body["vehicles"] for e in tailgates] == list(range(2, 2 + expected))
