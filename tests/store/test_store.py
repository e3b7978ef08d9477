"""The store against real SQLite files: seq continuity, identity, failure modes."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest

from gated.core.lane.model import EventDraft
from gated.store import Store, StoreError
from tests.core.harness import make_pass


def drafts(n: int, start: int = 0) -> list[EventDraft]:
    return [
        EventDraft(f"e-{start + i}", "device.fault", "2026-11-23T10:00:00.000+07:00", None,
                   {"device": "io", "kind": "io", "reason": "x"})
        for i in range(n)
    ]


def open_store(path, lane="in-01") -> Store:
    s = Store(path, site="huu-nghi", lane=lane)
    s.open()
    return s


def test_seq_is_gap_free_across_reopen(tmp_path):
    db = tmp_path / "gated.db"
    s = open_store(db)
    first = s.append(drafts(3))
    assert [e["seq"] for e in first] == [1, 2, 3]
    assert first[0]["v"] == 1 and first[0]["site"] == "huu-nghi" and first[0]["lane"] == "in-01"
    s.close()
    s = open_store(db)
    assert [e["seq"] for e in s.append(drafts(2, 3))] == [4, 5]
    assert [e["seq"] for e in s.events_after(0)] == [1, 2, 3, 4, 5]
    assert s.integrity_check() == "ok"


def test_seq_never_reuses_numbers_after_pruning(tmp_path):
    s = open_store(tmp_path / "g.db")
    s.append(drafts(3))
    s.db.conn.execute("DELETE FROM events")  # everything acknowledged and pruned
    assert s.append(drafts(1, 3))[0]["seq"] == 4


def test_duplicate_event_id_rolls_back_the_whole_batch(tmp_path):
    s = open_store(tmp_path / "g.db")
    s.append(drafts(1))
    with pytest.raises(StoreError):
        s.append(drafts(1, 5) + drafts(1))  # e-5 then a duplicate e-0
    assert s.last_seq() == 1 and len(s.events_after(0)) == 1


def test_outbox_depth_and_acks(tmp_path):
    s = open_store(tmp_path / "g.db")
    s.append(drafts(10))
    assert s.outbox_depth() == 10
    s.set_acked(4)
    s.set_acked(2)  # cumulative: never goes back
    assert s.acked_upto() == 4 and s.outbox_depth() == 6
    s.set_acked(99)  # never beyond what exists
    assert s.acked_upto() == 10


def test_store_belongs_to_one_lane(tmp_path):
    open_store(tmp_path / "g.db").close()
    with pytest.raises(StoreError) as err:
        open_store(tmp_path / "g.db", lane="out-02")
    assert err.value.kind == "identity" and "huu-nghi/in-01" in str(err.value)


def test_corrupt_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "g.db"
    bad.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError) as err:
        open_store(bad)
    assert err.value.kind == "corrupt" and str(bad) in str(err.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_unwritable_directory_is_a_clear_error(tmp_path):
    d = tmp_path / "ro"
    d.mkdir()
    d.chmod(0o500)
    with pytest.raises(StoreError) as err:
        open_store(d / "g.db")
    assert err.value.kind in ("io", "readonly")


def test_readonly_database_file(tmp_path):
    """A read-only filesystem view (mode=ro) refuses writes with kind 'readonly'."""
    path = tmp_path / "g.db"
    open_store(path).close()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    s = Store(path, site="huu-nghi", lane="in-01")
    import sqlite_utils

    s._db = sqlite_utils.Database(conn)
    with pytest.raises(StoreError) as err:
        s.append(drafts(1))
    assert err.value.kind == "readonly"


def test_locked_database_is_reported_not_hung(tmp_path):
    path = tmp_path / "g.db"
    s = open_store(path)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sqlite3,sys,time; c=sqlite3.connect(sys.argv[1], isolation_level=None);"
         "c.execute('BEGIN EXCLUSIVE'); print('held', flush=True); time.sleep(30)", str(path)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreError) as err:
            s.append(drafts(1))
        assert err.value.kind == "locked"
    finally:
        holder.kill()
        holder.wait()
    assert s.append(drafts(1))[0]["seq"] == 1  # and it works again once released


def test_passes_roundtrip_and_single_use(tmp_path):
    s = open_store(tmp_path / "g.db")
    s.upsert_passes([make_pass("P-1", "29C-123.45"), make_pass("P-2", "桂A·1234挂")], version=7)
    s.append(drafts(1), used_passes=["P-1"])
    passes, version = s.load_passes()
    by_id = {p.id: p for p in passes}
    assert version == 7 and by_id["P-1"].status == "used" and by_id["P-2"].plate == "桂A1234挂"
    s.upsert_passes([make_pass("P-3", "29C99999")], version=9, replace=True)
    passes, version = s.load_passes()
    assert [p.id for p in passes] == ["P-3"] and version == 9


def test_commands_are_idempotent(tmp_path):
    s = open_store(tmp_path / "g.db")
    s.record_command("c-1", "barrier.open", {"ok": True})
    s.record_command("c-1", "barrier.open", {"ok": False})
    assert s.command_result("c-1") == {"ok": True}
    assert s.command_result("nope") is None


def test_audit_and_migration_version(tmp_path):
    s = open_store(tmp_path / "g.db")
    s.audit(ts="t", source="local", operator="a", action="open", reason="r", ok=False, detail={})
    assert s.db.execute("PRAGMA user_version").fetchone()[0] >= 1
    assert s.db["audit"].count == 1
