"""Versioned schema migrations. Append a new list to MIGRATIONS; never edit an old one.

``PRAGMA user_version`` records how many have been applied.
"""

from __future__ import annotations

V1 = [
    # key/value facts about this database: which lane owns it, outbox cursors, versions
    """CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    # the outbox: every event, in seq order; seq increases by exactly 1 (see events.py)
    """CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        ts TEXT NOT NULL,
        passage_id TEXT,
        body TEXT NOT NULL,
        created_at REAL NOT NULL,
        sent_at REAL
    )""",
    "CREATE INDEX events_passage ON events (passage_id)",
    "CREATE INDEX events_created ON events (created_at)",
    # images attached to events, stored as files; the row is the durable reference
    """CREATE TABLE images (
        event_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        path TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        created_at REAL NOT NULL,
        sent_at REAL,
        PRIMARY KEY (event_id, kind)
    )""",
    # passes synced from central, with the site-wide delta version that last touched each
    """CREATE TABLE passes (
        id TEXT PRIMARY KEY,
        plate TEXT NOT NULL,
        status TEXT NOT NULL,
        body TEXT NOT NULL,
        version INTEGER NOT NULL,
        updated_at REAL NOT NULL
    )""",
    "CREATE INDEX passes_plate ON passes (plate)",
    # commands seen, for idempotency across restarts: a redelivery returns the first result
    """CREATE TABLE commands (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        received_at REAL NOT NULL,
        result TEXT NOT NULL
    )""",
    # every operator / central action, accepted or refused, with who and why
    """CREATE TABLE audit (
        rowid INTEGER PRIMARY KEY,
        ts TEXT NOT NULL,
        source TEXT NOT NULL,
        operator TEXT NOT NULL,
        action TEXT NOT NULL,
        reason TEXT NOT NULL,
        ok INTEGER NOT NULL,
        detail TEXT NOT NULL
    )""",
]

MIGRATIONS: list[list[str]] = [V1]
