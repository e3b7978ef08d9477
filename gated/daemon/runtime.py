"""The imperative shell around the pure lane controller.

One actor task owns the controller state. Every input (I/O readings, plate votes, QR
scans, operator and central commands, device faults, ticks) goes through
:meth:`LaneRuntime.submit` and is handled in order:

1. ``step()`` the controller (pure), for every input waiting in the queue (up to
   ``max_batch``), each step seeing the state and single-use passes the previous one left;
2. commit all their events to SQLite in one transaction (``synchronous=FULL``);
3. only then drive the outputs derived from the new state.

Group commit (step 1 taking every waiting input) costs nothing when inputs come one at a
time, and under a burst (an I/O link flapping, a catch-up of votes) the lane pays one
fsync per burst instead of one per input: on a slow disk an input queued behind 50 others
(the safety loop, say) waited 50 fsyncs before. Outputs are levels derived from the state,
so driving them once from the burst's last state is what driving them after each step
would end at.

If the store refuses the commit, the burst is replayed with the store marked down (no
automatic grants), its events wait in memory, and a probe retries the store until it
works again; nothing is lost and nothing depends on an unrecorded event.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable

import structlog

from gated.core.ids import uuid7
from gated.core.lane import board_text, desired_outputs, initial_state, step
from gated.core.lane.model import (
    DeviceDown,
    DeviceUp,
    EventDraft,
    IoReading,
    LaneInput,
    LaneState,
    LaneParams,
    Now,
    StepResult,
    Tick,
    World,
)
from gated.core.passes import Pass, PassBook
from gated.devices.interfaces import LaneInputs, LaneOutputs
from gated.store import AsyncStore, StoreError
from gated.store.images import add_image

log = structlog.get_logger()

MAX_BUFFERED = 100_000  # events held in memory while the store is down
MAX_EVIDENCE = 32  # plate votes whose images are kept until their event is stored
MAX_BATCH = 64  # inputs stepped together and committed in one transaction


@dataclass
class Bus:
    """Fan-out of committed events to followers (gatectl events --follow, the uplink)."""

    followers: set[asyncio.Queue] = field(default_factory=set)
    listeners: list[Callable[[dict], None]] = field(default_factory=list)

    def publish(self, event: dict) -> None:
        for q in list(self.followers):
            if q.qsize() < 1000:
                q.put_nowait(event)
        for fn in self.listeners:
            try:
                fn(event)
            except Exception:  # a listener (the uplink) must never fail the lane's input
                log.exception("bus.listener_failed", event_id=event.get("id"))


@dataclass
class Burst:
    """The inputs handled together: the state and passes after each, their events in
    order, the single-use passes they admitted, and each input's result."""

    state: LaneState
    passes: PassBook
    events: list[EventDraft] = field(default_factory=list)
    used: list[str] = field(default_factory=list)
    outcomes: list[StepResult | Exception] = field(default_factory=list)

    def adopt(self, res: StepResult) -> None:
        self.state = res.state
        self.events.extend(res.events)
        for eff in res.effects:
            self.used.append(eff.pass_id)
            admitted = self.passes.get(eff.pass_id)
            if admitted is not None:
                self.passes = self.passes.with_pass(admitted.model_copy(update={"status": "used"}))
        self.outcomes.append(res)


