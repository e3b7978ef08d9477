"""Pass sync as a pure state machine: deltas in version order, snapshots assembled whole.

``on_*`` functions take the state and one input and return the new state and the actions
the shell must carry out, in order:

- :class:`Apply`: consecutive deltas (upserts, revocations) up to a version;
- :class:`Replace`: a complete snapshot, swapped in atomically;
- :class:`Request`: publish ``passes/sync-req`` ``{"have_version": N}``.

A delta beyond a version gap is held (bounded) and a snapshot is requested; a snapshot
replaces the passes only once every chunk has arrived, then the held deltas newer than it
are applied. A half-received snapshot never replaces good passes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from gated.core.passes import Pass
from gated.sync.messages import Chunk, Delta

MAX_HELD = 10_000  # deltas held across a gap while a snapshot is on its way
MAX_SNAPSHOT_PASSES = 500_000
RETRY_S = 60.0  # ask again when the snapshot has not arrived after this long


@dataclass(frozen=True, slots=True)
class Apply:
    upserts: tuple[Pass, ...]
    revokes: tuple[str, ...]
    version: int


@dataclass(frozen=True, slots=True)
class Replace:
    passes: tuple[Pass, ...]
    version: int


@dataclass(frozen=True, slots=True)
class Request:
    have_version: int


Action = Apply | Replace | Request
_EMPTY: Mapping = MappingProxyType({})


@dataclass(frozen=True)
class SyncState:
    version: int = 0
    held: Mapping[int, Delta] = field(default_factory=lambda: _EMPTY)
    snapshot_version: int | None = None
    snapshot_of: int = 0
    chunks: Mapping[int, tuple[Pass, ...]] = field(default_factory=lambda: _EMPTY)
    requested_at: float | None = None  # a sync-req is outstanding since then

    @property
    def awaiting_snapshot(self) -> bool:
        return self.requested_at is not None


def _request(state: SyncState, now: float) -> tuple[SyncState, tuple[Action, ...]]:
    return replace(state, requested_at=now), (Request(state.version),)


def on_start(state: SyncState, pass_count: int, now: float) -> tuple[SyncState, tuple[Action, ...]]:
    """A lane that starts with no passes asks for a snapshot."""
    return _request(state, now) if pass_count == 0 else (state, ())


def on_resync(state: SyncState, now: float) -> tuple[SyncState, tuple[Action, ...]]:
    """The ``passes.resync`` command: ask for a snapshot now."""
    return _request(state, now)


def on_tick(state: SyncState, now: float) -> tuple[SyncState, tuple[Action, ...]]:
    """Ask again when an outstanding snapshot has not arrived after :data:`RETRY_S`."""
    if state.requested_at is not None and now - state.requested_at >= RETRY_S:
        return _request(state, now)
    return state, ()


def _drain(state: SyncState) -> tuple[SyncState, tuple[Action, ...]]:
    """Apply held deltas that follow ``version`` without a gap; drop the stale ones."""
    held = {v: d for v, d in state.held.items() if v > state.version}
    version = state.version
    upserts: list[Pass] = []
    revokes: list[str] = []
    while version + 1 in held:
        d = held.pop(version + 1)
        version = d.version
        if d.op == "upsert" and d.pass_ is not None:
            upserts.append(d.pass_)
        else:
            revokes.append(d.pass_id)
    new = replace(state, version=version, held=MappingProxyType(held))
    if version == state.version:
        return new, ()
    return new, (Apply(tuple(upserts), tuple(revokes), version),)


def on_delta(state: SyncState, delta: Delta, now: float) -> tuple[SyncState, tuple[Action, ...]]:
    if delta.version <= state.version or delta.version in state.held:
        return state, ()  # a redelivery, or already covered by a snapshot
    if len(state.held) >= MAX_HELD:
        held = state.held  # too far behind: the snapshot will bring it
    else:
        held = MappingProxyType({**state.held, delta.version: delta})
    state, actions = _drain(replace(state, held=held))
    if state.held and not state.awaiting_snapshot:
        state, ask = _request(state, now)
        actions += ask
    return state, actions


def on_chunk(state: SyncState, chunk: Chunk, now: float) -> tuple[SyncState, tuple[Action, ...]]:
    if chunk.version < state.version:
        return state, ()  # older than what the lane has: useless
    if chunk.version != state.snapshot_version or chunk.of != state.snapshot_of:
        state = replace(state, snapshot_version=chunk.version, snapshot_of=chunk.of,
                        chunks=_EMPTY)
    size = sum(len(c) for c in state.chunks.values()) + len(chunk.passes)
    if size > MAX_SNAPSHOT_PASSES:
        return replace(state, snapshot_version=None, snapshot_of=0, chunks=_EMPTY), ()
    chunks = MappingProxyType({**state.chunks, chunk.index: chunk.passes})
    if len(chunks) < chunk.of:
        return replace(state, chunks=chunks), ()
    passes = tuple(p for i in range(1, chunk.of + 1) for p in chunks[i])
    done = replace(state, version=chunk.version, snapshot_version=None, snapshot_of=0,
                   chunks=_EMPTY, requested_at=None)
    done, applied = _drain(done)
    actions: tuple[Action, ...] = (Replace(passes, chunk.version), *applied)
    if done.held:  # still a gap after the snapshot: ask again
        done, ask = _request(done, now)
        actions += ask
    return done, actions


def progress(state: SyncState) -> dict:
    """For status and telemetry."""
    return {
        "version": state.version,
        "held_deltas": len(state.held),
        "awaiting_snapshot": state.awaiting_snapshot,
        "snapshot_chunks": f"{len(state.chunks)}/{state.snapshot_of}" if state.snapshot_of else None,
    }
