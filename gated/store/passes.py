"""Pass sync writes: deltas and snapshots from central, each one transaction.

A pass this lane has already used stays ``used`` when central (which may not have
received the event yet) still says ``active``: a single-use pass must never open twice.
``revoked`` always wins.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from gated.core.passes import Pass
from gated.store.db import transaction
from gated.store.store import Store

_UPSERT = (
    "INSERT INTO passes VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET"
    " plate = excluded.plate, body = excluded.body, version = excluded.version,"
    " updated_at = excluded.updated_at,"
    " status = CASE WHEN passes.status = 'used' AND excluded.status = 'active'"
    " THEN 'used' ELSE excluded.status END"
)


def _row(p: Pass, version: int, now: float) -> tuple:
    return (p.id, p.plate, p.status, p.model_dump_json(), version, now)


def apply_changes(
    store: Store, upserts: Iterable[Pass], revokes: Iterable[str], version: int
) -> None:
    """Apply deltas up to ``version``: upsert passes, mark ids revoked, record the version."""
    now = time.time()
    with transaction(store.db, store.path) as conn:
        for p in upserts:
            conn.execute(_UPSERT, _row(p, version, now))
        for pass_id in revokes:
            conn.execute(
                "UPDATE passes SET status = 'revoked', version = ?, updated_at = ? WHERE id = ?",
                (version, now, pass_id),
            )
        store._set_meta(conn, "passes_version", version)


def replace_all(store: Store, passes: Iterable[Pass], version: int) -> None:
    """A snapshot: the whole set replaced atomically, keeping this lane's ``used`` marks."""
    now = time.time()
    with transaction(store.db, store.path) as conn:
        used = {r[0] for r in conn.execute("SELECT id FROM passes WHERE status = 'used'")}
        conn.execute("DELETE FROM passes")
        for p in passes:
            status = "used" if p.id in used and p.status == "active" else p.status
            conn.execute("INSERT OR REPLACE INTO passes VALUES (?, ?, ?, ?, ?, ?)",
                         (p.id, p.plate, status, p.model_dump_json(), version, now))
        store._set_meta(conn, "passes_version", version)


def pass_count(store: Store) -> int:
    return int(store._one("SELECT count(*) FROM passes") or 0)
