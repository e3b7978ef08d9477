"""The store: the database is sound, the disk has room, the outbox is not stuck.

The database is opened read-only on a connection of its own (SQLite's WAL lets it read
beside a running gated). ``PRAGMA quick_check`` is SQLite's integrity check without the
index cross-checks: seconds on a lane's database, where the full one can take minutes.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path

from gated.core.timefmt import parse_rfc3339
from gated.selftest.context import Context, Emit
from gated.selftest.report import failed, passed, skipped, warned
from gated.store.db import StoreError, connect, translated

C = "store"
MB = 1024 * 1024
FLOOR_MB = 256  # below this the lane soon cannot store events at all
STUCK_S = 600.0  # an unacknowledged event older than this with the uplink on: it is stuck


@dataclass(frozen=True)
class StoreFacts:
    integrity: str
    last_seq: int
    acked_upto: int
    oldest_unacked_ts: str | None
    size_bytes: int


def read_facts(path: Path) -> StoreFacts:
    """Blocking: everything the store check needs, from a read-only connection."""
    db = connect(path, readonly=True)
    try:
        with translated(path):
            conn = db.conn
            integrity = str(conn.execute("PRAGMA quick_check").fetchone()[0])
            meta = dict(conn.execute("SELECT key, value FROM meta "
                                     "WHERE key IN ('last_seq', 'acked_upto')").fetchall())
            acked = int(meta.get("acked_upto") or 0)
            row = conn.execute("SELECT ts FROM events WHERE seq > ? ORDER BY seq LIMIT 1",
                               (acked,)).fetchone()
    finally:
        db.conn.close()
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())
    return StoreFacts(integrity, int(meta.get("last_seq") or 0), acked,
                      row[0] if row else None, size)


async def run(ctx: Context, emit: Emit) -> None:
    path = Path(ctx.cfg.store.path)
    await _disk(ctx, path, emit)
    if not path.exists():
        await emit(warned(C, "", "integrity", "nothing to do before the first start: gated "
                          "creates the database", "no database yet", detail=str(path)))
        return
    try:
        facts = await asyncio.to_thread(read_facts, path)
    except StoreError as exc:
        await emit(failed(C, "", "integrity", _open_remedy(exc.kind), exc.kind, detail=str(exc)))
        return
    if facts.integrity != "ok":
        await emit(failed(C, "", "integrity", "the database is damaged: stop gated, copy "
                          f"{path} aside and call support", "damaged", detail=facts.integrity[:200]))
    else:
        await emit(passed(C, "", "integrity", "ok", facts.size_bytes, "bytes",
                          f"{facts.size_bytes / MB:.1f} MB, {facts.last_seq} events stored"))
    await _outbox(ctx, facts, emit)


def _open_remedy(kind: str) -> str:
    return {
        "readonly": "run as root or a member of the gated group",
        "locked": "another process holds the database: retry in a moment",
        "corrupt": "the file is damaged: stop gated, copy it aside and call support",
    }.get(kind, "check the disk and the store.path in the config")


async def _disk(ctx: Context, path: Path, emit: Emit) -> None:
    where = path.parent if path.parent.exists() else Path(path.anchor or "/")
    st = os.statvfs(where)
    free_mb = st.f_bavail * st.f_frsize / MB
    budget = ctx.cfg.store.disk_budget_mb
    figure = f"{free_mb / 1024:.1f} GB free" if free_mb >= 1024 else f"{free_mb:.0f} MB free"
    if free_mb < FLOOR_MB:
        await emit(failed(C, "", "free_disk", "the disk is nearly full: free space (old logs, "
                          "snapshots) or move store.path to a bigger disk", figure, free_mb,
                          "MB", str(where)))
    elif free_mb < budget:
        await emit(warned(C, "", "free_disk", f"less room than store.disk_budget_mb ({budget} MB): "
                          "free space or lower the budget", figure, free_mb, "MB", str(where)))
    else:
        await emit(passed(C, "", "free_disk", figure, free_mb, "MB", str(where)))


async def _outbox(ctx: Context, facts: StoreFacts, emit: Emit) -> None:
    depth = max(0, facts.last_seq - facts.acked_upto)
    if depth == 0:
        await emit(passed(C, "", "outbox", "empty", 0, "events", "central has every event"))
        return
    age = time.time() - parse_rfc3339(facts.oldest_unacked_ts) if facts.oldest_unacked_ts else 0.0
    figure = f"{depth} waiting, oldest {_age(age)}"
    if not ctx.cfg.mqtt.enabled:
        await emit(skipped(C, "", "outbox", "events wait for an uplink: set [mqtt] when the lane "
                           "has one", detail=figure))
    elif age > STUCK_S:
        await emit(warned(C, "", "outbox", "central is not acknowledging: see the mqtt check; "
                          "events are kept until it does", figure, depth, "events"))
    else:
        await emit(passed(C, "", "outbox", figure, depth, "events"))


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
