"""The events outbox as the MQTT uplink reads it: rows in ``seq`` order, sent marks, pruning.

Functions over an open :class:`~gated.store.store.Store` (blocking; the daemon calls them
through its :class:`~gated.store.async_store.AsyncStore`, on the store's one thread).

Cursors in ``meta``: ``last_seq`` (the store's), ``acked_upto`` (central's cumulative
``events/ack``) and ``sent_upto`` (every event up to it was acknowledged by the broker,
PUBACK). Only ``acked_upto`` allows pruning; ``sent_upto`` is bookkeeping for status.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from gated.store.db import transaction, translated
from gated.store.store import Store


@dataclass(frozen=True, slots=True)
class OutRow:
    """One stored event ready to publish: its seq and its JSON body, exactly as stored."""

    seq: int
    body: str


def rows_from(store: Store, seq: int, limit: int) -> list[OutRow]:
    """Events with ``seq >= seq`` in order, at most ``limit`` of them."""
    with translated(store.path):
        cur = store.db.conn.execute(
            "SELECT seq, body FROM events WHERE seq >= ? ORDER BY seq LIMIT ?", (seq, limit)
        )
        return [OutRow(s, b) for s, b in cur]


def first_seq(store: Store) -> int:
    """The oldest seq still stored (``last_seq + 1`` when the table is empty)."""
    with translated(store.path):
        row = store.db.conn.execute("SELECT min(seq) FROM events").fetchone()
    return int(row[0]) if row and row[0] is not None else store.last_seq() + 1


def sent_upto(store: Store) -> int:
    return int(store._meta("sent_upto") or 0)


def mark_sent(store: Store, lo: int, hi: int, at: float | None = None) -> None:
    """Events ``lo..hi`` reached the broker (PUBACK); ``sent_upto`` only moves forward."""
    now = time.time() if at is None else at
    with transaction(store.db, store.path) as conn:
        conn.execute(
            "UPDATE events SET sent_at = ? WHERE seq BETWEEN ? AND ? AND sent_at IS NULL",
            (now, lo, hi),
        )
        row = conn.execute("SELECT value FROM meta WHERE key = 'sent_upto'").fetchone()
        if hi > (int(row[0]) if row else 0):
            store._set_meta(conn, "sent_upto", hi)


def prune_acked(store: Store, *, created_before: float, limit: int = 5000) -> int:
    """Delete acknowledged events created before ``created_before``; returns how many.

    Never touches an event above ``acked_upto``. ``seq`` keeps counting from ``last_seq``
    in ``meta``, so pruning never makes a number come back.
    """
    acked = store.acked_upto()
    with transaction(store.db, store.path) as conn:
        cur = conn.execute(
            "DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE seq <= ?"
            " AND created_at < ? ORDER BY seq LIMIT ?)",
            (acked, created_before, limit),
        )
        return cur.rowcount


def prune_oldest_acked(store: Store, count: int) -> int:
    """Delete the ``count`` oldest acknowledged events (disk budget eviction)."""
    return prune_acked(store, created_before=float("inf"), limit=count)


@dataclass(frozen=True, slots=True)
class DbUsage:
    live_bytes: int  # pages in use (free pages are reused, so they do not count)
    file_bytes: int  # database + WAL on disk
    events: int
    unacked: int
    acked_stored: int


def db_usage(store: Store) -> DbUsage:
    conn = store.db.conn
    with translated(store.path):
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        acked_stored = conn.execute(
            "SELECT count(*) FROM events WHERE seq <= ?", (store.acked_upto(),)
        ).fetchone()[0]
    files = sum(_size(f"{store.path}{suffix}") for suffix in ("", "-wal"))
    return DbUsage((pages - free) * page_size, files, events, events - acked_stored, acked_stored)


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
