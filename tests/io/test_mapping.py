"""The pure mapping between profiles and Modbus data."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gated.devices.interfaces import LaneInputs, LaneOutputs
from gated.devices.modbus import load_profile
from gated.devices.modbus import mapping as m
from gated.devices.modbus.profile import BarrierDrive, Point

RELAY, PLC = load_profile("relay-8x8"), load_profile("plc-registers")
PULSE, HOLD = BarrierDrive(mode="pulse", pulse_ms=500), BarrierDrive(mode="hold")


def test_reads_are_merged_into_few_requests():
    assert m.plan_reads(m.input_points(RELAY)) == [m.ReadBlock("discrete_input", 0, 4)]
    assert m.plan_reads(m.input_points(PLC)) == [m.ReadBlock("input_register", 0, 1)]
    far = [Point(table="coil", address=a) for a in (0, 1, 500)]
    assert m.plan_reads(far) == [m.ReadBlock("coil", 0, 2), m.ReadBlock("coil", 500, 1)]


def test_polarity_and_masks_decode_inputs():
    image = {("input_register", 0): 0x0013}  # loop bits set = free (active low)
    assert m.decode_inputs(PLC, image) == LaneInputs(presence=False, safety=False,
                                                     open_limit=True, closed_limit=False)
    relay = {("discrete_input", i): v for i, v in enumerate([1, 0, 0, 1])}
    assert m.decode_inputs(RELAY, relay) == LaneInputs(True, False, False, True)


def test_bit_replies_padded_to_a_byte_are_cut():
    block = m.ReadBlock("discrete_input", 0, 4)
    assert m.image_from_block(block, [True, False, True, False, False, False, False, False]) == {
        ("discrete_input", 0): 1, ("discrete_input", 1): 0, ("discrete_input", 2): 1,
        ("discrete_input", 3): 0}


def test_pulse_drive_pulses_on_change_only_and_hold_stops_it():
    s0 = m.DriveState()
    s1, bits = m.drive(PULSE, s0, LaneOutputs("open", "red"), now=10.0)
    assert bits["barrier_open"] and not bits["barrier_close"] and s1.pulse_end == 10.5
    s2, bits = m.drive(PULSE, s1, LaneOutputs("open", "green"), now=10.2)
    assert s2 == s1 and bits["barrier_open"] and bits["green"] and not bits["red"]
    assert m.expire(PULSE, s2, "green", now=10.4) is None
    s3, bits = m.expire(PULSE, s2, "green", now=10.5)
    assert not bits["barrier_open"] and s3.barrier == "open"
    _, again = m.drive(PULSE, s3, LaneOutputs("open", "green"), now=11.0)
    assert not again["barrier_open"]  # same command: no second pulse
    _, stopped = m.drive(PULSE, s1, LaneOutputs("hold", "red"), now=10.1)
    assert not stopped["barrier_open"] and not stopped["barrier_close"]


def test_hold_drive_holds_while_commanded():
    s, bits = m.drive(HOLD, m.DriveState(), LaneOutputs("close", "off"), now=0.0)
    assert bits == {"barrier_open": False, "barrier_close": True, "red": False, "green": False}
    assert m.expire(HOLD, s, "off", now=99.0) is None


@given(st.sampled_from(["open", "close", "hold"]), st.sampled_from(["open", "close", "hold"]),
       st.sampled_from(["red", "green", "off"]), st.floats(0, 2))
def test_open_and_close_contacts_never_together(a, b, light, dt):
    for drive in (PULSE, HOLD):
        s, _ = m.drive(drive, m.DriveState(), LaneOutputs(a, light), 0.0)
        _, bits = m.drive(drive, s, LaneOutputs(b, light), dt)
        assert not (bits["barrier_open"] and bits["barrier_close"])
        assert not (bits["red"] and bits["green"])


def test_writes_release_before_energise_and_keep_foreign_register_bits():
    old = {"barrier_open": True, "barrier_close": False, "red": True, "green": False}
    new = {"barrier_open": False, "barrier_close": True, "red": True, "green": False}
    writes, regs = m.plan_writes(PLC, new, old, {0: 0x8001 | 0x0100})
    assert writes == [m.Write("holding_register", 0, (0x8100,)),
                      m.Write("holding_register", 0, (0x8102,))]
    assert regs == {0: 0x8102}
    writes, _ = m.plan_writes(RELAY, new, old, {})
    assert writes == [m.Write("coil", 0, (0,)), m.Write("coil", 1, (1,))]
    writes, _ = m.plan_writes(RELAY, m.SAFE_BITS, None, {})  # unknown: write everything
    assert writes == [m.Write("coil", 0, (0, 0)), m.Write("coil", 3, (0,)), m.Write("coil", 2, (1,))]
    assert m.plan_writes(RELAY, new, new, {})[0] == []


def test_outputs_read_back_through_the_profile():
    image = {("holding_register", 0): 0x0201}
    assert m.decode_outputs(PLC, image) == {"barrier_open": True, "barrier_close": False,
                                            "red": False, "green": True}
