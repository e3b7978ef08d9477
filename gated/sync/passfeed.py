"""Pass sync, shell part: feeds deltas and chunks to the pure state machine and carries out
its actions -- store writes (one transaction each), the runtime's ``PassBook`` swap, and
``passes/sync-req`` publications."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import structlog

from gated.store import AsyncStore
from gated.store import passes as sp
from gated.sync import passsync as ps
from gated.sync.messages import parse_chunk, parse_delta

log = structlog.get_logger()


class PassFeed:
    def __init__(self, astore: AsyncStore, reload: Callable[[], Awaitable[None]],
                 request: Callable[[int], bool]) -> None:
        """``reload()`` swaps the runtime's passes from the store; ``request(have)`` publishes
        a sync-req and says whether it could (False while offline)."""
        self.astore = astore
        self.store = astore.store
        self.reload = reload
        self.request = request
        self.state = ps.SyncState()
        self.unsent_request = False

    async def start(self) -> None:
        count = await self.astore.run(sp.pass_count, self.store)
        _, version = await self.astore.run(self.store.load_passes)
        self.state = ps.SyncState(version=version)
        await self._carry_out(ps.on_start(self.state, count, time.time()))

    async def on_delta(self, payload: bytes) -> None:
        delta = parse_delta(payload)
        await self._carry_out(ps.on_delta(self.state, delta, time.time()))

    async def on_chunk(self, payload: bytes) -> None:
        chunk = parse_chunk(payload)
        log.info("passes.chunk", version=chunk.version, chunk=chunk.index, of=chunk.of,
                 passes=len(chunk.passes))
        await self._carry_out(ps.on_chunk(self.state, chunk, time.time()))

    async def resync(self) -> int:
        await self._carry_out(ps.on_resync(self.state, time.time()))
        return self.state.version

    async def tick(self) -> None:
        await self._carry_out(ps.on_tick(self.state, time.time()))

    def on_connected(self) -> None:
        """A request made while offline goes out now."""
        if self.unsent_request and self.request(self.state.version):
            self.unsent_request = False

    async def _carry_out(self, outcome: tuple[ps.SyncState, tuple[ps.Action, ...]]) -> None:
        state, actions = outcome
        changed = False
        for action in actions:
            if isinstance(action, ps.Apply):
                await self.astore.run(sp.apply_changes, self.store, action.upserts,
                                      action.revokes, action.version)
                log.info("passes.applied", version=action.version,
                         upserts=len(action.upserts), revokes=len(action.revokes))
                changed = True
            elif isinstance(action, ps.Replace):
                await self.astore.run(sp.replace_all, self.store, action.passes, action.version)
                log.info("passes.snapshot_applied", version=action.version,
                         passes=len(action.passes))
                changed = True
            else:
                self.unsent_request = not self.request(action.have_version)
                log.info("passes.sync_requested", have_version=action.have_version,
                         sent=not self.unsent_request)
        self.state = state  # only once the store holds it: a failed write is retried
        if changed:
            await self.reload()

    def progress(self) -> dict:
        return ps.progress(self.state)
