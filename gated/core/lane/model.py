"""The lane controller's data: parameters, inputs, state and step results.

Everything here is immutable. The controller (``gated.core.lane.controller``) is a pure
function ``step(state, input, world) -> StepResult``; the runtime owns the only mutable
reference to the current state.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timezone
from enum import StrEnum
from typing import Callable, Literal, Mapping

from gated.core.decision import Decision, LaneContext, Mode, PlateVote, QrMode, QrVerdictLike
from gated.core.passes import PassBook
from gated.devices.interfaces import LaneInputs

Source = Literal["local", "central"]


@dataclass(frozen=True, slots=True)
class LaneParams:
    """Controller settings (from the ``[lane]`` and ``[timing]`` config sections)."""

    site: str
    lane: str
    direction: Literal["in", "out"]
    tz: timezone = timezone.utc
    qr_mode: QrMode = "optional"
    clear_delay_s: float = 2.0  # safety rule 1: no close within this after the loop frees
    tailgate_gap_s: float = 1.0  # a loop free this long, then occupied again, is a new vehicle
    identify_timeout_s: float = 10.0  # presence without a usable plate -> decide anyway
    qr_wait_s: float = 8.0  # plate read, lane requires QR: wait this long for it
    open_timeout_s: float = 8.0  # barrier must confirm open within this
    close_timeout_s: float = 8.0  # barrier must confirm closed within this
    pass_timeout_s: float = 30.0  # granted and open but no vehicle under the boom -> aborted
    leave_timeout_s: float = 60.0  # a sighted (not loop-detected) vehicle left: forget it
    command_skew_s: float = 2.0  # tolerance on command expiry and pass windows

    @property
    def context(self) -> LaneContext:
        return LaneContext(self.site, self.lane, self.direction, self.command_skew_s)


# ----------------------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class IoReading:
    inputs: LaneInputs


@dataclass(frozen=True, slots=True)
class DeviceDown:
    device: str
    kind: str  # io, camera, board, scanner, uplink, store
    reason: str


@dataclass(frozen=True, slots=True)
class DeviceUp:
    device: str
    kind: str


@dataclass(frozen=True, slots=True)
class Tick:
    """Time passed; lets timers fire."""


@dataclass(frozen=True, slots=True)
class VehicleSighted:
    camera: str


@dataclass(frozen=True, slots=True)
class PlateVoted:
    vote: PlateVote
    role: Literal["front", "rear"] = "front"


@dataclass(frozen=True, slots=True)
class QrScanned:
    verdict: QrVerdictLike
    reader: str = "qr"


@dataclass(frozen=True, slots=True)
class OperatorOpen:
    operator: str
    reason: str
    source: Source = "local"
    command_id: str | None = None
    expires_at: float | None = None  # wall clock; central commands must carry it


@dataclass(frozen=True, slots=True)
class SetMode:
    mode: Mode
    operator: str
    reason: str
    source: Source = "local"
    command_id: str | None = None
    expires_at: float | None = None


LaneInput = (
    IoReading
    | DeviceDown
    | DeviceUp
    | Tick
    | VehicleSighted
    | PlateVoted
    | QrScanned
    | OperatorOpen
    | SetMode
)

# ------------------------------------------------------------------------------ state


class Phase(StrEnum):
    STARTING = "starting"  # inputs not read yet: drive nothing (safety rule 7)
    IDLE = "idle"
    IDENTIFYING = "identifying"
    WAITING = "waiting"  # decided deny/manual: vehicle waits for an officer or leaves
    OPENING = "opening"  # granted: open commanded, waiting for the open limit switch
    OPEN = "open"  # barrier confirmed open: green until the vehicle enters
    CLOSING = "closing"  # vehicle cleared (or grant aborted): closing when safe


@dataclass(frozen=True, slots=True)
class Passage:
    id: str
    started: float  # monotonic
    first_seen: float  # wall
    presence_seen: bool = False
    plate: PlateVote | None = None
    trailer: PlateVote | None = None
    qr: QrVerdictLike | None = None
    plate_at: float | None = None  # monotonic, when the front plate vote arrived
    decision: Decision | None = None
    decided_by: str = "auto"
    decided_at: float | None = None  # monotonic
    decided_wall: float | None = None
    opened_wall: float | None = None
    vehicles: int = 0  # vehicles seen under the boom on this grant
    entered_wall: float | None = None
    cleared_wall: float | None = None
    aborted: str | None = None  # reason a granted passage ended without a vehicle


@dataclass(frozen=True, slots=True)
class DeviceState:
    kind: str
    ok: bool
    reason: str = ""
    since: float = 0.0  # wall


@dataclass(frozen=True, slots=True)
class LaneState:
    phase: Phase = Phase.STARTING
    mode: Mode = "auto"
    io: LaneInputs | None = None  # None: unknown (not read yet, or link lost)
    io_ok: bool = True
    safety_free_since: float | None = None  # monotonic; None while occupied or unknown
    safety_on_since: float | None = None  # monotonic; None while free or unknown
    passage: Passage | None = None
    devices: Mapping[str, DeviceState] = field(default_factory=dict)
    phase_since: float = 0.0  # monotonic, when the current phase began (or its timer reset)
    # plate votes / QR scans of the next vehicle that arrived while the lane was busy with
    # the previous one: (monotonic time, input), replayed into the next passage if fresh
    pending: tuple[tuple[float, PlateVoted | QrScanned], ...] = ()

    def evolve(self, **changes) -> LaneState:
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class Now:
    mono: float  # monotonic seconds: timers
    wall: float  # epoch seconds: timestamps


@dataclass(frozen=True)
class World:
    """What the controller reads but does not own, for one step."""

    now: Now
    passes: PassBook
    new_id: Callable[[], str]


# ------------------------------------------------------------------------------ results


@dataclass(frozen=True, slots=True)
class EventDraft:
    """An event without its ``seq`` (the store assigns it on commit)."""

    id: str
    type: str
    ts: str
    passage_id: str | None
    body: Mapping
    evidence: str | None = None  # images to store with this event (not serialised)


@dataclass(frozen=True, slots=True)
class Reply:
    ok: bool
    code: str | None = None
    message: str = ""
    result: Mapping | None = None


@dataclass(frozen=True, slots=True)
class MarkPassUsed:
    pass_id: str


@dataclass(frozen=True, slots=True)
class StepResult:
    state: LaneState
    events: tuple[EventDraft, ...] = ()
    reply: Reply | None = None
    effects: tuple[MarkPassUsed, ...] = ()
