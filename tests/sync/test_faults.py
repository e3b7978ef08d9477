"""Delivery under faults, against a real mosquitto: zero events lost, none reordered.

Events are produced by the real daemon: mode changes through its control socket (what
``gatectl mode`` sends), each committing ``operator.action`` and ``lane.mode_changed``.
The test central de-duplicates by id and checks seq continuity.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import threading
import time

import pytest

from scripts.peers.mqtt import FaultProxy
from tests.sync.lane import burst, last_seq, sync_lane, wait_online


class Burster:
    """Bursts in a background thread while the test breaks things."""

    def __init__(self, lane, n: int) -> None:
        self.done = 0
        self._t = threading.Thread(target=lambda: setattr(self, "done", burst(lane, n)))
        self._t.start()

    def join(self) -> int:
        self._t.join(timeout=300)
        return self.done


def assert_delivered(central, lane, timeout: float = 120.0) -> int:
    """Every seq 1..last delivered, none conflicting, none reordered after de-duplication."""
    last = last_seq(lane)
    report = central.wait_contiguous(last, timeout)
    assert report.lost == 0 and report.conflicts == 0 and report.unique == last, report
    assert report.reordered == 0, report
    return last


@pytest.mark.parametrize("persistence", [True, False], ids=["persistent", "no-persistence"])
def test_broker_killed_and_restarted(tmp_path, broker, central, lanes, persistence):
    if not persistence:
        broker.persistence = False
        broker.conf.write_text(broker.conf.read_text().replace("persistence true",
                                                                 "persistence false"))
        broker.restart(signal.SIGTERM)
        central.connected.wait(20)
    lane = sync_lane(tmp_path, broker.port).start()
    lanes.append(lane)
    wait_online(lane)
    b = Burster(lane, 150)
    time.sleep(0.3)
    broker.kill()  # SIGKILL: whatever mosquitto had not saved is gone
    time.sleep(1.0)
    broker.start()
    assert b.join() == 150
    burst(lane, 20)
    assert assert_delivered(central, lane) >= 340


def test_network_cut_by_proxy(tmp_path, broker, central, lanes):
    proxy = FaultProxy(broker.port)
    try:
        lane = sync_lane(tmp_path, proxy.port).start()
        lanes.append(lane)
        wait_online(lane)
        b = Burster(lane, 300)
        for mode, hold in (("stall", 6.0), ("pass", 1.5), ("reset", 1.0), ("drop", 2.0),
                           ("pass", 1.0), ("reset", 0.5), ("stall", 2.0), ("pass", 0.0)):
            proxy.set(mode)
            time.sleep(hold)
        b.join()
        burst(lane, 10)
        assert_delivered(central, lane)
        status = lane.client().call("status")["uplink"]
        assert status["online"] and status["connects"] >= 3  # it really was cut
    finally:
        proxy.close()


def test_gated_sigkilled_mid_burst_then_restarted(tmp_path, broker, central, lanes):
    lane = sync_lane(tmp_path, broker.port).start()
    lanes.append(lane)
    wait_online(lane)
    b = Burster(lane, 1000)
    time.sleep(1.0)
    lane.stop(signal.SIGKILL)
    b.join()
    lane.start()
    wait_online(lane)
    burst(lane, 10)
    assert assert_delivered(central, lane) > 20


def test_power_cut_twenty_times(tmp_path, broker, central, lanes):
    """SIGKILL while bursts are being written, 20 times: the store stays intact, seq is
    gap-free, and everything reaches central. (A process kill, not a real power loss:
    the kernel's page cache survives; synchronous=FULL is what covers the real one.)"""
    lane = sync_lane(tmp_path, broker.port)
    lanes.append(lane)
    for i in range(20):
        lane.start()
        b = Burster(lane, 500)
        time.sleep(0.2 + (i % 5) * 0.1)
        lane.stop(signal.SIGKILL)
        b.join()
    db = sqlite3.connect(tmp_path / "gated.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    seqs = [r[0] for r in db.execute("SELECT seq FROM events ORDER BY seq")]
    last = int(db.execute("SELECT value FROM meta WHERE key = 'last_seq'").fetchone()[0])
    assert seqs == list(range(1, last + 1)) and last > 40
    db.close()
    lane.start()
    wait_online(lane)
    assert assert_delivered(central, lane) == last


def _mount_tmpfs(path, size: str) -> bool:
    path.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                         capture_output=True, check=False)
    return res.returncode == 0


def test_disk_full_on_the_store_filesystem(tmp_path, broker, central, lanes):
    fs = tmp_path / "fs"
    if not _mount_tmpfs(fs, "8m"):
        pytest.skip("cannot mount a tmpfs here (needs root / CAP_SYS_ADMIN)")
    try:
        lane = sync_lane(tmp_path, broker.port)
        lane.config.write_text(lane.config.read_text().replace(
            f'path = "{tmp_path}/gated.db"', f'path = "{fs}/gated.db"'))
        lane.start()
        lanes.append(lane)
        wait_online(lane)
        burst(lane, 20)
        filler = fs / "filler"
        with open(filler, "wb") as f:  # whatever else fills the disk (logs, a core dump)
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        accepted = 0
        for _ in range(40):  # until the store reports the disk full
            accepted += burst(lane, 25)
            if not lane.client().call("status")["store"]["ok"]:
                break
        store = lane.client().call("status")["store"]
        assert not store["ok"] and "full" in store["error"], store
        accepted += burst(lane, 25)  # the lane keeps working: events wait in memory
        filler.unlink()
        lane.wait_for(lambda: lane.client().call("status")["store"]["ok"], 60, "store back")
        burst(lane, 10)
        last = assert_delivered(central, lane)
        assert last >= 2 * (20 + accepted + 10)
        types = {e["type"] for e in lane.events(limit=10_000)}
        assert {"device.fault", "device.recovered"} <= types
    finally:
        for g in lanes:
            if g.proc is not None and g.proc.poll() is None:
                g.stop()
        subprocess.run(["umount", "-l", str(fs)], capture_output=True, check=False)
