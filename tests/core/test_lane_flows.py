"""Each passage outcome of lane-behaviour.md, step by step through the pure controller."""

from __future__ import annotations

from gated.core.lane.model import Phase, SetMode
from tests.core.harness import IDLE_IO, T0_WALL, Lane, Verdict


def arrive(lane: Lane, plate: str | None = "29C12345") -> None:
    lane.set_io(presence=True)
    if plate is not None:
        lane.plate(plate)


def cross(lane: Lane, *, trailer_gap: float | None = None) -> None:
    """The vehicle leaves the presence loop, drives under the boom and clears it."""
    lane.set_io(presence=False, safety=True)
    lane.tick(1.0)
    if trailer_gap is not None:
        lane.set_io(safety=False)
        lane.tick(trailer_gap)
        lane.set_io(safety=True)
        lane.tick(1.0)
    lane.set_io(safety=False)


def test_start_reads_inputs_before_driving_outputs():
    lane = Lane()
    lane.tick(1.0)
    assert lane.state.phase == Phase.STARTING and lane.outputs is None
    lane.set_io()
    assert lane.state.phase == Phase.IDLE
    assert lane.outputs is not None and lane.outputs.light == "red"


def test_grant_full_passage():
    lane = Lane()
    lane.set_io()
    arrive(lane)
    decided = lane.last("passage.decided")
    assert decided.body["decision"] == {
        "result": "grant",
        "reasons": ["pass_valid", "plate_match_exact"],
        "by": "auto",
    }
    assert decided.body["vehicle"]["plate_display"] == "29C-123.45"
    assert decided.body["pass"] == {"id": "P-1", "source": "plate"}
    assert lane.outputs.barrier == "open" and lane.outputs.light == "red"
    assert lane.board == "29C12345 - Bai B"  # the pass's display text
    lane.barrier_follows()
    assert lane.state.phase == Phase.OPEN and lane.outputs.light == "green"
    cross(lane)
    assert lane.outputs.light == "red"
    assert lane.outputs.barrier == "open"  # clear_delay not yet elapsed (rule 1)
    lane.tick(2.1)
    assert lane.outputs.barrier == "close"
    lane.barrier_follows()
    assert lane.state.phase == Phase.IDLE
    done = lane.last("passage.completed")
    assert done.passage_id == decided.passage_id
    assert done.body["vehicles"] == 1 and done.body["timing"]["cleared"]
    assert lane.passes.get("P-1").status == "used"  # single use


def test_single_use_pass_is_refused_the_second_time():
    lane = Lane()
    lane.set_io()
    arrive(lane)
    lane.barrier_follows()
    cross(lane)
    lane.tick(2.5)
    lane.barrier_follows()
    arrive(lane)
    assert lane.last("passage.decided").body["decision"]["reasons"][0] == "pass_used"


def test_deny_unknown_plate_waits_for_vehicle_to_leave():
    lane = Lane()
    lane.set_io()
    arrive(lane, "29C99999")
    assert lane.last("passage.decided").body["decision"]["result"] == "deny"
    assert lane.state.phase == Phase.WAITING
    assert "NO PASS" in lane.board
    assert lane.outputs.barrier == "hold" and lane.outputs.light == "red"
    lane.set_io(presence=False)
    assert lane.state.phase == Phase.IDLE


def test_deny_expired_and_revoked():
    for plate, reason in (("51F67890", "pass_expired"), ("30G99999", "pass_revoked")):
        lane = Lane()
        lane.set_io()
        arrive(lane, plate)
        body = lane.last("passage.decided").body
        assert body["decision"]["result"] == "deny"
        assert body["decision"]["reasons"][0] == reason


