"""The contract end to end against a real mosquitto: status/Will, commands (expiry while
offline, idempotency, signatures, bad input), pass deltas and snapshots, replay, 3.1.1."""

from __future__ import annotations

import json
import signal
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from gated.core.ids import uuid7
from gated.core.timefmt import rfc3339
from gated.qr.jws import b64url_encode
from gated.store import Store
from gated.store.images import add_image
from gated.sync.signing import sign_command
from tests.sync.lane import burst, last_seq, sync_lane, wait_online


def command(name: str, args: dict | None = None, ttl: float = 60.0, **extra) -> dict:
    now = time.time()
    return {"id": uuid7(), "name": name, "args": args or {}, "operator": "nguyen.van.a",
            "issued_at": rfc3339(now), "expires_at": rfc3339(now + ttl), **extra}


def result_of(central, cid, timeout: float = 30.0) -> dict:
    return central.wait_message("cmd/res", lambda m: m.get("id") == cid, timeout)


def pass_body(pid: str, plate: str, **extra) -> dict:
    return {"id": pid, "plate": plate, "direction": "in", "valid_from": rfc3339(time.time() - 3600),
            "valid_to": rfc3339(time.time() + 86400), "single_use": False, **extra}


@pytest.fixture
def lane(tmp_path, broker, central, lanes):
    g = sync_lane(tmp_path, broker.port).start()
    lanes.append(g)
    wait_online(g)
    return g


def test_status_birth_will_and_clean_stop(tmp_path, broker, central, lanes):
    g = sync_lane(tmp_path, broker.port).start()
    lanes.append(g)
    wait_online(g)
    birth = central.wait_message("status", lambda m: m.get("online"))
    assert {"online", "boot_id", "version", "started_at", "mode", "config_sha256"} <= birth.keys()
    assert birth["started_at"].endswith("+07:00")
    g.stop()
    bye = central.wait_message("status", lambda m: m.get("reason") == "shutdown")
    assert bye == {"online": False, "boot_id": birth["boot_id"], "reason": "shutdown"}
    g.start()
    wait_online(g)
    tele = central.wait_message("telemetry")  # every telemetry_interval_s (1 s here)
    assert {"devices", "queue", "uplink", "disk", "passes"} <= tele.keys()
    assert tele["queue"]["depth"] == tele["queue"]["last_seq"] - tele["queue"]["acked_upto"]
    g.stop(signal.SIGKILL)  # no DISCONNECT: the broker publishes the Will
    lost = central.wait_message("status", lambda m: m.get("reason") == "lost", timeout=60)
    assert lost["online"] is False and lost["boot_id"] != birth["boot_id"]


def test_commands_queued_while_offline_expire(tmp_path, broker, central, lanes):
    """The broker keeps QoS 1 commands in the lane's persistent session; on reconnect a
    stale barrier.open is refused (never executed late), a fresh one runs."""
    g = sync_lane(tmp_path, broker.port).start()
    lanes.append(g)
    wait_online(g)
    g.stop()
    stale = command("barrier.open", {"reason": "truck 29C-123.45, pass printed"}, ttl=1.0)
    fresh = command("lane.set_mode", {"mode": "manual", "reason": "storm"}, ttl=300)
    central.send("cmd/req", stale, expiry_s=600)
    central.send("cmd/req", fresh)
    time.sleep(3.5)  # stale is now past expires_at + the 2 s skew tolerance
    g.start()
    res = result_of(central, stale["id"])
    assert res["ok"] is False and res["error"]["code"] == "expired"
    assert result_of(central, fresh["id"])["ok"] is True
    events = g.events()
    assert not [e for e in events if stale["id"] in json.dumps(e)], "stale open executed"
    assert [e for e in events if e["type"] == "lane.mode_changed"
            and e.get("by") == f"central:{fresh['id']}" or fresh["id"] in json.dumps(e)]
    # idempotent across a restart: the same id answers its first result, runs nothing
    g.stop()
    g.start()
    wait_online(g)
    before = last_seq(g)
    central.send("cmd/req", fresh)
    again = [m for m in central.wait_for_all("cmd/res", fresh["id"], 2)]
    assert again[0] == again[1]
    assert last_seq(g) == before


def test_bad_input_on_every_topic_is_logged_not_fatal(lane, central):
    for suffix, site_wide in (("cmd/req", False), ("events/ack", False), ("passes", True),
                              ("passes/sync", False), ("keys", True)):
        for raw in (b"{not json", b"[1,2]", b'{"upto_seq": true, "version": "x"}',
                    b"\xff\xfe", b"x" * (5 * 1024 * 1024)):
            central.send(suffix, None, raw=raw, site_wide=site_wide)
    unknown = command("barrier.explode")
    central.send("cmd/req", unknown)
    assert result_of(central, unknown["id"])["error"]["code"] == "unknown_command"
    no_expiry = command("barrier.open", {"reason": "x"})
    del no_expiry["expires_at"]
    central.send("cmd/req", no_expiry)
    assert result_of(central, no_expiry["id"])["error"]["code"] == "expired"
    wrong = command("events.replay", {"from_seq": "one"})
    central.send("cmd/req", wrong)
    assert result_of(central, wrong["id"])["error"]["code"] == "invalid"
    nameless = central.wait_message("cmd/res", lambda m: m.get("id") is None)
    assert nameless["error"]["code"] == "invalid"
    burst(lane, 5)
    assert central.wait_contiguous(last_seq(lane), 30).ok(last_seq(lane))
    assert "Traceback" not in lane.log_text()
    assert "uplink.bad_message" in lane.log_text() and "oversize" in lane.log_text()


