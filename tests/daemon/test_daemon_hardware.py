"""The real daemon on real protocol peers: Modbus TCP I/O module, serial board and scanner.

The lane has no camera here, so a vehicle is identified by its QR pass only (manual:
no plate to bind it to) and an operator opens; everything else is the real flow over
the wire, including a Modbus link loss in the middle.
"""

from __future__ import annotations

import time

import pytest

from gated.core.timefmt import parse_rfc3339
from scripts.peers.gated_proc import Gated, gatectl, write_config
from scripts.peers.processes import PtyPair, free_port, modbus_peer, serial_peer

HARDWARE = """
[io]
driver = "modbus"
profile = "relay-8x8"
transport = "tcp"
host = "127.0.0.1"
port = {port}

[board]
driver = "serial"
device = "{board}"

[scanner]
driver = "serial"
device = "{scanner}"
"""


@pytest.fixture
def rig(tmp_path):
    port = free_port()
    io = modbus_peer(tmp_path, "relay-8x8", tcp_port=port)
    board_pty, scan_pty = PtyPair(tmp_path, "board"), PtyPair(tmp_path, "scan")
    board = serial_peer(tmp_path, board_pty.b, "board-peer")
    scanner = serial_peer(tmp_path, scan_pty.b, "scanner-peer")
    cfg = write_config(tmp_path, HARDWARE.format(port=port, board=board_pty.a,
                                                 scanner=scan_pty.a), sim=False)
    g = Gated(cfg).start()
    yield g, io, board, scanner, port, tmp_path
    g.stop()
    for p in (scanner, board, io, scan_pty, board_pty):
        p.stop()


def test_passage_over_real_modbus_and_serial(rig):
    g, io, board, scanner, _, _ = rig
    g.wait_for(lambda: g.client().call("status")["inputs"], what="inputs read over Modbus")
    io.request({"op": "set", "inputs": {"presence": True}})
    g.wait_for(lambda: g.client().call("status")["state"]["phase"] == "identifying",
               what="passage started by the presence loop")
    scanner.request({"op": "send", "hex": b"GPR:P-404\r\n".hex()})
    rejected = g.wait_event("pass.rejected")
    assert rejected["reason"] == "unknown_pass"
    decided = g.wait_event("passage.decided", timeout=15)
    assert decided["decision"]["result"] == "deny"
    board.wait_event(lambda e: e.get("event") == "frame" and "NO ENTRY" in str(e.get("text")))
    res = gatectl("open", "--operator", "tran.thi.b", "--reason", "checked papers",
                  "--socket", str(g.socket))
    assert res.returncode == 0, res.stderr
    io.wait_event(lambda e: e.get("event") == "output" and e.get("name") == "green"
                  and e.get("value") is True)
    io.request({"op": "set", "inputs": {"presence": False, "safety": True}})
    time.sleep(0.5)
    io.request({"op": "set", "inputs": {"safety": False}})
    done = g.wait_event("passage.completed", timeout=20)
    assert done["passage_id"] == decided["passage_id"] and done["vehicles"] == 1
    state = io.request({"op": "state"})
    assert state["inputs"]["closed_limit"] is True


def test_modbus_link_loss_is_a_fault_within_a_second_and_recovers(rig, tmp_path):
    g, io, _, _, port, _ = rig
    g.wait_for(lambda: g.client().call("status")["inputs"], what="inputs read")
    killed_at = time.time()
    io.kill()
    fault = g.wait_event("device.fault", device="io")
    assert parse_rfc3339(fault["ts"]) - killed_at < 1.0
    status = g.client().call("status")
    assert status["outputs"] is None or status["inputs"] is None
    again = modbus_peer(tmp_path, "relay-8x8", tcp_port=port, tag="modbus2")
    try:
        g.wait_event("device.recovered", device="io", timeout=30)
        g.wait_for(lambda: g.client().call("status")["inputs"], what="inputs read again")
    finally:
        again.stop()


