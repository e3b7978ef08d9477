"""The demo world's script: which trucks come, what they show, and one timeline for all.

A scenario is a list of vehicles. Each vehicle gets a segment of the video: it drives up
to the barrier, waits there, then drives through (the expected grant) or reverses away
(the expected deny). The same segment times give the loop states, so the video frames
(``render.py``) and the Modbus loops (``world.py``) are two views of one function of
time: :meth:`Scenario.pose` and :meth:`Scenario.loops`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Literal

FPS = 25
WIDTH, HEIGHT = 1920, 1080

QrShown = Literal["none", "valid", "forged", "other"]


@dataclass(frozen=True)
class Vehicle:
    label: str  # what the console calls it
    lines: tuple[str, ...]  # the plate as printed, one string per line
    kind: str  # plate layout (scripts/anpr/plate_render.LAYOUTS)
    drives_through: bool = True  # False: waits, then reverses away (a denied truck)
    qr: QrShown = "none"  # at the cab window: none, own valid pass, forged, another's pass
    follower: bool = False  # a second vehicle slips through on the same grant
    trailer: bool = False  # longer on the safety loop
    colour: tuple[int, int, int] = (40, 90, 160)  # cab colour, BGR


@dataclass(frozen=True)
class Timing:
    approach_s: float = 2.6  # from the horizon to the stop line
    dwell_s: float = 5.0  # stopped at the barrier (plate read, decision, boom up)
    depart_s: float = 1.2  # through the barrier and out of the picture
    reverse_s: float = 2.4  # back away from the barrier
    safety_s: float = 2.0  # on the safety loop after starting to drive through
    trailer_extra_s: float = 1.0
    follower_gap_s: float = 1.0  # safety loop free between the truck and its follower
    follower_s: float = 1.0
    gap_s: float = 2.0  # empty road after a vehicle's last loop


@dataclass(frozen=True)
class Loops:
    presence: bool
    safety: bool


@dataclass(frozen=True)
class Pose:
    """What the camera sees: one vehicle (or none) at scale ``scale`` (1 = at the stop line).

    ``y`` is the bottom of the vehicle in the frame.
    """

    index: int | None
    scale: float = 0.0
    y: float = 0.0
    follower: bool = False  # draw the following car instead of the truck


HORIZON_Y = 430.0
STOP_Y = 1040.0
FAR_SCALE = 0.3


def _ground_y(scale: float) -> float:
    return HORIZON_Y + (STOP_Y - HORIZON_Y) * scale


@dataclass(frozen=True)
class Segment:
    start: float
    vehicle: Vehicle
    timing: Timing

    @property
    def leave_at(self) -> float:  # relative: when the vehicle starts moving off
        return self.timing.approach_s + self.timing.dwell_s

    @property
    def truck_safety_end(self) -> float:
        t = self.timing
        return self.leave_at + 0.2 + t.safety_s + (t.trailer_extra_s if self.vehicle.trailer else 0)

    @property
    def end(self) -> float:
        t, v = self.timing, self.vehicle
        if not v.drives_through:
            last = self.leave_at + 1.0  # presence frees a second after reversing
            return self.start + max(last, self.leave_at + t.reverse_s) + t.gap_s
        last = self.truck_safety_end
        if v.follower:
            last += t.follower_gap_s + t.follower_s
        return self.start + last + t.gap_s

    def loops(self, rel: float) -> Loops:
        t, v = self.timing, self.vehicle
        presence_on = t.approach_s - 0.3 <= rel
        if not v.drives_through:
            return Loops(presence_on and rel < self.leave_at + 1.0, False)
        presence = presence_on and rel < self.leave_at + 0.4
        safety = self.leave_at + 0.2 <= rel < self.truck_safety_end
        if v.follower:
            f0 = self.truck_safety_end + t.follower_gap_s
            safety = safety or f0 <= rel < f0 + t.follower_s
        return Loops(presence, safety)

    def pose(self, index: int, rel: float) -> Pose:
        t, v = self.timing, self.vehicle
        if rel < t.approach_s:  # ease out towards the stop line
            k = rel / t.approach_s
            scale = FAR_SCALE + (1 - FAR_SCALE) * (1 - (1 - k) ** 2)
            return Pose(index, scale, _ground_y(scale))
        if rel < self.leave_at:
            return Pose(index, 1.0, STOP_Y)
        out = rel - self.leave_at
        if v.drives_through:
            if out < t.depart_s:  # grows and drops out of the bottom of the picture
                k = out / t.depart_s
                return Pose(index, 1.0 + 0.8 * k, STOP_Y + 900 * k)
            if v.follower:
                return self._follower_pose(index, rel)
            return Pose(None)
        if out < t.reverse_s:
            k = out / t.reverse_s
            scale = 1.0 - (1 - FAR_SCALE) * k * k
            return Pose(index, scale, _ground_y(scale))
        return Pose(None)

    def _follower_pose(self, index: int, rel: float) -> Pose:
        t = self.timing
        f0 = self.truck_safety_end + t.follower_gap_s
        k = (rel - (f0 - 0.8)) / (t.follower_s + 0.8)
        if not 0 <= k < 1:
            return Pose(None)
        scale = 0.6 + 1.0 * k
        return Pose(index, scale, _ground_y(min(scale, 1.0)) + max(0.0, scale - 1.0) * 900,
                    follower=True)


@dataclass(frozen=True)
class Scenario:
    name: str
    vehicles: tuple[Vehicle, ...]
    timing: Timing = field(default_factory=Timing)
    lead_in_s: float = 2.0  # empty road before the first vehicle

    def segments(self) -> list[Segment]:
        out, start = [], self.lead_in_s
        for v in self.vehicles:
            seg = Segment(start, v, self.timing)
            out.append(seg)
            start = seg.end
        return out

    @property
    def duration_s(self) -> float:
        segs = self.segments()
        return segs[-1].end if segs else self.lead_in_s

    @property
    def frames(self) -> int:
        return round(self.duration_s * FPS)

    def _at(self, t: float) -> tuple[int, Segment, float] | None:
        """The segment playing ``t`` seconds into the video (before it starts: none)."""
        if t < 0:
            return None
        t %= self.duration_s
        for i, seg in enumerate(self.segments()):
            if seg.start <= t < seg.end:
                return i, seg, t - seg.start
        return None

    def loops(self, t: float) -> Loops:
        """Loop states ``t`` seconds into the video (``t`` is wrapped to the loop)."""
        found = self._at(t)
        return found[1].loops(found[2]) if found else Loops(False, False)

    def pose(self, t: float) -> Pose:
        found = self._at(t)
        return found[1].pose(found[0], found[2]) if found else Pose(None)

    def vehicle_at(self, t: float) -> tuple[int, Vehicle] | None:
        found = self._at(t)
        return (found[0], found[1].vehicle) if found else None

    def digest(self, *extra: str) -> str:
        """Cache key of the rendered video: the scenario and anything else drawn in it."""
        blob = json.dumps([asdict(self), FPS, WIDTH, HEIGHT, *extra], sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _v(label, lines, kind, **kw) -> Vehicle:
    return Vehicle(label, tuple(lines), kind, **kw)


#: The README demo: Vietnamese and Chinese trucks, one-line, two-line and a trailer.
DEMO = Scenario("demo", (
    _v("declared VN truck", ["29C-123.45"], "vn1"),
    _v("unknown VN truck (2-line plate)", ["51D-", "678.90"], "vn2car",
       drives_through=False, colour=(30, 30, 150)),
    _v("CN truck with a signed QR pass", ["桂A·12345"], "cn1", qr="valid",
       colour=(150, 150, 150)),
    _v("CN trailer unit, declared", ["桂·B", "2468挂"], "cn_trailer", trailer=True,
       colour=(60, 140, 60)),
    _v("VN truck with a forged QR", ["15H-543.21"], "vn1", qr="forged", drives_through=False,
       colour=(20, 60, 110)),
    _v("VN truck showing another truck's QR", ["20C-246.80"], "vn1", qr="other",
       drives_through=False, colour=(120, 60, 30)),
    _v("declared CN truck, a car tailgates", ["云A·54321"], "cn1", follower=True,
       colour=(30, 120, 200)),
))

#: The end-to-end tests' shorter video: one vehicle per expected outcome.
E2E = Scenario("e2e", (
    DEMO.vehicles[0],
    DEMO.vehicles[2],
    _v("unknown VN truck", ["15H-543.21"], "vn1", drives_through=False, colour=(30, 30, 150)),
    _v("VN truck with a forged QR", ["37C-135.79"], "vn1", qr="forged", drives_through=False,
       colour=(20, 60, 110)),
    DEMO.vehicles[5],
    DEMO.vehicles[6],
), timing=Timing(dwell_s=4.5, gap_s=1.5), lead_in_s=3.0)

SCENARIOS = {s.name: s for s in (DEMO, E2E)}
