"""The SQLite database: opening, pragmas, versioned migrations and error translation.

One database per lane. WAL journal, ``synchronous=FULL`` by default (an event acknowledged
by the store survives a power cut). Every sqlite3 error is translated into a
:class:`StoreError` whose ``kind`` says what a technician should look at.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Iterator

import sqlite_utils

from gated.store.migrations import MIGRATIONS


class StoreError(Exception):
    """The store cannot do its job. ``kind``: locked, corrupt, readonly, full, io, identity."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind

    def __str__(self) -> str:
        return f"store {self.kind}: {self.args[0]}"


_KINDS = (
    ("locked", "locked"),
    ("busy", "locked"),
    ("malformed", "corrupt"),
    ("not a database", "corrupt"),
    ("readonly", "readonly"),
    ("read-only", "readonly"),
    ("disk is full", "full"),
    ("database or disk is full", "full"),
    ("unable to open", "io"),
    ("disk i/o", "io"),
)


def translate(exc: sqlite3.Error, path: Path) -> StoreError:
    text = str(exc)
    low = text.lower()
    kind = next((k for needle, k in _KINDS if needle in low), "io")
    hints = {
        "locked": "another process holds the database; is a second gated running?",
        "corrupt": "the file is damaged; run 'gatectl store check' and call support",
        "readonly": "the file or its directory is not writable by the gated user",
        "full": "the filesystem is full; free space or lower store.disk_budget_mb",
        "io": "the disk failed to read or write",
    }
    return StoreError(kind, f"{path}: {text} ({hints[kind]})")


@contextlib.contextmanager
def translated(path: Path) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise translate(exc, path) from exc


def connect(path: Path, synchronous: str = "full", readonly: bool = False) -> sqlite_utils.Database:
    """Open (creating if needed) and migrate. Raises :class:`StoreError`."""
    with translated(path):
        if readonly:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 2000")
        db = sqlite_utils.Database(conn)
        if not readonly:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(f"PRAGMA synchronous = {synchronous.upper()}")
            conn.execute("PRAGMA foreign_keys = ON")
            migrate(db)
        else:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return db


def schema_version(db: sqlite_utils.Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: sqlite_utils.Database) -> int:
    """Apply every migration newer than the file's ``user_version``, each atomically."""
    current = schema_version(db)
    latest = len(MIGRATIONS)
    if current > latest:
        raise StoreError(
            "identity", f"database schema v{current} is newer than this gated (v{latest})"
        )
    for version in range(current + 1, latest + 1):
        conn = db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in MIGRATIONS[version - 1]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return latest


@contextlib.contextmanager
def transaction(db: sqlite_utils.Database, path: Path) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``; rolled back and translated on any error."""
    conn = db.conn
    with translated(path):
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