def test_commands_config_replay_and_providers(lane, central):
    burst(lane, 5)
    assert central.wait_contiguous(10, 30).ok(10)
    cfg = command("config.get")
    central.send("cmd/req", cfg)
    res = result_of(central, cfg["id"])
    assert res["ok"] and res["result"]["lane"]["id"] == "in-01"
    assert res["result"]["mqtt"]["password_credential"] == "***"
    received = central.report(10).received
    replay = command("events.replay", {"from_seq": 3})
    central.send("cmd/req", replay)
    assert result_of(central, replay["id"])["result"]["from_seq"] == 3
    lane.wait_for(lambda: central.report(10).received >= received + 8, 30, "replayed events")
    snap = command("snapshot", {"camera": "front"})  # this lane has no such camera
    central.send("cmd/req", snap)
    assert result_of(central, snap["id"])["error"]["code"] == "invalid"
    selftest = command("selftest.run", {})
    central.send("cmd/req", selftest)
    report = result_of(central, selftest["id"], timeout=60)
    assert report["ok"] and "store" in {r["check"] for r in report["result"]["results"]}
    opened = command("barrier.open", {"reason": "paper pass"})
    central.send("cmd/req", opened)
    assert result_of(central, opened["id"])["ok"]
    assert lane.wait_event("passage.decided", decision__by=f"central:{opened['id']}")


def test_pass_deltas_gap_and_snapshot(lane, central):
    req = central.wait_message("passes/sync-req")  # empty store: asks at start
    assert req == {"have_version": 0}
    chunks = [[pass_body("P-1", "29C-123.45")], [pass_body("P-2", "51F67890")]]
    central.send("passes/sync", {"version": 5, "chunk": 2, "of": 2, "passes": chunks[1]})
    time.sleep(0.5)  # half a snapshot never replaces anything
    assert lane.client().call("status")["passes"]["count"] == 0
    central.send("passes/sync", {"version": 5, "chunk": 1, "of": 2, "passes": chunks[0]})
    lane.wait_for(lambda: lane.client().call("status")["passes"] == {"count": 2, "version": 5},
                  30, "snapshot applied")
    central.send("passes", {"version": 6, "op": "upsert", "pass": pass_body("P-3", "29C99999")},
                 site_wide=True)
    central.send("passes", {"version": 7, "op": "revoke", "pass": {"id": "P-1"}}, site_wide=True)
    lane.wait_for(lambda: lane.client().call("status")["passes"]["version"] == 7, 30, "deltas")
    found = lane.client().call("passes.lookup", plate="29C-123.45")["passes"]
    assert found[0]["status"] == "revoked"
    central.send("passes", {"version": 9, "op": "upsert", "pass": pass_body("P-4", "15H1")},
                 site_wide=True)  # 8 is missing: a gap asks for a snapshot
    assert central.wait_message("passes/sync-req", lambda m: m["have_version"] == 7)
    central.send("passes/sync", {"version": 8, "chunk": 1, "of": 1,
                                 "passes": [pass_body("P-9", "29C88888")]})
    lane.wait_for(lambda: lane.client().call("status")["passes"] == {"count": 2, "version": 9},
                  30, "snapshot then held delta 9")


def test_signed_commands(tmp_path, broker, central, lanes):
    key = Ed25519PrivateKey.generate()
    x = b64url_encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    central.send("keys", {"keys": [{"kid": "k1", "alg": "EdDSA", "x": x, "nbf": None,
                                    "exp": None}]}, site_wide=True, retain=True)
    g = sync_lane(tmp_path, broker.port, require_signed_commands=True).start()
    lanes.append(g)
    wait_online(g)
    unsigned = command("config.get")
    central.send("cmd/req", unsigned)
    assert result_of(central, unsigned["id"])["error"]["code"] == "unauthorized"
    signed = command("config.get")
    signed["sig"] = sign_command(signed, "k1", key)
    central.send("cmd/req", signed)
    assert result_of(central, signed["id"])["ok"]
    tampered = command("lane.set_mode", {"mode": "closed"})
    tampered["sig"] = sign_command({**tampered, "args": {"mode": "auto"}}, "k1", key)
    central.send("cmd/req", tampered)
    assert result_of(central, tampered["id"])["error"]["code"] == "unauthorized"


def test_mqtt_311(tmp_path, broker, central, lanes):
    g = sync_lane(tmp_path, broker.port, protocol="3.1.1").start()
    lanes.append(g)
    assert wait_online(g)["uplink"]["protocol"] == "3.1.1"
    burst(g, 10)
    assert central.wait_contiguous(20, 30).ok(20)
    g.wait_for(lambda: g.client().call("status")["outbox"]["acked_upto"] == 20, 30, "acked")


def test_images_published_with_content_type(tmp_path, broker, central, lanes):
    store = Store(tmp_path / "gated.db", site="huu-nghi", lane="in-01")
    store.open()
    jpeg = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40 + b"\xff\xd9"
    add_image(store, "0193aaaa-0000-7000-8000-000000000001", "plate", jpeg)
    store.close()
    g = sync_lane(tmp_path, broker.port).start()
    lanes.append(g)
    wait_online(g)
    topic = "images/0193aaaa-0000-7000-8000-000000000001/plate"
    g.wait_for(lambda: central.messages(topic), 30, "image published")
    payload, props = central.messages(topic)[0]
    assert payload == jpeg and props.ContentType == "image/jpeg"
