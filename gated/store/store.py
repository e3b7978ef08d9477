"""The lane's durable store: events (the outbox), passes, commands seen and the audit log.

Blocking by design (one SQLite connection); the daemon calls it through
:class:`gated.store.async_store.AsyncStore`, which runs every call on one worker thread.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Iterable

import sqlite_utils

from gated.core.lane.model import EventDraft
from gated.core.passes import Pass
from gated.store.db import StoreError, connect, transaction, translated

EVENT_VERSION = 1


def _dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class Store:
    def __init__(
        self, path: str | Path, *, site: str, lane: str, synchronous: str = "full"
    ) -> None:
        self.path = Path(path)
        self.site = site
        self.lane = lane
        self.synchronous = synchronous
        self._db: sqlite_utils.Database | None = None
        self._lock_fd: int | None = None

    # ------------------------------------------------------------------ lifecycle
    def open(self) -> None:
        self._lock()
        db = connect(self.path, self.synchronous)
        self._db = db
        try:
            self._claim_identity()
        except StoreError:
            self.close()
            raise

    def _claim_identity(self) -> None:
        owner = f"{self.site}/{self.lane}"
        found = self._meta("owner")
        if found is None:
            with transaction(self.db, self.path) as conn:
                conn.execute("INSERT INTO meta VALUES ('owner', ?)", (owner,))
        elif found != owner:
            raise StoreError(
                "identity", f"{self.path} belongs to lane {found}, not {owner}: wrong store.path?"
            )

    def _lock(self) -> None:
        """One process per store: a second gated on the same file gets a clear error."""
        if self._lock_fd is not None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT, 0o640)
        except OSError as exc:
            raise StoreError("io", f"{self.path}.lock: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise StoreError("locked", f"{self.path}: another gated process uses this store")
        self._lock_fd = fd

    def close(self) -> None:
        try:
            if self._db is not None:
                self._db.conn.close()
        finally:
            self._db = None
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

    @property
    def db(self) -> sqlite_utils.Database:
        if self._db is None:
            raise StoreError("io", f"{self.path}: store is not open")
        return self._db

    def _one(self, sql: str, params: tuple = ()):
        with translated(self.path):
            row = self.db.conn.execute(sql, params).fetchone()
        return row[0] if row else None

    def _meta(self, key: str) -> str | None:
        return self._one("SELECT value FROM meta WHERE key = ?", (key,))

    def _set_meta(self, conn: sqlite3.Connection, key: str, value) -> None:
        conn.execute(
            "INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, str(value)),
        )

    # --------------------------------------------------------------------- events
    def append(self, drafts: Iterable[EventDraft], *, used_passes: Iterable[str] = ()) -> list[dict]:
        """Commit events (and single-use bookkeeping) in one transaction; return them with seq.

        ``seq`` continues from the ``last_seq`` kept in ``meta``, not from the table's max:
        pruning acknowledged events must never make a number come back.
        """
        drafts = list(drafts)
        now = time.time()
        stored: list[dict] = []
        with transaction(self.db, self.path) as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'last_seq'").fetchone()
            seq = int(row[0]) if row else 0
            for d in drafts:
                seq += 1
                event = self._event_json(d, seq)
                conn.execute(
                    "INSERT INTO events (seq, id, type, ts, passage_id, body, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (seq, d.id, d.type, d.ts, d.passage_id, _dumps(event), now),
                )
                stored.append(event)
            if drafts:
                self._set_meta(conn, "last_seq", seq)
            for pass_id in used_passes:
                conn.execute("UPDATE passes SET status = 'used' WHERE id = ?", (pass_id,))
                conn.execute("INSERT OR IGNORE INTO used_passes VALUES (?, ?)", (pass_id, now))
        return stored

    def _event_json(self, d: EventDraft, seq: int) -> dict:
        head = {
            "v": EVENT_VERSION,
            "id": d.id,
            "seq": seq,
            "ts": d.ts,
            "site": self.site,
            "lane": self.lane,
            "type": d.type,
            "passage_id": d.passage_id,
        }
        return {**head, **d.body}

    def last_seq(self) -> int:
        return int(self._meta("last_seq") or 0)

    def acked_upto(self) -> int:
        return int(self._meta("acked_upto") or 0)

    def set_acked(self, upto_seq: int) -> None:
        with transaction(self.db, self.path) as conn:
            current = int(conn.execute(
                "SELECT coalesce((SELECT value FROM meta WHERE key='acked_upto'), 0)"
            ).fetchone()[0])
            if upto_seq > current:
                self._set_meta(conn, "acked_upto", min(upto_seq, self.last_seq()))

    def outbox_depth(self) -> int:
        return max(0, self.last_seq() - self.acked_upto())

    def events_after(self, seq: int, limit: int = 100) -> list[dict]:
        return self._bodies(
            "SELECT body FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)
        )

    def recent_events(self, limit: int = 20) -> list[dict]:
        rows = self._bodies("SELECT body FROM events ORDER BY seq DESC LIMIT ?", (limit,))
        return rows[::-1]

    def _bodies(self, sql: str, params: tuple) -> list[dict]:
        with translated(self.path):
            return [json.loads(r[0]) for r in self.db.conn.execute(sql, params)]

    # --------------------------------------------------------------------- passes
    def load_passes(self) -> tuple[list[Pass], int]:
        """Every stored pass (bad rows are skipped, never fatal) and the sync version."""
        with translated(self.path):
            rows = self.db.conn.execute("SELECT body, status FROM passes").fetchall()
        passes = []
        for body, status in rows:
            try:
                passes.append(Pass.model_validate({**json.loads(body), "status": status}))
            except (ValueError, TypeError):
                continue
        return passes, int(self._meta("passes_version") or 0)

    def upsert_passes(self, passes: Iterable[Pass], version: int, *, replace: bool = False) -> None:
        """Store passes at a sync ``version``; ``replace`` swaps the whole set atomically."""
        now = time.time()
        with transaction(self.db, self.path) as conn:
            if replace:
                conn.execute("DELETE FROM passes")
            for p in passes:
                conn.execute(
                    "INSERT OR REPLACE INTO passes VALUES (?, ?, ?, ?, ?, ?)",
                    (p.id, p.plate, p.status, p.model_dump_json(), version, now),
                )
            self._set_meta(conn, "passes_version", version)

    def used_pass_ids(self) -> set[str]:
        with translated(self.path):
            return {r[0] for r in self.db.conn.execute("SELECT pass_id FROM used_passes")}

    # ----------------------------------------------------------- commands, audit
    def command_result(self, command_id: str) -> dict | None:
        text = self._one("SELECT result FROM commands WHERE id = ?", (command_id,))
        return json.loads(text) if text else None

    def record_command(self, command_id: str, name: str, result: dict, *,
                       settle: bool = False) -> None:
        """Keep a command's first result. ``settle`` replaces the provisional result that
        ``CommandRunner`` writes before an actuating command runs."""
        conflict = "DO UPDATE SET result = excluded.result" if settle else "DO NOTHING"
        with transaction(self.db, self.path) as conn:
            conn.execute(
                f"INSERT INTO commands VALUES (?, ?, ?, ?) ON CONFLICT(id) {conflict}",
                (command_id, name, time.time(), _dumps(result)),
            )

    def audit(self, *, ts: str, source: str, operator: str, action: str, reason: str,
              ok: bool, detail: dict) -> None:
        with transaction(self.db, self.path) as conn:
            conn.execute(
                "INSERT INTO audit (ts, source, operator, action, reason, ok, detail)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (ts, source, operator, action, reason, int(ok), _dumps(detail)),
            )

    def integrity_check(self) -> str:
        return str(self._one("PRAGMA integrity_check"))

    def ensure_writable(self) -> None:
        """Open if needed, then prove a write reaches the disk (store recovery probe)."""
        if self._db is None:
            self.open()
        self.probe()

    def probe(self) -> None:
        """A write that touches the disk: used to tell when a failed store works again."""
        with transaction(self.db, self.path) as conn:
            self._set_meta(conn, "probe", time.time())
