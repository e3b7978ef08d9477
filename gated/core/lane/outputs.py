"""What the lane's outputs must be, derived from the controller state.

Outputs are never stored: they are recomputed from the state and the time after every
step, and then passed through :func:`safety_filter`, which enforces safety rules 1-3 on
its own, whatever the phase logic asked for (defence in depth).
"""

from __future__ import annotations

from gated.core.lane.model import LaneParams, LaneState, Phase
from gated.devices.interfaces import LaneOutputs

GRANTED = frozenset({Phase.OPENING, Phase.OPEN})

#: Bilingual (Vietnamese / English) message-board texts, short enough for a 2x16 board.
BOARD = {
    "idle": "",
    "identifying": "DANG KIEM TRA / CHECKING",
    "grant": "MOI QUA / GO AHEAD",
    "manual": "CHO CAN BO / WAIT FOR OFFICER",
    "deny": "KHONG DUOC QUA / NO ENTRY",
    "no_pass": "KHONG CO GIAY PHEP / NO PASS",
    "pass_expired": "GIAY PHEP HET HAN / PASS EXPIRED",
    "pass_used": "GIAY PHEP DA DUNG / PASS USED",
    "pass_revoked": "GIAY PHEP BI HUY / PASS REVOKED",
    "qr_plate_mismatch": "SAI BIEN SO / WRONG PLATE",
    "qr_missing": "XUAT TRINH MA QR / SHOW QR PASS",
    "wrong_lane": "SAI LAN / WRONG LANE",
    "wrong_direction": "SAI HUONG / WRONG DIRECTION",
    "closed": "LAN DONG / LANE CLOSED",
    "lane_closed": "LAN DONG / LANE CLOSED",
    "fault": "LAN TAM DUNG / LANE PAUSED",
}


def safe_to_close(state: LaneState, params: LaneParams, now: float) -> bool:
    """Safety rule 1: the safety loop is known free, and has been for ``clear_delay``."""
    io = state.io
    return (
        state.io_ok
        and io is not None
        and not io.safety
        and state.safety_free_since is not None
        and now - state.safety_free_since >= params.clear_delay_s
    )


def desired_outputs(state: LaneState, params: LaneParams, now: float) -> LaneOutputs | None:
    """The outputs the phase asks for, or ``None`` while the inputs are unknown (rule 7)."""
    io = state.io
    if state.phase == Phase.STARTING or io is None or not state.io_ok:
        return None
    if state.phase in GRANTED:
        barrier = "open"
    elif io.closed_limit and not io.open_limit:
        barrier = "hold"
    else:
        barrier = "close"  # outside a grant, the barrier belongs down
    passage = state.passage
    entered = passage is not None and passage.vehicles > 0
    light = "green" if state.phase == Phase.OPEN and not entered else "red"
    return safety_filter(LaneOutputs(barrier, light), state, params, now)


def safety_filter(
    out: LaneOutputs, state: LaneState, params: LaneParams, now: float
) -> LaneOutputs:
    """Enforce rules 1-3 on any proposed outputs."""
    io = state.io
    barrier, light = out.barrier, out.light
    if barrier == "close" and not safe_to_close(state, params, now):
        barrier = "hold"  # rule 1
    if light == "green" and not (state.io_ok and io is not None and io.open_limit):
        light = "red"  # rule 2
    if not state.io_ok or io is None:
        barrier, light = "hold", "red"  # rule 3
    return LaneOutputs(barrier, light)


def board_text(state: LaneState) -> str:
    """What the message board shows the driver."""
    if not state.io_ok:
        return BOARD["fault"]
    passage = state.passage
    if state.phase in GRANTED:
        granted = passage.decision.pass_ if passage and passage.decision else None
        return (granted.display if granted else None) or BOARD["grant"]
    if state.phase == Phase.IDENTIFYING:
        return BOARD["identifying"]
    if state.phase == Phase.WAITING and passage and passage.decision:
        decision = passage.decision
        if decision.result == "manual":
            return BOARD["manual"]
        for reason in decision.reasons:
            if reason in BOARD:
                return BOARD[reason]
        return BOARD["deny"]
    if state.mode == "closed":
        return BOARD["closed"]
    return BOARD["idle"]
