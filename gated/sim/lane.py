"""The simulated lane behind ``config/demo-sim.toml``: vehicles, loops and barrier physics.

It plays the outside world against the real runtime: a :class:`FakeIo` whose loops follow
scripted vehicles and whose limit switches follow the barrier outputs, and an ANPR stand-in
that reports each vehicle's plate vote. Everything else (controller, store, control
socket, logs) is the real daemon.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import structlog

from gated.config.schema import SimPass, SimSection, SimVehicle
from gated.core import plates
from gated.core.decision import PlateVote
from gated.core.lane.model import PlateVoted
from gated.core.passes import Pass
from gated.devices.fakes import FakeIo

log = structlog.get_logger()

BARRIER_TRAVEL_S = 1.2
PHYSICS_STEP_S = 0.02


def sim_passes(items: list[SimPass], now: float) -> list[Pass]:
    """Passes valid from an hour ago, so the demo works whatever the date."""
    start = datetime.fromtimestamp(now, timezone.utc) - timedelta(hours=1)
    return [
        Pass(
            id=p.id,
            plate=p.plate,
            trailer_plate=p.trailer_plate,
            direction=p.direction,
            valid_from=start,
            valid_to=start + timedelta(hours=p.valid_hours),
            status=p.status,
            single_use=p.single_use,
            display=p.display,
            company="Demo Logistics JSC",
        )
        for p in items
    ]


class SimLane:
    def __init__(self, cfg: SimSection, io: FakeIo, submit, show_qr=None) -> None:
        self.cfg = cfg
        self.io = io
        self.submit = submit  # runtime.submit_nowait
        self.show_qr = show_qr  # QrFeed.on_code: what the cab-window QR reader decodes
        self.rng = random.Random(cfg.seed)

    async def run(self) -> None:
        physics = asyncio.create_task(self._physics(), name="sim-physics")
        try:
            await asyncio.sleep(1.0)
            while True:
                for vehicle in self.cfg.vehicles:
                    await self._drive(vehicle)
                    await asyncio.sleep(self.cfg.interval_s * self.rng.uniform(0.6, 1.0))
                if not self.cfg.loop or not self.cfg.vehicles:
                    await asyncio.Event().wait()
        finally:
            physics.cancel()

    # ------------------------------------------------------------------ physics
    def _set(self, **changes) -> None:
        self.io.inputs = replace(self.io.inputs, **changes)

    async def _physics(self) -> None:
        """Limit switches follow the barrier outputs after the barrier's travel time."""
        target = "closed" if self.io.inputs.closed_limit else None
        arrive_at: float | None = None
        while True:
            await asyncio.sleep(PHYSICS_STEP_S)
            want = {"open": "open", "close": "closed"}.get(self.io.outputs.barrier)
            if want is None and arrive_at is not None:  # "hold" mid-travel: the boom stops
                target, arrive_at = None, None
            elif want is not None and want != target:  # a new command sets the boom moving
                target, arrive_at = want, time.monotonic() + BARRIER_TRAVEL_S
                self._set(open_limit=False, closed_limit=False)
            if arrive_at is not None and time.monotonic() >= arrive_at:
                self._set(open_limit=target == "open", closed_limit=target == "closed")
                arrive_at = None

    # ----------------------------------------------------------------- vehicles
    async def _drive(self, v: SimVehicle) -> None:
        log.info("sim.vehicle_arrives", plate=v.plate, behaviour=v.behaviour)
        self._set(presence=True)
        await asyncio.sleep(0.4)
        self._vote(v.plate, v.confidence)
        if v.qr and self.show_qr is not None:
            await self.show_qr(v.qr, "sim-qr")
        green = await self._wait_for_green(12.0)
        if not green or v.behaviour == "reverse":
            await asyncio.sleep(3.0)
            self._set(presence=False)
            log.info("sim.vehicle_leaves", plate=v.plate, crossed=False)
            return
        await asyncio.sleep(0.5)
        self._set(presence=False, safety=True)
        if v.trailer_plate:
            await asyncio.sleep(0.6)
            self._vote(v.trailer_plate, v.confidence, role="rear")
        await asyncio.sleep(4.0 if v.behaviour == "slow" else 1.5)
        self._set(safety=False)
        if v.behaviour == "tailgate":  # a second vehicle slips through on the same grant
            await asyncio.sleep(1.3)
            self._set(safety=True)
            await asyncio.sleep(1.0)
            self._set(safety=False)
        log.info("sim.vehicle_leaves", plate=v.plate, crossed=True)

    def _vote(self, plate: str, confidence: float, role: str = "front") -> None:
        norm = plates.normalise(plate)
        status = "ok" if norm and confidence >= 0.6 else "low_confidence"
        vote = PlateVote(norm, confidence, self.rng.randint(5, 9), time.time(), status)
        self.submit(PlateVoted(vote, role))  # type: ignore[arg-type]

    async def _wait_for_green(self, timeout_s: float) -> bool:
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            if self.io.outputs.light == "green" and self.io.inputs.open_limit:
                return True
            await asyncio.sleep(0.05)
        return False
