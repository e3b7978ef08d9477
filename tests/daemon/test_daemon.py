"""The real daemon as a process: the demo lane, gatectl, restarts, bad input, systemd."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3

import pytest

from scripts.peers.gated_proc import Gated, gatectl, write_config


@pytest.fixture
def lane(tmp_path):
    g = Gated(write_config(tmp_path)).start()
    yield g
    g.stop()


def seqs(events: list[dict]) -> list[int]:
    return [e["seq"] for e in events]


def test_sim_lane_grants_and_denies(lane):
    granted = lane.wait_event("passage.decided", decision__result="grant")
    assert granted["vehicle"]["plate"] == "29C12345" and granted["pass"]["id"] == "P-1"
    done = lane.wait_event("passage.completed")
    assert done["passage_id"] == granted["passage_id"] and done["vehicles"] == 1
    denied = lane.wait_event("passage.decided", decision__result="deny")
    assert denied["decision"]["reasons"] == ["no_pass"]
    for e in lane.events():  # the contract's envelope on every event
        assert {"v", "id", "seq", "ts", "site", "lane", "type"} <= e.keys()
        assert e["ts"].endswith("+07:00") and e["site"] == "huu-nghi"


def test_gatectl_status_events_open(lane):
    lane.wait_event("passage.decided")
    sock = str(lane.socket)
    status = json.loads(gatectl("status", "--json", "--socket", sock, check=True).stdout)
    assert status["lane"]["lane"] == "in-01" and status["store"]["ok"]
    assert {d["name"] for d in status["devices"]} >= {"io", "board"}
    assert status["outbox"]["last_seq"] >= 1
    human = gatectl("--socket", sock, "status", check=True).stdout
    assert "huu-nghi/in-01" in human and "DEVICE" in human
    out = gatectl("events", "--limit", "5", "--socket", sock, check=True).stdout
    assert out.splitlines()[0].split()[:3] == ["SEQ", "TIME", "TYPE"]
    lane.wait_for(lambda: lane.client().call("status")["state"]["phase"] == "idle",
                  what="idle lane")
    res = gatectl("open", "--operator", "tran.thi.b", "--reason", "escort", "--socket", sock)
    assert res.returncode == 0, res.stderr
    action = lane.wait_event("operator.action", operator="tran.thi.b")
    assert action["reason"] == "escort"
    assert lane.wait_event("passage.decided", decision__by="operator:tran.thi.b")
    bad = gatectl("open", "--operator", " ", "--reason", "x", "--socket", sock)
    assert bad.returncode == 1 and "operator and a reason" in bad.stderr
    db = sqlite3.connect(lane.config.parent / "gated.db")
    audit = db.execute("SELECT operator, action, ok FROM audit ORDER BY rowid").fetchall()
    assert audit == [("tran.thi.b", "open", 1), ("", "open", 0)]


def test_mode_and_passes_lookup(lane):
    sock = str(lane.socket)
    res = gatectl("mode", "closed", "--operator", "le.van.c", "--reason", "maintenance",
                  "--socket", sock)
    assert res.returncode == 0 and "mode closed" in res.stdout
    changed = lane.wait_event("lane.mode_changed")
    assert changed["to"] == "closed" and changed["by"] == "operator:le.van.c"
    look = json.loads(gatectl("passes", "lookup", "29C-I23.45", "--json", "--socket", sock).stdout)
    assert look["plate"] == "29CI2345" and look["passes"][0]["match"] == "fuzzy"
    assert look["would_decide"]["reasons"] == ["lane_closed"]


def test_seq_gap_free_across_restart_and_kill(tmp_path):
    cfg = write_config(tmp_path)
    g = Gated(cfg).start()
    g.wait_event("passage.decided")
    assert g.stop(signal.SIGTERM) == 0
    g.start()
    g.wait_for(lambda: len(g.events()) >= 3, what="events after restart")
    g.stop(signal.SIGKILL)
    g.start()
    g.wait_for(lambda: g.client().call("status")["inputs"], what="inputs read")
    g.client().call("open", operator="a", reason="after power cut")
    events = g.wait_for(lambda: [e for e in g.events() if e["type"] == "operator.action"] and
                        g.events(), what="operator event")
    g.stop()
    assert seqs(events) == list(range(1, len(events) + 1))
    assert len({e["id"] for e in events}) == len(events)


def test_gatectl_when_daemon_not_running(tmp_path):
    res = gatectl("status", "--socket", str(tmp_path / "none.sock"))
    assert res.returncode == 1
    assert res.stderr.strip().count("\n") == 0 and "not running" in res.stderr
    assert "Traceback" not in res.stderr


def test_bad_requests_get_errors_and_daemon_carries_on(lane):
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(lane.socket))
        f = s.makefile("rwb")
        for raw, code in ((b"{not json\n", "bad_json"), (b'{"cmd": 5}\n', "bad_request"),
                          (b'{"cmd": "rm -rf"}\n', "unknown_command"),
                          (b'{"cmd": "events", "args": {"limit": -1}}\n', "invalid"),
                          (b'\xff\xfe\n', "bad_json")):
            f.write(raw)
            f.flush()
            reply = json.loads(f.readline())
            assert reply["ok"] is False and reply["error"]["code"] == code, raw
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(lane.socket))
        s.sendall(b"x" * 200_000 + b"\n")
        reply = json.loads(s.makefile("rb").readline())
        assert reply["error"]["code"] == "too_large"
    assert lane.client().call("ping")["pong"] is True


def test_second_daemon_on_same_socket_refuses(lane, tmp_path):
    other = Gated(lane.config).start(wait=False)
    assert other.proc.wait(timeout=20) == 1
    assert "already running" in other.log_text()
    assert lane.client().call("ping")["pong"]


def test_corrupt_store_is_a_fault_not_a_crash_loop(tmp_path):
    (tmp_path / "gated.db").write_bytes(b"garbage" * 1000)
    g = Gated(write_config(tmp_path)).start()
    try:
        status = g.wait_for(lambda: (s := g.client().call("status"))["store"]["error"] and s,
                            what="store error in status")
        assert status["store"]["ok"] is False and "corrupt" in status["store"]["error"]
        store = [d for d in status["devices"] if d["name"] == "store"][0]
        assert store["ok"] is False
        decided = g.wait_for(lambda: [e for e in g.client().call("status")["last_events"]
                                      if e["type"] == "passage.decided"], what="decision")
        assert decided[0]["decision"]["result"] == "manual"  # nothing recorded: no auto grant
        assert "store_fault" in decided[0]["decision"]["reasons"]
    finally:
        assert g.stop() == 0
    assert "Traceback" not in g.log_text()


def test_sd_notify_ready_and_watchdog(tmp_path):
    addr = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as ns:
        ns.bind(str(addr))
        ns.settimeout(20)
        g = Gated(write_config(tmp_path, sim=False),
                  env={"NOTIFY_SOCKET": str(addr), "WATCHDOG_USEC": "400000"}).start(wait=False)
        try:
            messages = [ns.recv(4096).decode() for _ in range(3)]
        finally:
            g.stop()
        assert "READY=1" in messages[0]
        assert all("WATCHDOG=1" in m for m in messages[1:])
        tail = ns.recv(4096).decode()
        while "STOPPING=1" not in tail:
            tail = ns.recv(4096).decode()


def test_unwritable_store_location_is_a_fault(tmp_path):
    """store.path under a regular file: nothing can be created there (even as root)."""
    (tmp_path / "not-a-dir").write_text("x")
    cfg = write_config(tmp_path, sim=False)
    cfg.write_text(cfg.read_text().replace(f"{tmp_path}/gated.db", f"{tmp_path}/not-a-dir/g.db"))
    g = Gated(cfg).start()
    try:
        status = g.wait_for(lambda: (s := g.client().call("status"))["store"]["error"] and s,
                            what="store error")
        assert not status["store"]["ok"] and "not-a-dir" in status["store"]["error"]
        faults = [e for e in status["last_events"] if e["type"] == "device.fault"]
        assert faults and faults[0]["device"] == "store"
    finally:
        assert g.stop() == 0


def test_a_closed_log_pipe_does_not_stop_the_lane(tmp_path):
    """journald restarting, or `gated ... | head`: logging must never take the lane down."""
    import subprocess

    from scripts.peers.gated_proc import gated_cmd

    cfg = write_config(tmp_path)
    proc = subprocess.Popen([*gated_cmd(), "--config", str(cfg)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    proc.stdout.readline()
    proc.stdout.close()  # the reader goes away; every later log line hits EPIPE
    g = Gated(cfg)
    g.proc = proc
    try:
        g.wait_ready()
        g.wait_event("passage.decided")  # the lane kept working, and logging, meanwhile
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(15)
