"""The Prometheus endpoint: telemetry figures as metrics, served by the real daemon on
loopback only."""

from __future__ import annotations

import json
import urllib.request

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from prometheus_client import CollectorRegistry, generate_latest

from gated.config.schema import LaneConfig
from gated.metrics import families
from scripts.peers.gated_proc import Gated, write_config
from scripts.peers.processes import free_port

TELEMETRY = {
    "ts": "2026-11-23T10:15:30.123+07:00", "boot_id": "b", "uptime_s": 12.5,
    "devices": [{"name": "io", "kind": "io", "ok": True, "detail": "ok", "faults": 2},
                {"name": "front", "kind": "camera", "ok": False, "detail": "no frame"}],
    "queue": {"last_seq": 40, "acked_upto": 31, "depth": 9, "buffered": 0},
    "uplink": {"online": False, "detail": "connecting", "broker": "central:8883"},
    "passes": {"count": 120, "version": 7},
    "disk": {"db_bytes": 4096, "fs_free_bytes": 10**10, "alarm": False},
    "frame_rates": {"front": 24.8}, "latencies_ms": {"plate_read": 31.0},
}


class Fixed:
    def __init__(self, t: dict) -> None:
        self.t = t

    def collect(self):
        return families(self.t)


def exposition(t: dict) -> str:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(Fixed(t))
    return generate_latest(registry).decode()


def test_every_telemetry_figure_becomes_a_metric():
    text = exposition(TELEMETRY)
    for line in ('gated_device_up{device="io",kind="io"} 1.0',
                 'gated_device_up{device="front",kind="camera"} 0.0',
                 'gated_device_faults_total{device="io",kind="io"} 2.0',
                 "gated_queue_depth 9.0", "gated_uplink_online 0.0", "gated_passes_count 120.0",
                 "gated_disk_fs_free_bytes 1e+10", 'gated_frame_rate_fps{camera="front"} 24.8',
                 'gated_latency_ms{name="plate_read"} 31.0', "gated_uptime_seconds 12.5"):
        assert line in text, line
    assert "central:8883" not in text  # text is not a metric


def test_metrics_are_for_loopback_only():
    base = {"lane": {"site": "s", "id": "l", "direction": "in"}}
    for listen in ("0.0.0.0", "192.168.1.10", "lane-pc"):
        with pytest.raises(ValueError, match="loopback only"):
            LaneConfig.model_validate({**base, "metrics": {"listen": listen}})
    assert LaneConfig.model_validate({**base, "metrics": {"listen": "::1"}}).metrics.listen == "::1"


def test_the_daemon_serves_its_telemetry_on_localhost(tmp_path):
    port = free_port()
    cfg = write_config(tmp_path, f"[metrics]\nenabled = true\nport = {port}\n")
    g = Gated(cfg).start()
    try:
        g.wait_event("passage.decided")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as rsp:
            text = rsp.read().decode()
    finally:
        g.stop()
    assert 'gated_device_up{device="io",kind="io"} 1.0' in text
    last_seq = next(float(ln.split()[1]) for ln in text.splitlines()
                    if ln.startswith("gated_queue_last_seq "))
    assert last_seq >= 1
    assert "gated_disk_fs_free_bytes" in text and "gated_process_resident_memory_bytes" in text


def test_with_the_uplink_prometheus_and_central_read_the_same_figures(tmp_path, broker):
    port = free_port()
    cfg = write_config(tmp_path, f"[metrics]\nenabled = true\nport = {port}\n",
                       f"[mqtt]\nenabled = true\nhost = \"127.0.0.1\"\nport = {broker.port}\n"
                       "telemetry_interval_s = 1.0\n")
    got: list[dict] = []
    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="central-test")
    sub.on_message = lambda c, u, m: got.append(json.loads(m.payload))
    sub.connect("127.0.0.1", broker.port)
    sub.subscribe("gate/v1/huu-nghi/in-01/telemetry", qos=0)
    sub.loop_start()
    g = Gated(cfg).start()
    try:
        g.wait_for(lambda: any(t["uplink"].get("online") for t in got), what="telemetry online")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as rsp:
            text = rsp.read().decode()
    finally:
        g.stop()
        sub.loop_stop()
        sub.disconnect()
    central = got[-1]
    assert "gated_uplink_online 1.0" in text
    for row in central["devices"]:
        assert f'gated_device_up{{device="{row["name"]}",kind="{row["kind"]}"}}' in text
    for key in central["queue"]:  # every queue figure central gets, Prometheus gets
        assert f"gated_queue_{key} " in text, key
