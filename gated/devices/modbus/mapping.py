"""Pure mapping between a profile and Modbus data: what to read, what it means, what to write.

Nothing here does I/O. An *image* is what was read: ``{(table, address): value}`` where a
coil or discrete input is 0/1 and a register is its 16-bit value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from gated.devices.interfaces import BarrierCommand, LaneInputs, LaneOutputs
from gated.devices.modbus.profile import (
    BIT_TABLES,
    INPUT_NAMES,
    OUTPUT_NAMES,
    BarrierDrive,
    ModbusProfile,
    Point,
)

Image = Mapping[tuple[str, int], int]
OutputBits = dict[str, bool]  # output name → contact energised (before polarity)

MAX_COUNT = {"coil": 2000, "discrete_input": 2000, "holding_register": 125, "input_register": 125}
MAX_GAP = {"coil": 32, "discrete_input": 32, "holding_register": 4, "input_register": 4}


@dataclass(frozen=True, slots=True)
class ReadBlock:
    table: str
    start: int
    count: int


@dataclass(frozen=True, slots=True)
class Write:
    """One write request: consecutive coils (0/1) or consecutive registers."""

    table: str
    start: int
    values: tuple[int, ...]


def plan_reads(points: list[Point]) -> list[ReadBlock]:
    """Fewest read requests covering ``points`` (small gaps are read through)."""
    blocks: list[ReadBlock] = []
    for table in sorted({p.table for p in points}):
        addrs = sorted({p.address for p in points if p.table == table})
        start = prev = addrs[0]
        for addr in addrs[1:]:
            if addr - prev > MAX_GAP[table] or addr - start >= MAX_COUNT[table]:
                blocks.append(ReadBlock(table, start, prev - start + 1))
                start = addr
            prev = addr
        blocks.append(ReadBlock(table, start, prev - start + 1))
    return blocks


def image_from_block(block: ReadBlock, values: list[int] | list[bool]) -> dict[tuple[str, int], int]:
    """Turn one read reply into image entries (bit replies are padded to 8: cut them)."""
    if len(values) < block.count:
        raise ValueError(f"short reply: {len(values)} values for {block.count} requested")
    return {(block.table, block.start + i): int(values[i]) for i in range(block.count)}


def point_level(point: Point, image: Image) -> bool:
    """The raw level of a point (True = bit set), before polarity."""
    raw = image[(point.table, point.address)]
    return bool(raw & point.mask) if point.mask is not None else bool(raw)


def point_value(point: Point, image: Image) -> bool:
    """The logical value of a point, after polarity."""
    return point_level(point, image) != (point.active == "low")


def decode_inputs(profile: ModbusProfile, image: Image) -> LaneInputs:
    values = {name: point_value(getattr(profile.inputs, name), image) for name in INPUT_NAMES}
    return LaneInputs(**values)


def input_points(profile: ModbusProfile) -> list[Point]:
    return [getattr(profile.inputs, name) for name in INPUT_NAMES]


def output_points(profile: ModbusProfile) -> dict[str, Point]:
    return {name: getattr(profile.outputs, name) for name in OUTPUT_NAMES}


# --- outputs -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DriveState:
    """What the driver last commanded and whether a pulse is running."""

    barrier: BarrierCommand = "hold"
    pulse: str | None = None  # "barrier_open" | "barrier_close" while a pulse runs
    pulse_end: float = 0.0  # monotonic seconds


def drive(
    barrier: BarrierDrive, state: DriveState, wanted: LaneOutputs, now: float
) -> tuple[DriveState, OutputBits]:
    """New drive state and the contacts to energise for ``wanted`` at time ``now``.

    Pulse mode pulses a contact when the barrier command changes to open or close;
    ``hold`` ends a running pulse. Hold mode keeps the contact while commanded.
    The open and close contacts are never energised together.
    """
    cmd = wanted.barrier
    if barrier.mode == "hold":
        new = DriveState(barrier=cmd)
    elif cmd == "hold":
        new = DriveState(barrier="hold")
    elif cmd != state.barrier:
        new = DriveState(cmd, f"barrier_{cmd}", now + barrier.pulse_ms / 1000)
    else:
        new = state
    return new, output_bits(barrier, new, wanted.light, now)


def expire(
    barrier: BarrierDrive, state: DriveState, light: str, now: float
) -> tuple[DriveState, OutputBits] | None:
    """End a pulse whose time is up; None when nothing changes."""
    if state.pulse is None or now < state.pulse_end:
        return None
    new = replace(state, pulse=None, pulse_end=0.0)
    return new, output_bits(barrier, new, light, now)


def output_bits(barrier: BarrierDrive, state: DriveState, light: str, now: float) -> OutputBits:
    if barrier.mode == "hold":
        opening, closing = state.barrier == "open", state.barrier == "close"
    else:
        running = state.pulse if state.pulse is not None and now < state.pulse_end else None
        opening, closing = running == "barrier_open", running == "barrier_close"
    return {
        "barrier_open": opening,
        "barrier_close": closing,
        "red": light == "red",
        "green": light == "green",
    }


SAFE_BITS: OutputBits = {"barrier_open": False, "barrier_close": False, "red": True, "green": False}


def plan_writes(
    profile: ModbusProfile,
    bits: OutputBits,
    previous: OutputBits | None,
    registers: Mapping[int, int],
) -> tuple[list[Write], dict[int, int]]:
    """Requests that take the outputs from ``previous`` (None: unknown) to ``bits``.

    Contacts being released are written before contacts being energised, so the open and
    close contacts never overlap. ``registers`` is the last known value of each holding
    register carrying outputs (other bits in it are preserved); the updated copy is
    returned with the writes.
    """
    points = output_points(profile)
    regs = dict(registers)
    changed = [n for n in OUTPUT_NAMES if previous is None or previous.get(n) != bits[n]]
    writes: list[Write] = []
    for phase in (False, True):
        names = [n for n in changed if bits[n] is phase]
        coils = {points[n].address: int(bits[n] != (points[n].active == "low"))
                 for n in names if points[n].table == "coil"}
        writes.extend(_coil_runs(coils))
        for name in names:
            point = points[name]
            if point.table == "holding_register":
                level = bits[name] != (point.active == "low")
                old = regs.get(point.address, 0)
                regs[point.address] = (old | point.mask) if level else (old & ~point.mask & 0xFFFF)
        touched = sorted({points[n].address for n in names if points[n].table != "coil"})
        writes.extend(Write("holding_register", a, (regs[a],)) for a in touched)
    return writes, regs


def _coil_runs(coils: dict[int, int]) -> list[Write]:
    runs: list[Write] = []
    for addr in sorted(coils):
        last = runs[-1] if runs else None
        if last is not None and last.start + len(last.values) == addr:
            runs[-1] = Write("coil", last.start, last.values + (coils[addr],))
        else:
            runs.append(Write("coil", addr, (coils[addr],)))
    return runs


def output_register_addresses(profile: ModbusProfile) -> list[int]:
    """Holding registers that carry outputs (read once on connect to keep foreign bits)."""
    return sorted({p.address for p in output_points(profile).values() if p.table not in BIT_TABLES})


def decode_outputs(profile: ModbusProfile, image: Image) -> OutputBits:
    """Which contacts are energised according to a read-back image (for peers and gatectl)."""
    return {name: point_value(point, image) for name, point in output_points(profile).items()}
