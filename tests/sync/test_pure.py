"""Unit tests of the pure cores: parsers, pass sync, command checks, signatures, window,
retention plan, backoff and protocol fallback. No broker, no I/O."""

from __future__ import annotations

import json
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st

from gated.core.passes import Pass
from gated.core.timefmt import rfc3339
from gated.qr.jws import b64url_encode
from gated.qr.keyring import Keyring, parse_keys_payload
from gated.sync import commands as cm
from gated.sync import passsync as ps
from gated.sync.client import Opened, next_protocol
from gated.sync.messages import BadMessage, Chunk, Delta, decode_object, parse_ack, parse_delta
from gated.sync.outbox import Window
from gated.sync.retention import Policy, Usage, alarm_state, plan
from gated.sync.signing import sign_command
from gated.sync.uplink import backoff_s


def _pass(pid: str) -> Pass:
    return Pass.model_validate({"id": pid, "plate": "29C12345", "valid_from": rfc3339(0),
                                "valid_to": rfc3339(2e9)})


def delta(v: int, pid: str = "P", op: str = "upsert") -> Delta:
    return Delta(v, op, _pass(pid) if op == "upsert" else None, pid)


# ------------------------------------------------------------------ messages
@pytest.mark.parametrize("raw,reason", [
    (b"{", "malformed"), (b"[]", "malformed"), (b'{"a":1,"a":2}', "malformed"),
    (b'{"a": NaN}', "malformed"), (b"\xff", "malformed"), (b"x" * 300_000, "oversize"),
])
def test_decode_refuses_with_a_reason(raw, reason):
    with pytest.raises(BadMessage) as err:
        decode_object(raw)
    assert err.value.reason == reason


def test_ack_and_delta_types():
    assert parse_ack(b'{"upto_seq": 7}') == 7
    for bad in (b'{"upto_seq": true}', b'{"upto_seq": -1}', b'{"upto_seq": "7"}', b"{}"):
        with pytest.raises(BadMessage):
            parse_ack(bad)
    d = parse_delta(json.dumps({"version": 3, "op": "revoke", "pass": {"id": "P-1"}}).encode())
    assert (d.version, d.op, d.pass_id, d.pass_) == (3, "revoke", "P-1", None)
    with pytest.raises(BadMessage):
        parse_delta(b'{"version": 3, "op": "delete", "pass": {"id": "P-1"}}')
    with pytest.raises(BadMessage):
        parse_delta(b'{"version": 3, "op": "upsert", "pass": {"id": "P-1"}}')


# ---------------------------------------------------------------- pass sync
def test_deltas_apply_in_order_and_redeliveries_are_ignored():
    s = ps.SyncState(version=4)
    s, acts = ps.on_delta(s, delta(5), 0)
    assert acts == (ps.Apply((_pass("P"),), (), 5),) and s.version == 5
    assert ps.on_delta(s, delta(5), 0) == (s, ())


def test_gap_holds_and_requests_once_then_snapshot_drains():
    s = ps.SyncState(version=1)
    s, acts = ps.on_delta(s, delta(3, "A"), 0)
    assert acts == (ps.Request(1),) and s.awaiting_snapshot
    s, acts = ps.on_delta(s, delta(4, "B", "revoke"), 1)
    assert acts == ()  # already asked
    half = Chunk(2, 1, 2, (_pass("X"),))
    s, acts = ps.on_chunk(s, half, 2)
    assert acts == () and s.version == 1  # half a snapshot replaces nothing
    s, acts = ps.on_chunk(s, Chunk(2, 2, 2, (_pass("Y"),)), 3)
    assert acts == (ps.Replace((_pass("X"), _pass("Y")), 2),
                    ps.Apply((_pass("A"),), ("B",), 4))
    assert s.version == 4 and not s.held and not s.awaiting_snapshot


def test_empty_store_asks_and_retry_after_timeout():
    s, acts = ps.on_start(ps.SyncState(), 0, 100.0)
    assert acts == (ps.Request(0),)
    assert ps.on_tick(s, 100.0 + ps.RETRY_S - 1)[1] == ()
    assert ps.on_tick(s, 100.0 + ps.RETRY_S)[1] == (ps.Request(0),)
    assert ps.on_start(ps.SyncState(), 3, 0)[1] == ()


@settings(max_examples=200, deadline=None)
@given(st.permutations(list(range(2, 12))))
def test_any_delivery_order_ends_at_the_last_version(order):
    """Deltas 2..11 in any order after version 1: every one applied exactly once."""
    s = ps.SyncState(version=1)
    applied: list[str] = []
    for v in order:
        s, acts = ps.on_delta(s, delta(v, f"P{v}"), 0)
        for a in acts:
            if isinstance(a, ps.Apply):
                applied += [p.id for p in a.upserts]
    assert s.version == 11 and applied == [f"P{v}" for v in range(2, 12)]


# ----------------------------------------------------------------- commands
def cmd_obj(**over) -> dict:
    now = time.time()
    base = {"id": "0193-a", "name": "barrier.open", "args": {"reason": "paper pass"},
            "operator": "op", "issued_at": rfc3339(now), "expires_at": rfc3339(now + 30)}
    return {**base, **over}


def check(obj: dict, now: float | None = None, **kw) -> cm.Refusal | None:
    return cm.check(cm.parse_command(obj), now=now or time.time(), skew_s=2.0,
                    require_signed=kw.get("signed", False), keys=kw.get("keys", lambda k: None))