class LaneRuntime:
    def __init__(self, params: LaneParams, astore: AsyncStore, passes: PassBook,
                 max_batch: int = MAX_BATCH) -> None:
        self.params = params
        self.max_batch = max(1, max_batch)
        self.commits = 0  # store transactions that carried events (metrics, bench)
        self.astore = astore
        self.passes = passes
        self.state = initial_state()
        self.outputs: LaneOutputs | None = None
        self.board = ""
        self.bus = Bus()
        self.store_ok = True
        self.store_error = ""
        self._buffer: list[EventDraft] = []
        self._buffer_used: list[str] = []
        self._inbox: asyncio.Queue[tuple[LaneInput, asyncio.Future | None]] = asyncio.Queue()
        self.alive_at = time.monotonic()
        self.drive_outputs: Callable[[LaneOutputs], Any] = lambda o: None
        self.show_board: Callable[[str], Any] = lambda t: None
        self.last_inputs: LaneInputs | None = None
        self.recent: list[dict] = []
        self.new_id: Callable[[], str] = uuid7
        self.used: set[str] = set()  # single-use passes already admitted (from the store)
        self._evidence: dict[str, dict[str, bytes]] = {}
        # held while an input is handled, and while passes are swapped: a swap never lands
        # between a decision and the single-use bookkeeping of its commit
        self._passes_lock = asyncio.Lock()

    # ------------------------------------------------------------------ inputs
    async def submit(self, inp: LaneInput) -> StepResult:
        """Queue an input and wait until it is handled (events committed, outputs driven)."""
        fut: asyncio.Future = asyncio.get_running_loop().create_future()
        await self._inbox.put((inp, fut))
        return await fut

    def submit_nowait(self, inp: LaneInput) -> None:
        self._inbox.put_nowait((inp, None))

    async def on_inputs(self, inputs: LaneInputs) -> None:
        """From the I/O link: only changes (and the first reading) reach the controller."""
        if inputs != self.last_inputs or self.state.io is None:
            self.last_inputs = inputs
            self.submit_nowait(IoReading(inputs))

    async def on_io_fault(self, device: str, reason: str) -> None:
        self.last_inputs = None
        self.outputs = None  # the link now holds safe outputs: write ours again after recovery
        self.submit_nowait(DeviceDown(device, "io", reason))

    async def on_io_recovered(self, device: str) -> None:
        self.submit_nowait(DeviceUp(device, "io"))

    def device_callbacks(self, kind: str):
        """(on_fault, on_recovered) for a :class:`HealthReporter` of another device kind."""

        async def down(device: str, reason: str) -> None:
            self.submit_nowait(DeviceDown(device, kind, reason))

        async def up(device: str) -> None:
            self.submit_nowait(DeviceUp(device, kind))

        return down, up

    # ------------------------------------------------------------------- actor
    async def run(self) -> None:
        while True:
            batch = [await self._inbox.get()]
            while len(batch) < self.max_batch and not self._inbox.empty():
                batch.append(self._inbox.get_nowait())
            try:
                async with self._passes_lock:
                    outcomes = await self._handle([inp for inp, _ in batch])
            except Exception as exc:  # never let one bad burst kill the lane
                log.exception("lane.input_failed", inputs=[type(inp).__name__ for inp, _ in batch])
                outcomes = [exc] * len(batch)
            finally:
                self.alive_at = time.monotonic()
            for (_, fut), outcome in zip(batch, outcomes):
                if fut is None or fut.done():
                    continue
                if isinstance(outcome, BaseException):
                    fut.set_exception(outcome)
                else:
                    fut.set_result(outcome)

    async def tick_forever(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            if self._inbox.empty():
                self.submit_nowait(Tick())

    async def reload_passes(self, load: Callable[[], tuple[list[Pass], int]]) -> PassBook:
        """Swap in the passes the store now holds (after a pass sync wrote them)."""
        async with self._passes_lock:
            passes, version = await self.astore.run(load)
            self.passes = PassBook.build(passes, version)
        log.info("passes.swapped", count=len(passes), version=version)
        return self.passes

    def idle(self) -> bool:
        return self._inbox.empty()

    def _step(self, state: LaneState, inp: LaneInput, passes: PassBook) -> StepResult:
        world = World(Now(time.monotonic(), time.time()), passes, self.new_id)
        return step(state, inp, self.params, world)

    def _step_all(self, state: LaneState, inputs: list[LaneInput],
                  lead: tuple[EventDraft, ...] = ()) -> Burst:
        """Step each input from the state the previous one left (pure but for the clock).
        An input whose step raises (a bug) gets the exception and changes nothing."""
        burst = Burst(state, self.passes, list(lead))
        for inp in inputs:
            try:
                res = self._step(burst.state, inp, burst.passes)
            except Exception as exc:
                log.exception("lane.input_failed", input=type(inp).__name__)
                burst.outcomes.append(exc)
                continue
            burst.adopt(res)
        return burst

    async def _handle(self, inputs: list[LaneInput]) -> list[StepResult | Exception]:
        burst = self._step_all(self.state, inputs)
        if (burst.events or burst.used) and not await self._commit(burst):
            down = self._step(self.state, DeviceDown("store", "store", self.store_error), self.passes)
            burst = self._step_all(down.state, inputs, down.events)
            self._hold(burst)
        self.state, self.passes = burst.state, burst.passes
        self.used.update(burst.used)
        await self._drive()
        return burst.outcomes

    async def _commit(self, burst: Burst) -> bool:
        if not self.store_ok:
            self._hold(burst)
            return True
        try:
            events = [await self._with_images(d) for d in burst.events]
            stored = await self.astore.run(self.astore.store.append, events, used_passes=burst.used)
        except StoreError as exc:
            self.store_ok, self.store_error = False, str(exc)
            log.error("store.failed", error=str(exc))
            return False
        self.commits += 1
        for event in stored:
            self._announce(event)
        return True

    def keep_evidence(self, key: str, images: dict[str, bytes]) -> None:
        """JPEGs (``plate``, ``scene``) of a plate vote, until an event names them."""
        self._evidence[key] = images
        while len(self._evidence) > MAX_EVIDENCE:
            self._evidence.pop(next(iter(self._evidence)))

    async def _with_images(self, d: EventDraft) -> EventDraft:
        """Store the images of an event before the event (it must never name a missing one)."""
        images = self._evidence.get(d.evidence) if d.evidence else None
        if not images:
            return d
        store = self.astore.store
        for kind, jpeg in images.items():
            await self.astore.run(add_image, store, d.id, kind, jpeg)
        return replace(d, body={**d.body, "images": sorted(images)})

    def _hold(self, burst: Burst) -> None:
        room = MAX_BUFFERED - len(self._buffer)
        if room < len(burst.events):
            log.error("store.buffer_full", dropped=len(burst.events) - room)
        self._buffer.extend(burst.events[: max(room, 0)])
        self._buffer_used.extend(burst.used)
        for d in burst.events:
            self._announce({"id": d.id, "seq": None, "ts": d.ts, "type": d.type,
                            "passage_id": d.passage_id, **d.body}, buffered=True)

    def _announce(self, event: dict, buffered: bool = False) -> None:
        log.info(event["type"], event_id=event["id"], seq=event.get("seq"),
                 passage_id=event.get("passage_id"), buffered=buffered or None,
                 **_summary(event))
        self.recent = [*self.recent[-49:], event]
        self.bus.publish(event)

    def is_used(self, pass_id: str) -> bool:
        return pass_id in self.used

    async def _drive(self) -> None:
        outputs = desired_outputs(self.state, self.params, time.monotonic())
        if outputs is not None and outputs != self.outputs:
            log.info("lane.outputs", barrier=outputs.barrier, light=outputs.light,
                     phase=str(self.state.phase))
            self.outputs = outputs
            await _maybe_await(self.drive_outputs(outputs))
        text = board_text(self.state)
        if text != self.board:
            self.board = text
            await _maybe_await(self.show_board(text))

    # ------------------------------------------------------------- store probe
    async def recover_store(self, reopen: Callable[[], None], interval_s: float = 5.0) -> None:
        """While the store is down: retry it, flush the buffered events, then say so."""
        while True:
            await asyncio.sleep(interval_s)
            if self.store_ok:
                continue
            try:
                await self.astore.run(reopen)
                stored = await self.astore.run(
                    self.astore.store.append, self._buffer, used_passes=self._buffer_used
                )
            except StoreError as exc:
                self.store_error = str(exc)
                continue
            log.info("store.flushed", events=len(stored))
            self._buffer, self._buffer_used = [], []
            self.store_ok = True
            for event in stored:
                self.bus.publish(event)
            self.submit_nowait(DeviceUp("store", "store"))

    @property
    def buffered(self) -> int:
        return len(self._buffer)


async def _maybe_await(value) -> None:
    if asyncio.iscoroutine(value):
        await value


def _summary(event: dict) -> dict:
    """A few readable fields for the log line (the full event is in the store)."""
    out: dict = {}
    vehicle = event.get("vehicle") or {}
    if vehicle.get("plate"):
        out["plate"] = vehicle["plate"]
    decision = event.get("decision") or {}
    if decision:
        out["result"] = decision.get("result")
        out["reasons"] = decision.get("reasons")
    for key in ("device", "reason", "to", "operator", "action"):
        if key in event:
            out[key] = event[key]
    return out