def test_gatectl_io_show_and_pulse_rules(rig):
    g, io, _, _, _, _ = rig
    g.wait_for(lambda: g.client().call("status")["inputs"], what="inputs read")
    sock = ["--socket", str(g.socket)]
    shown = gatectl("io", "--json", *sock)
    assert shown.returncode == 0, shown.stderr
    assert '"presence"' in shown.stdout
    pulse = ["io", "pulse", "barrier_open", "--ms", "300", "--operator", "tran.van.b",
             "--reason", "wiring check", *sock]
    assert gatectl(*pulse).returncode != 0  # no --yes: refused before asking the daemon
    refused = gatectl(*pulse, "--yes")
    assert refused.returncode == 1 and "manual" in refused.stderr  # lane is in auto mode
    assert gatectl("mode", "manual", "--operator", "tran.van.b", "--reason", "wiring",
                   *sock).returncode == 0
    mark = io.mark()
    done = gatectl(*pulse, "--yes")
    assert done.returncode == 0, done.stderr
    io.wait_event(lambda e: e.get("event") == "output" and e.get("name") == "barrier_open"
                  and e.get("value") is True, start=mark)


def test_barrier_on_a_serial_controller(tmp_path):
    """[barrier] driver = "serial": an operator's open reaches the controller as ``B O`` (not
    the module's contacts), green follows the open limit switch, the close after the vehicle
    has cleared is ``B C``; a silent controller is an ``io`` fault naming it."""
    port = free_port()
    io = modbus_peer(tmp_path, "relay-8x8", tcp_port=port)
    board_pty, scan_pty, ctl_pty = (PtyPair(tmp_path, n) for n in ("board", "scan", "ctl"))
    peers = [serial_peer(tmp_path, pty.b, f"{n}-peer") for n, pty in
             (("board", board_pty), ("scanner", scan_pty), ("ctl", ctl_pty))]
    ctl = peers[2]
    extra = f'[barrier]\ndriver = "serial"\ndevice = "{ctl_pty.a}"\n'
    cfg = write_config(tmp_path, HARDWARE.format(port=port, board=board_pty.a,
                                                 scanner=scan_pty.a) + extra, sim=False)
    g = Gated(cfg).start()
    try:
        g.wait_for(lambda: g.client().call("status")["inputs"], what="inputs read over Modbus")
        io.request({"op": "set", "inputs": {"presence": True}})
        g.wait_event("passage.decided", timeout=20)  # no camera, no QR: a manual decision
        assert gatectl("open", "--operator", "tran.thi.b", "--reason", "checked papers",
                       "--socket", str(g.socket)).returncode == 0
        ctl.wait_event(lambda e: e.get("cmd") == "B" and e.get("data") == "O")
        io.request({"op": "barrier", "position": "open"})  # the controller raised the boom
        io.wait_event(lambda e: e.get("name") == "green" and e.get("value") is True)
        io.request({"op": "set", "inputs": {"presence": False, "safety": True}})
        time.sleep(0.5)
        io.request({"op": "set", "inputs": {"safety": False}})
        ctl.wait_event(lambda e: e.get("cmd") == "B" and e.get("data") == "C", timeout=20)
        assert not any(e.get("event") == "output" and e.get("name", "").startswith("barrier")
                       and e.get("value") for e in io.events)
        before = max(e["seq"] for e in g.events())  # a loaded machine may have had an io fault already
        ctl.request({"op": "mode", "mode": "silent"})
        fault = g.wait_for(lambda: next((e for e in g.events() if e["seq"] > before and e["type"] ==
                                         "device.fault" and e.get("device") == "io"), None),
                           what="io fault after the controller went silent")
        assert "barrier controller barrier" in fault["reason"]
    finally:
        g.stop()
        for p in (*peers, io, board_pty, scan_pty, ctl_pty):
            p.stop()