def test_manual_when_no_plate_read_then_operator_opens():
    lane = Lane()
    lane.set_io()
    arrive(lane, plate=None)
    lane.tick(10.5)
    decided = lane.last("passage.decided")
    assert decided.body["decision"] == {"result": "manual", "reasons": ["no_plate"], "by": "auto"}
    assert "WAIT FOR OFFICER" in lane.board
    res = lane.open("tran.thi.b", "driver showed paper pass")
    assert res.reply.ok
    action = lane.last("operator.action")
    assert action.body["operator"] == "tran.thi.b" and action.passage_id == decided.passage_id
    second = lane.last("passage.decided")
    assert second.body["decision"]["by"] == "operator:tran.thi.b"
    assert lane.outputs.barrier == "open"


def test_manual_mode_makes_every_decision_manual():
    lane = Lane()
    lane.set_io()
    lane.feed(SetMode("manual", "le.van.c", "night shift"))
    assert lane.last("lane.mode_changed").body == {"from": "auto", "to": "manual", "by": "operator:le.van.c"}
    arrive(lane)
    d = lane.last("passage.decided").body["decision"]
    assert d["result"] == "manual" and d["reasons"][-1] == "lane_manual"


def test_closed_lane_denies():
    lane = Lane()
    lane.set_io()
    lane.feed(SetMode("closed", "le.van.c", "maintenance"))
    arrive(lane)
    assert lane.last("passage.decided").body["decision"]["reasons"] == ["lane_closed"]
    assert "LANE CLOSED" in lane.board


def test_aborted_when_granted_vehicle_never_crosses():
    lane = Lane()
    lane.set_io()
    arrive(lane)
    lane.barrier_follows()
    lane.set_io(presence=False)  # reversed away
    lane.tick(30.5)
    aborted = lane.last("passage.aborted")
    assert aborted.body["reason"] == "no_vehicle"
    assert lane.outputs.barrier == "close"
    lane.barrier_follows()
    assert lane.state.phase == Phase.IDLE
    assert "passage.completed" not in lane.types()


def test_tailgate_second_vehicle_on_one_grant():
    lane = Lane()
    lane.set_io()
    arrive(lane)
    lane.barrier_follows()
    cross(lane, trailer_gap=1.5)  # free 1.5 s (>= tailgate_gap) then occupied again
    tail = lane.last("passage.tailgate")
    assert tail.body["vehicles"] == 2
    assert tail.passage_id == lane.last("passage.decided").passage_id


def test_trailer_gap_is_not_a_tailgate():
    lane = Lane()
    lane.set_io()
    arrive(lane)
    lane.barrier_follows()
    cross(lane, trailer_gap=0.3)
    assert "passage.tailgate" not in lane.types()


def test_tailgater_during_closing_stops_the_barrier():
    lane = Lane()
    lane.set_io()
    arrive(lane)
    lane.barrier_follows()
    cross(lane)
    lane.tick(2.5)
    assert lane.outputs.barrier == "close"
    lane.set_io(safety=True)  # someone drives under the closing boom
    assert lane.outputs.barrier == "hold"
    assert lane.last("passage.tailgate").body["vehicles"] == 2
    lane.set_io(safety=False)
    lane.tick(1.0)
    assert lane.outputs.barrier == "hold"
    lane.tick(1.5)
    assert lane.outputs.barrier == "close"


def test_forced_barrier():
    lane = Lane()
    lane.set_io()
    lane.set_io(open_limit=True, closed_limit=False)
    forced = lane.last("barrier.forced")
    assert forced.body["phase"] == "idle"
    assert lane.outputs.light == "red"
    lane.tick(2.5)
    assert lane.outputs.barrier == "close"  # the barrier belongs down; loop is clear


def test_restart_with_barrier_open_and_vehicle_underneath_never_closes_on_it():
    lane = Lane()
    lane.set_io(open_limit=True, closed_limit=False, safety=True)
    lane.tick(5)
    assert lane.outputs.barrier == "hold"
    assert "barrier.forced" not in lane.types()  # unknown history is not "forced"
    lane.set_io(safety=False)
    lane.tick(1.0)
    assert lane.outputs.barrier == "hold"
    lane.tick(1.5)
    assert lane.outputs.barrier == "close"


