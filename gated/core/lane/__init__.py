"""The lane controller: passage flow and safety rules as a pure state machine."""

from gated.core.lane.controller import initial_state, step
from gated.core.lane.outputs import board_text, desired_outputs

__all__ = ["initial_state", "step", "desired_outputs", "board_text"]
