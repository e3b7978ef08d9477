"""``gatectl selftest`` on real peers: a healthy lane (through the running daemon, then
standalone with ``--yes``), the simulated demo lane, and a broken lane (dead camera,
frozen Modbus module, no broker) with the right failures and remedies."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from gated.field import anpr_bridge
from scripts.peers.gated_proc import Gated, gatectl, write_config
from scripts.peers.processes import PtyPair, free_port, serial_peer

LANE = """
[io]
driver = "modbus"
profile = "relay-8x8"
transport = "tcp"
host = "127.0.0.1"
port = {io_port}

[board]
driver = "serial"
device = "{board}"

[scanner]
driver = "serial"
device = "{scanner}"

[[cameras]]
name = "front"
driver = "rtsp"
url = "{camera}"

[mqtt]
enabled = true
host = "127.0.0.1"
port = {mqtt_port}
"""

# Steps whose outcome depends on the machine, not on the lane: NTP (CI has no NTP
# client), ANPR (not on every branch), what happens to be in front of the camera.
ENVIRONMENT = {("clock", "", "ntp"), ("camera", "front", "plate_read")}


def gatectl_cmd() -> list[str]:
    return [sys.executable, "-m", "gated.control.cli"]


def run_selftest(config: Path, *args: str) -> tuple[int, dict, str]:
    res = gatectl("--config", str(config), "selftest", "--json", *args, timeout=150)
    assert res.stdout.strip(), res.stderr
    return res.returncode, json.loads(res.stdout), res.stderr


def selftest_with_scan(config: Path, scanner, code: bytes) -> tuple[int, dict, str]:
    """Standalone with --yes; the scanner peer types ``code`` once the port is open."""
    proc = subprocess.Popen([*gatectl_cmd(), "--config", str(config), "selftest", "--json",
                             "--yes", "--scan-wait", "20"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    progress = []
    try:
        for line in proc.stderr:  # ends when gatectl exits, at the latest
            progress.append(line)
            if "qr scanner responds" in line:
                scanner.request({"op": "send", "hex": code.hex()})
                break
        out, err = proc.communicate(timeout=150)
    finally:
        proc.kill()
    return proc.returncode, json.loads(out), "".join(progress) + err


def fails(report: dict) -> list[dict]:
    return [r for r in report["results"] if r["status"] == "fail"]


def steps(report: dict) -> dict[tuple[str, str, str], dict]:
    return {(r["check"], r["device"], r["step"]): r for r in report["results"]}


def statuses(report: dict) -> dict[tuple[str, str, str], str]:
    return {k: r["status"] for k, r in steps(report).items() if k[0] != "models" and k not in ENVIRONMENT}


def assert_environment_is_honest(report: dict) -> None:
    s = steps(report)
    ntp = s[("clock", "", "ntp")]
    assert ntp["status"] in ("pass", "warn") and (ntp["status"] == "pass" or ntp["remedy"])
    plate = s[("camera", "front", "plate_read")]
    if not anpr_bridge.installed():
        assert (plate["status"], plate["detail"]) == ("warn", anpr_bridge.NOT_INSTALLED)
    for key, r in s.items():
        if key[0] == "models":
            assert r["status"] in ("pass", "warn"), r


@pytest.fixture
def lane(tmp_path, tcp_lane, camera, broker, stop_later):
    peer, io_port = tcp_lane
    board_pty, scan_pty = PtyPair(tmp_path, "board"), PtyPair(tmp_path, "scan")
    stop_later(board_pty)
    stop_later(scan_pty)
    board = serial_peer(tmp_path, board_pty.b, "board-peer")
    scanner = serial_peer(tmp_path, scan_pty.b, "scanner-peer")
    stop_later(board)
    stop_later(scanner)
    cfg = write_config(tmp_path, LANE.format(io_port=io_port, board=board_pty.a,
                                             scanner=scan_pty.a, camera=camera.url,
                                             mqtt_port=broker.port), sim=False)
    return cfg, peer, scanner


HEALTHY_IN_DAEMON = {
    ("io", "io", "connect"): "pass", ("io", "io", "inputs"): "pass",
    ("io", "io", "barrier_cycle"): "skip", ("lights", "io", "sequence"): "skip",
    ("serial", "board", "responds"): "pass",
    ("qr", "zxing", "decoder"): "pass", ("qr", "scanner", "responds"): "pass",
    ("camera", "front", "connect"): "pass", ("camera", "front", "decode"): "pass",
    ("camera", "front", "frame_rate"): "pass", ("camera", "front", "snapshot"): "pass",
    ("mqtt", "127.0.0.1", "dns"): "pass", ("mqtt", "127.0.0.1", "tcp"): "pass",
    ("mqtt", "127.0.0.1", "tls"): "skip", ("mqtt", "127.0.0.1", "auth"): "pass",
    ("mqtt", "127.0.0.1", "round_trip"): "pass",
    ("store", "", "free_disk"): "pass", ("store", "", "integrity"): "pass",
    ("store", "", "outbox"): "pass", ("clock", "", "plausible"): "pass",
}


def test_healthy_lane_through_the_daemon_then_standalone_with_yes(lane):
    cfg, _, scanner = lane
    g = Gated(cfg).start()
    try:
        g.wait_for(lambda: g.client().call("status")["inputs"], what="inputs over Modbus")
        rc, report, _ = run_selftest(cfg)
    finally:
        g.stop()
    assert (rc, report["mode"], report["ok"]) == (0, "daemon", True)
    assert statuses(report) == HEALTHY_IN_DAEMON
    assert_environment_is_honest(report)
    snap = Path(steps(report)[("camera", "front", "snapshot")]["detail"])
    assert snap.stat().st_size > 1000 and snap.read_bytes()[:2] == b"\xff\xd8"

    rc, report, progress = selftest_with_scan(cfg, scanner, b"GPR:P-404\r\n")
    assert (rc, report["mode"]) == (0, "standalone"), fails(report)
    s = steps(report)
    cycle = s[("io", "io", "barrier_cycle")]
    assert cycle["status"] == "pass" and cycle["figure"].startswith("open ")
    assert s[("lights", "io", "sequence")]["figure"] == "red > off > green > red"
    assert s[("serial", "board", "frame_errors")]["figure"] == "0 rejected"
    assert "10/10 pings" in s[("serial", "board", "responds")]["figure"]
    assert s[("qr", "scanner", "scan")]["detail"].endswith("lane's verdict: rejected (unknown_pass)")
    assert "[ 1]" in progress  # progress was shown while it ran


def test_simulated_demo_lane_passes_or_skips_honestly(tmp_path):
    cfg = write_config(tmp_path, "[sim]\nloop = false\n", sim=False)
    g = Gated(cfg).start()
    try:
        rc, report, _ = run_selftest(cfg)
    finally:
        g.stop()
    assert (rc, report["ok"], report["mode"]) == (0, True, "daemon")
    for r in report["results"]:
        key = (r["check"], r["device"], r["step"])
        if r["status"] == "skip":  # only what the simulated lane does not have
            assert r["remedy"], r
        elif key != ("clock", "", "ntp") and r["check"] != "models":
            assert r["status"] == "pass", r
    rc, report, _ = run_selftest(cfg, "--yes")
    assert (rc, report["mode"]) == (0, "standalone")
    assert steps(report)[("io", "io", "barrier_cycle")]["status"] == "skip"


def test_broken_lane_fails_with_the_right_remedies(tmp_path, tcp_lane):
    peer, io_port = tcp_lane
    cfg = write_config(tmp_path, LANE.format(
        io_port=io_port, board="/dev/null-board", scanner="/dev/null-scanner",
        camera=f"rtsp://127.0.0.1:{free_port()}/nobody", mqtt_port=free_port()), sim=False)
    peer.signal(signal.SIGSTOP)  # frozen: the kernel still accepts, nobody answers
    rc, report, _ = run_selftest(cfg)
    assert (rc, report["ok"], report["mode"]) == (1, False, "standalone")
    s = steps(report)
    io = s[("io", "io", "inputs")]
    assert io["status"] == "fail" and "does not answer" in io["remedy"]
    cam = s[("camera", "front", "connect")]
    assert cam["status"] == "fail" and "power and cable" in cam["remedy"]
    assert [s[("camera", "front", k)]["status"] for k in ("decode", "frame_rate", "snapshot")] == ["skip"] * 3
    mq = s[("mqtt", "127.0.0.1", "tcp")]
    assert mq["status"] == "fail" and "is the broker up" in mq["remedy"]
    assert s[("mqtt", "127.0.0.1", "round_trip")]["status"] == "skip"
    board = s[("serial", "board", "responds")]
    assert board["status"] == "fail" and "serial port is missing" in board["remedy"]

    g = Gated(cfg).start()  # the daemon sees the frozen module as down
    try:
        g.wait_for(lambda: "no valid reply" in _io_detail(g), what="I/O fault")
        rc, report, _ = run_selftest(cfg, "--only", "io")
    finally:
        g.stop()
        peer.signal(signal.SIGCONT)  # so that it can stop at once
    assert (rc, report["mode"]) == (1, "daemon")
    down = steps(report)[("io", "io", "connect")]
    assert down["status"] == "fail" and "no valid reply" in down["detail"]


def _io_detail(g: Gated) -> str:
    """The daemon's health detail of the I/O module. It starts down with "not connected yet"
    (no row at all before the link is built), so only the fault's own reason says that the
    daemon has found the frozen module and given up on it."""
    devices = g.client().call("status")["devices"]
    return next((d for d in devices if d["name"] == "io"), {"detail": ""})["detail"]


def test_standalone_io_check_covers_a_serial_barrier_controller(tmp_path, tcp_lane, pty_pair, stop_later):
    """[barrier] driver = "serial": the I/O check connects to the module and pings the
    controller; a silent controller fails the check with a remedy naming [barrier]."""
    _, io_port = tcp_lane
    ctl = serial_peer(tmp_path, pty_pair.b, "barrier-peer")
    stop_later(ctl)
    cfg = write_config(tmp_path, f'[io]\ndriver = "modbus"\nprofile = "relay-8x8"\ntransport = "tcp"\n'
                       f'host = "127.0.0.1"\nport = {io_port}\n[board]\ndriver = "none"\n'
                       f'[barrier]\ndriver = "serial"\ndevice = "{pty_pair.a}"\n', sim=False)
    _, report, _ = run_selftest(cfg, "--only", "io")
    connect = steps(report)[("io", "io", "connect")]
    assert connect["status"] == "pass" and f"barrier controller on {pty_pair.a}" in connect["detail"]
    ctl.request({"op": "mode", "mode": "silent"})
    rc, report, _ = run_selftest(cfg, "--only", "io")
    connect = steps(report)[("io", "io", "connect")]
    assert rc != 0 and connect["status"] == "fail"
    assert "barrier controller barrier does not answer" in connect["detail"]
    assert "[barrier] device/baudrate/address" in connect["remedy"]