def test_io_fault_blocks_automatic_opening_and_recovers():
    lane = Lane()
    lane.set_io()
    lane.set_io(presence=True)
    lane.io_down("poll timeout")
    assert lane.last("device.fault").body == {"device": "io", "kind": "io", "reason": "poll timeout"}
    assert lane.outputs is None
    assert "PAUSED" in lane.board
    lane.plate("29C12345")
    decided = lane.last("passage.decided").body["decision"]
    assert decided["result"] == "manual" and "io_fault" in decided["reasons"]
    assert not lane.open().reply.ok
    lane.io_up()
    assert lane.last("device.recovered").body["device"] == "io"
    assert lane.outputs is None  # until the inputs are read again (rule 7)
    lane.set_io()
    assert lane.outputs is not None


def test_stale_central_open_is_refused():
    lane = Lane()
    lane.set_io()
    res = lane.open(source="central", command_id="c-1", expires_at=T0_WALL + lane.mono - 10)
    assert not res.reply.ok and res.reply.code == "expired"
    assert lane.outputs.barrier == "hold" and not res.events
    res = lane.open(source="central", command_id="c-2", expires_at=None)
    assert res.reply.code == "expired"
    res = lane.open(source="central", command_id="c-3", expires_at=T0_WALL + lane.mono + 30)
    assert res.reply.ok
    assert lane.last("passage.decided").body["decision"]["by"] == "central:c-3"


def test_manual_action_needs_operator_and_reason():
    lane = Lane()
    lane.set_io()
    assert lane.open(operator="", reason="x").reply.code == "invalid"
    assert lane.open(operator="a", reason="  ").reply.code == "invalid"
    assert lane.events == []


def test_valid_qr_on_the_wrong_truck_is_denied():
    lane = Lane()
    lane.set_io()
    lane.set_io(presence=True)
    lane.qr(Verdict(True, pass_id="P-9", plate="29C12345"))
    lane.plate("15H54321")
    d = lane.last("passage.decided").body["decision"]
    assert d["result"] == "deny" and d["reasons"][0] == "qr_plate_mismatch"


def test_rejected_qr_raises_pass_rejected_and_denies():
    lane = Lane()
    lane.set_io()
    lane.set_io(presence=True)
    lane.qr(Verdict(False, reason="bad_signature"))
    assert lane.last("pass.rejected").body["reason"] == "bad_signature"
    lane.plate("29C12345")
    d = lane.last("passage.decided").body["decision"]
    assert d["result"] == "deny" and d["reasons"] == ["qr_rejected", "qr_bad_signature"]


def test_next_vehicles_plate_read_while_closing_is_kept():
    lane = Lane()
    lane.set_io()
    arrive(lane)
    lane.barrier_follows()
    cross(lane)
    lane.set_io(presence=True)  # next truck pulls up while the boom is still up
    lane.plate("桂A1234挂")
    lane.tick(2.5)
    lane.barrier_follows()
    decided = lane.last("passage.decided")
    assert decided.body["vehicle"]["plate"] == "桂A1234挂"
    assert decided.body["decision"]["result"] == "grant"


def test_fuzzy_plate_match_grants_when_unique():
    lane = Lane()
    lane.set_io()
    arrive(lane, "29C1Z345")  # OCR read the 2 as Z
    d = lane.last("passage.decided").body["decision"]
    assert d["result"] == "grant" and d["reasons"] == ["pass_valid", "plate_match_fuzzy"]


def test_idle_io_is_closed_and_safe():
    assert not IDLE_IO.safety and IDLE_IO.closed_limit


def test_store_fault_turns_grants_into_manual_decisions():
    from gated.core.lane.model import DeviceDown, DeviceUp

    lane = Lane()
    lane.set_io()
    lane.feed(DeviceDown("store", "store", "disk full"))
    arrive(lane)
    d = lane.last("passage.decided").body["decision"]
    assert d["result"] == "manual" and d["reasons"][-1] == "store_fault"
    lane.feed(DeviceUp("store", "store"))
    assert lane.last("device.recovered").body["device"] == "store"