def test_command_checks():
    assert check(cmd_obj()) is None
    assert check(cmd_obj(expires_at=None)).code == "expired"
    assert check(cmd_obj(), now=time.time() + 33).code == "expired"
    assert check(cmd_obj(), now=time.time() + 31) is None  # within the 2 s skew
    assert check(cmd_obj(name="self.destruct")).code == "unknown_command"
    assert check(cmd_obj(name="lane.set_mode", args={"mode": "party"})).code == "invalid"
    assert check(cmd_obj(name="events.replay", args={"from_seq": True})).code == "invalid"
    assert check(cmd_obj(args={})).code == "invalid"
    with pytest.raises(BadMessage):
        cm.parse_command(cmd_obj(id=5))
    with pytest.raises(BadMessage):
        cm.parse_command(cmd_obj(expires_at="tomorrow"))


def test_signatures():
    key = Ed25519PrivateKey.generate()
    x = b64url_encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    update = parse_keys_payload(json.dumps({"keys": [
        {"kid": "k1", "alg": "EdDSA", "x": x, "nbf": None, "exp": "2099-01-01T00:00:00+07:00"},
        {"kid": "bad", "alg": "RS256", "x": x, "nbf": None, "exp": None}]}).encode())
    keys = Keyring().with_topic(update)  # the lane's one keyring, shared with QR passes
    assert keys.kids == ("k1",) and len(update.rejected) == 1
    obj = cmd_obj()
    signed = {**obj, "sig": sign_command(obj, "k1", key)}
    assert check(signed, signed=True, keys=keys.get) is None
    assert check(obj, signed=True, keys=keys.get).code == "unauthorized"
    forged = {**obj, "args": {"reason": "other"}, "sig": signed["sig"]}
    assert check(forged, signed=True, keys=keys.get).code == "unauthorized"
    other = Ed25519PrivateKey.generate()
    assert check({**obj, "sig": sign_command(obj, "k1", other)}, signed=True,
                 keys=keys.get).code == "unauthorized"
    hs256 = {**obj, "sig": signed["sig"].replace(signed["sig"].split(".")[0], b64url_encode(
        json.dumps({"alg": "HS256", "kid": "k1"}).encode()))}
    assert check(hs256, signed=True, keys=keys.get).code == "unauthorized"


def test_redaction():
    out = cm.redact({"mqtt": {"password_credential": "x", "host": "h"}, "token": None})
    assert out == {"mqtt": {"password_credential": "***", "host": "h"}, "token": None}


# ------------------------------------------------------------------- window
def test_window_pubacks_out_of_order_and_rewind():
    w = Window.starting_at(10, size=3)
    for mid, seq in ((1, 10), (2, 11), (3, 12)):
        w.published(mid, seq)
    assert w.room() == 0 and w.next_seq == 13
    assert w.on_puback(2) is None  # 10 still open
    assert w.on_puback(1) == (10, 11)
    assert w.on_puback(99) is None
    assert w.on_puback(3) == (12, 12)
    w.rewind(5)
    assert w.next_seq == 5 and w.room() == 3


# ---------------------------------------------------------------- retention
MB = 1 << 20


def test_retention_evicts_images_first_then_acked_events_only():
    p = Policy(budget=100 * MB, min_free=10 * MB)
    u = Usage(db_bytes=80 * MB, image_bytes=30 * MB, fs_free=500 * MB, events=80_000,
              unacked=10_000)
    pl = plan(u, p)
    assert pl.free_image_bytes == 10 * MB and pl.prune_events == 0
    u2 = Usage(db_bytes=120 * MB, image_bytes=5 * MB, fs_free=500 * MB, events=120_000,
               unacked=119_000)
    pl2 = plan(u2, p)
    assert pl2.free_image_bytes == 5 * MB and pl2.prune_events == 1000  # never unacked
    low_disk = Usage(db_bytes=10 * MB, image_bytes=50 * MB, fs_free=2 * MB, events=10, unacked=0)
    assert plan(low_disk, p).free_image_bytes == 8 * MB


def test_alarm_hysteresis():
    assert alarm_state(False, 0.8, 0.8) and not alarm_state(False, 0.79, 0.8)
    assert alarm_state(True, 0.6, 0.8) and not alarm_state(True, 0.55, 0.8)


# --------------------------------------------------------- connection policy
def test_backoff_and_protocol_fallback():
    assert backoff_s(0, 1, 60, 0.5) == 1.0 and backoff_s(10, 1, 60, 0.5) == 60.0
    assert 0.8 <= backoff_s(0, 1, 60, 0.0) <= backoff_s(0, 1, 60, 1.0) <= 1.2 + 1e-9
    refused = Opened(False, reason="Unsupported protocol version", unsupported_protocol=True)
    assert next_protocol("auto", "5", refused) == "3.1.1"
    assert next_protocol("auto", "5", Opened(False, reason="Not authorized")) == "5"
    assert next_protocol("5", "5", refused) == "5"
    assert next_protocol("3.1.1", "5", None) == "3.1.1"


def test_a_failing_listener_never_fails_the_lane():
    from gated.daemon.runtime import Bus

    seen = []

    def broken(event):
        raise ConnectionError("publish failed: The connection was lost.")

    bus = Bus(listeners=[broken, seen.append])
    bus.publish({"id": "e1", "type": "lane.mode_changed"})
    assert seen == [{"id": "e1", "type": "lane.mode_changed"}]
