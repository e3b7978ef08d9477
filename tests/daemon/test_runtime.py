"""The runtime's group commit, on a real SQLite store (``synchronous=FULL``) in tmp_path:
a burst of queued inputs is stepped in order, committed in one transaction, and only then
are the outputs driven; a store that refuses the commit gets the whole burst replayed with
the store down, held in memory and flushed in order when the store returns."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from gated.core.lane.model import DeviceDown, DeviceUp, IoReading, LaneParams, PlateVoted
from gated.core.passes import PassBook
from gated.daemon.runtime import Burst, LaneRuntime
from gated.store import AsyncStore, Store
from tests.core.harness import DEFAULT_PASSES, IDLE_IO, PARAMS, make_pass, vote

AT_BARRIER = IDLE_IO.__class__(presence=True, safety=False, open_limit=False, closed_limit=True)
NOW = datetime.now(timezone.utc)
PASSES = PassBook.build([make_pass("P-1", "29C12345", valid_from=NOW - timedelta(days=1),
                                   valid_to=NOW + timedelta(days=1))])


def make_runtime(tmp_path, max_batch: int = 64) -> LaneRuntime:
    store = Store(tmp_path / "lane.db", site=PARAMS.site, lane=PARAMS.lane)
    store.open()
    rt = LaneRuntime(LaneParams(site=PARAMS.site, lane=PARAMS.lane, direction="in"),
                     AsyncStore(store), PASSES, max_batch=max_batch)
    rt.driven = []
    rt.drive_outputs = lambda out: rt.driven.append((out, rt.astore.store.last_seq()))
    return rt


async def burst(rt: LaneRuntime, inputs: list) -> list:
    """Queue every input first, then let the actor run: they wait as a burst would."""
    pending = [asyncio.ensure_future(rt.submit(inp)) for inp in inputs]
    await asyncio.sleep(0)  # every submit is queued before the actor starts
    actor = asyncio.ensure_future(rt.run())
    try:
        return await asyncio.wait_for(asyncio.gather(*pending, return_exceptions=True), 10)
    finally:
        actor.cancel()


def flapping(n: int) -> list:
    """Inputs that each make one event: a camera going down and up again, n times."""
    return [DeviceDown("front", "camera", "no frame for 3 s") if i % 2 == 0 else DeviceUp("front", "camera")
            for i in range(n)]


def test_a_burst_is_one_transaction_in_order(tmp_path):
    rt = make_runtime(tmp_path)
    results = asyncio.run(burst(rt, flapping(40)))
    events = rt.astore.store.events_after(0, limit=100)
    assert rt.commits == 1
    assert [e["seq"] for e in events] == list(range(1, 41))
    assert [e["type"] for e in events] == ["device.fault", "device.recovered"] * 20
    assert all(len(r.events) == 1 for r in results)  # each input gets its own step's result
    assert [r.events[0].id for r in results] == [e["id"] for e in events]


def test_one_at_a_time_without_batching(tmp_path):
    rt = make_runtime(tmp_path, max_batch=1)
    asyncio.run(burst(rt, flapping(10)))
    assert rt.commits == 10 and rt.astore.store.last_seq() == 10


def test_bursts_are_capped(tmp_path):
    rt = make_runtime(tmp_path, max_batch=16)
    asyncio.run(burst(rt, flapping(40)))
    assert rt.commits == 3 and rt.astore.store.last_seq() == 40


def test_outputs_are_driven_once_after_the_commit(tmp_path):
    """Idle reading, vehicle at the barrier, its plate voted: one burst, one grant. The
    barrier is commanded open once, when the decision is already in the store."""
    rt = make_runtime(tmp_path)
    asyncio.run(burst(rt, [IoReading(IDLE_IO), IoReading(AT_BARRIER), PlateVoted(vote("29C12345"))]))
    decided = [e for e in rt.astore.store.events_after(0) if e["type"] == "passage.decided"]
    assert decided and decided[0]["decision"]["result"] == "grant"
    assert [out.barrier for out, _ in rt.driven] == ["open"]
    assert rt.driven[0][1] == rt.astore.store.last_seq() >= decided[0]["seq"]
    assert rt.commits == 1


def test_single_use_bookkeeping_commits_with_the_burst(tmp_path):
    rt = make_runtime(tmp_path)
    asyncio.run(burst(rt, [IoReading(IDLE_IO), IoReading(AT_BARRIER), PlateVoted(vote("29C12345"))]))
    assert rt.passes.get("P-1").status == "used" and rt.is_used("P-1")
    assert rt.astore.store.used_pass_ids() == {"P-1"}


def test_a_later_step_in_the_burst_sees_the_pass_used():
    from gated.core.lane.model import MarkPassUsed, StepResult
    from gated.core.lane import initial_state

    b = Burst(initial_state(), DEFAULT_PASSES)
    b.adopt(StepResult(initial_state(), (), None, (MarkPassUsed("P-1"),)))
    assert b.passes.get("P-1").status == "used" and b.used == ["P-1"]
    assert DEFAULT_PASSES.get("P-1").status == "active"  # the runtime's book is untouched


def test_a_refused_commit_replays_the_burst_with_the_store_down(tmp_path):
    """A full disk (SQLite's page limit reached) refuses the burst's transaction: the burst is
    stepped again after a ``store`` fault, every event is held, nothing is driven that
    depended on the store, and the probe flushes them in order once the disk has room."""
    rt = make_runtime(tmp_path)
    store = rt.astore.store
    pages = store.db.conn.execute("PRAGMA page_count").fetchone()[0]

    async def scenario() -> list:
        await rt.astore.run(store.db.conn.execute, f"PRAGMA max_page_count = {pages}")
        results = await burst(rt, flapping(200))
        held = rt.buffered
        assert not rt.store_ok and "full" in rt.store_error
        reopen = asyncio.ensure_future(rt.recover_store(
            lambda: store.db.conn.execute("PRAGMA max_page_count = 1073741823"), interval_s=0.05))
        for _ in range(200):
            if rt.store_ok:
                break
            await asyncio.sleep(0.05)
        reopen.cancel()
        return [results, held]

    results, held = asyncio.run(scenario())
    events = store.events_after(0, limit=500)
    assert held == 201 and rt.buffered == 0
    assert [e["seq"] for e in events] == list(range(1, 202))
    assert events[0]["type"] == "device.fault" and events[0]["device"] == "store"
    assert [e["type"] for e in events[1:]] == ["device.fault", "device.recovered"] * 100
    assert [r.events[0].id for r in results] == [e["id"] for e in events[1:]]


@pytest.mark.parametrize("bad_at", [0, 5])
def test_an_input_that_breaks_the_step_fails_alone(tmp_path, bad_at):
    rt = make_runtime(tmp_path)
    inputs: list = [DeviceDown(f"cam-{i}", "camera", "no frame for 3 s") for i in range(10)]
    inputs[bad_at] = object()  # no handler: the pure step raises
    results = asyncio.run(burst(rt, inputs))
    assert isinstance(results[bad_at], Exception)
    assert sum(1 for r in results if not isinstance(r, Exception)) == 9
    assert rt.astore.store.last_seq() == 9 and rt.commits == 1
