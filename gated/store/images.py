"""Event images (plate, scene, QR crops) as files beside the database, rows in ``images``.

A file is written to a temporary name, fsynced, renamed into place and its directory
fsynced **before** its row commits: a row never points at a missing or half-written file.
A crash between the rename and the commit leaves an orphan file, which :func:`sweep_orphans`
deletes. Blocking; called on the store's thread.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from gated.store.db import StoreError, transaction, translated
from gated.store.store import Store

KINDS = ("plate", "scene", "qr")
_ID_RE = re.compile(r"^[0-9a-zA-Z-]{1,64}$")


@dataclass(frozen=True, slots=True)
class ImageRow:
    event_id: str
    kind: str
    path: Path
    bytes: int
    created_at: float


def images_dir(store: Store) -> Path:
    return store.path.parent / f"{store.path.stem}-images"


def add_image(store: Store, event_id: str, kind: str, jpeg: bytes) -> ImageRow:
    """Store one image durably; replaces an earlier image of the same event and kind."""
    if kind not in KINDS or not _ID_RE.match(event_id):
        raise ValueError(f"bad image key {event_id!r}/{kind!r}")
    directory = images_dir(store)
    final = directory / f"{event_id}-{kind}.jpg"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        _write_durably(final, jpeg)
    except OSError as exc:
        kind_ = "full" if exc.errno == 28 else "io"
        raise StoreError(kind_, f"{final}: {exc.strerror or exc}") from None
    row = ImageRow(event_id, kind, final, len(jpeg), time.time())
    with transaction(store.db, store.path) as conn:
        conn.execute(
            "INSERT OR REPLACE INTO images VALUES (?, ?, ?, ?, ?, NULL)",
            (event_id, kind, final.name, len(jpeg), row.created_at),
        )
    return row


def _write_durably(final: Path, data: bytes) -> None:
    tmp = final.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, final)
    dfd = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def _rows(store: Store, sql: str, params: tuple) -> list[ImageRow]:
    directory = images_dir(store)
    with translated(store.path):
        cur = store.db.conn.execute(
            f"SELECT event_id, kind, path, bytes, created_at FROM images {sql}", params
        )
        return [ImageRow(e, k, directory / p, b, c) for e, k, p, b, c in cur]


def unsent_images(store: Store, limit: int) -> list[ImageRow]:
    return _rows(store, "WHERE sent_at IS NULL ORDER BY created_at LIMIT ?", (limit,))


def oldest_images(store: Store, limit: int, created_before: float = float("inf")) -> list[ImageRow]:
    return _rows(store, "WHERE created_at < ? ORDER BY created_at LIMIT ?",
                 (created_before, limit))


def read_image(row: ImageRow) -> bytes | None:
    """The file's bytes, or None when it is gone (evicted meanwhile)."""
    try:
        return row.path.read_bytes()
    except OSError:
        return None


def mark_image_sent(store: Store, event_id: str, kind: str) -> None:
    with transaction(store.db, store.path) as conn:
        conn.execute(
            "UPDATE images SET sent_at = ? WHERE event_id = ? AND kind = ?",
            (time.time(), event_id, kind),
        )


def delete_images(store: Store, rows: list[ImageRow]) -> int:
    """Delete rows first (commit), then files: a crash leaves an orphan file, never a dangling row."""
    with transaction(store.db, store.path) as conn:
        conn.executemany(
            "DELETE FROM images WHERE event_id = ? AND kind = ?",
            [(r.event_id, r.kind) for r in rows],
        )
    for r in rows:
        try:
            r.path.unlink()
        except FileNotFoundError:
            pass
    return sum(r.bytes for r in rows)


def images_bytes(store: Store) -> int:
    with translated(store.path):
        row = store.db.conn.execute("SELECT coalesce(sum(bytes), 0) FROM images").fetchone()
    return int(row[0])


def sweep_orphans(store: Store) -> int:
    """Delete image files without a row (a crash between rename and commit, or temp files)."""
    directory = images_dir(store)
    if not directory.is_dir():
        return 0
    with translated(store.path):
        known = {p for (p,) in store.db.conn.execute("SELECT path FROM images")}
    removed = 0
    for f in directory.iterdir():
        if f.name not in known:
            f.unlink(missing_ok=True)
            removed += 1
    return removed
