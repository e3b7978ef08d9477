"""Store additions for the uplink: outbox reads and marks, pruning, images, pass writes."""

from __future__ import annotations

import time

from gated.core.passes import Pass
from gated.core.timefmt import rfc3339
from gated.store import outbox as ob
from gated.store import passes as sp
from gated.store.images import add_image, images_dir, oldest_images, sweep_orphans
from gated.sync.retention import Policy, Retention, evict, measure, plan
from tests.store.test_store import drafts, open_store


def test_outbox_rows_marks_and_pruning_never_pass_the_ack(tmp_path):
    s = open_store(tmp_path / "g.db")
    s.append(drafts(10))
    rows = ob.rows_from(s, 4, 3)
    assert [r.seq for r in rows] == [4, 5, 6] and '"seq":4' in rows[0].body
    ob.mark_sent(s, 1, 6)
    assert ob.sent_upto(s) == 6
    s.set_acked(5)
    assert ob.prune_acked(s, created_before=time.time() + 1) == 5
    assert ob.first_seq(s) == 6 and ob.prune_oldest_acked(s, 100) == 0
    assert s.append(drafts(1))[0]["seq"] == 11  # seq never comes back


def test_images_durable_and_orphans_swept(tmp_path):
    s = open_store(tmp_path / "g.db")
    row = add_image(s, "0193-e1", "plate", b"\xff\xd8jpeg")
    assert row.path.read_bytes() == b"\xff\xd8jpeg"
    (images_dir(s) / "stray.jpg.tmp").write_bytes(b"half")
    assert sweep_orphans(s) == 1 and row.path.exists()


def test_budget_evicts_images_then_acked_events(tmp_path):
    s = open_store(tmp_path / "g.db")
    s.append(drafts(200))
    s.set_acked(150)
    for i in range(5):
        add_image(s, f"0193-e{i}", "scene", b"j" * 100_000)
    usage = measure(s)
    budget = usage.db_bytes + 250_000  # room for 2.5 images: 3 must go, then no events
    pl = plan(usage, Policy(budget, 0))
    assert pl.prune_events == 0 and pl.free_image_bytes > 0
    evict(s, pl, retention_s=86400, now=time.time())
    assert [r.event_id for r in oldest_images(s, 10)] == ["0193-e3", "0193-e4"]
    for _ in range(5):  # far over budget, pass after pass: every acked event, none unacked
        evict(s, plan(measure(s), Policy(1, 0)), retention_s=86400, now=time.time())
    assert ob.first_seq(s) == 151 and s.last_seq() == 200


def test_retention_alarm_raises_device_fault_input(tmp_path):
    import asyncio

    from gated.store import AsyncStore

    s = open_store(tmp_path / "g.db")
    s.append(drafts(300))  # none acknowledged
    raised = []
    r = Retention(AsyncStore(s), Policy(300 * 1024, 0, 0.8), 30, raised.append)
    asyncio.run(r.once())
    assert raised and raised[0].device == "store-budget" and raised[0].kind == "disk"
    assert s.last_seq() == 300 and ob.first_seq(s) == 1  # nothing unacked evicted


def test_pass_writes_keep_local_used_marks(tmp_path):
    s = open_store(tmp_path / "g.db")
    body = {"id": "P-1", "plate": "29C12345", "valid_from": rfc3339(0),
            "valid_to": rfc3339(2e9), "single_use": True}
    p = Pass.model_validate(body)
    sp.replace_all(s, [p], 3)
    s.append(drafts(1), used_passes=["P-1"])
    sp.apply_changes(s, [p], [], 4)  # central still says active
    sp.replace_all(s, [p], 5)
    passes, version = s.load_passes()
    assert version == 5 and passes[0].status == "used"
    sp.apply_changes(s, [], ["P-1"], 6)
    assert s.load_passes()[0][0].status == "revoked" and sp.pass_count(s) == 1
