"""A stand-in for the lane controller (issue 2) so a passage can run over real Modbus now.

It grants every vehicle (the plate read and decision are taken as done when the
presence loop rises) and follows the safety rules the real controller enforces. After
the merge, ``test_modbus_passage`` swaps it for the real controller: only
:func:`make_controller` changes, the lane and its checks stay.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gated.devices.interfaces import LaneInputs, LaneOutputs


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


def make_controller() -> ScriptedController:
    return ScriptedController()
