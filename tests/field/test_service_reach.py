"""The hardened unit still lets gated reach what a lane config names: its serial ports,
cameras and broker, its state and socket folders, the metrics port on loopback.

This machine has no systemd as PID 1, so the sandbox cannot be run here; these are the
unit's own settings read against the example config (systemd-analyze checks the rest
in tests/test_systemd_unit.py).
"""

from __future__ import annotations

import re
from pathlib import Path

from gated.config import load_config

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "systemd" / "gated.service"
EXAMPLE = load_config(ROOT / "config" / "lane.example.toml").config
# kernel device classes (/proc/devices names) behind the usual lane serial devices
SERIAL_CLASSES = {"ttyUSB": "char-ttyUSB", "ttyACM": "char-ttyACM", "ttyS": "char-ttyS"}


def settings() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#") and not line.startswith("["):
            key, value = line.split("=", 1)
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def serial_class(device: str) -> str:
    name = Path(device).name
    return next(cls for prefix, cls in SERIAL_CLASSES.items() if name.startswith(prefix))


def test_serial_ports_and_cameras_are_allowed():
    allowed = {v.split()[0]: v.split()[1] for v in settings()["DeviceAllow"]}
    for device in (EXAMPLE.board.device, EXAMPLE.scanner.device, "/dev/ttyS0", "/dev/ttyUSB0"):
        assert allowed.get(serial_class(device)) == "rw", device
    assert allowed.get("char-video4linux") == "rw"  # USB cameras
    assert {"dialout", "video"} <= set(" ".join(settings()["SupplementaryGroups"]).split())


def test_network_reaches_cameras_modbus_broker_and_local_metrics():
    families = " ".join(settings()["RestrictAddressFamilies"]).split()
    assert {"AF_INET", "AF_INET6", "AF_UNIX"} == set(families)
    assert "PrivateNetwork" not in settings() and "IPAddressDeny" not in settings()
    assert EXAMPLE.metrics.listen in ("127.0.0.1", "::1", "localhost")
    assert all(c.url.startswith("rtsp://") for c in EXAMPLE.cameras if c.driver == "rtsp")


def test_state_socket_and_snapshots_are_writable():
    s = settings()
    writable = [Path(p) for v in s["ReadWritePaths"] for p in v.split()]
    assert s["ProtectSystem"] == ["strict"]

    def inside(path: Path) -> bool:
        return any(path == w or w in path.parents for w in writable)

    assert inside(Path(EXAMPLE.store.path))
    assert inside(Path(EXAMPLE.store.path).parent / "selftest")  # selftest snapshots
    assert inside(Path(EXAMPLE.control.socket))
    assert s["StateDirectory"] == ["gated"] and s["RuntimeDirectory"] == ["gated"]


def test_every_relaxation_is_explained():
    text = UNIT.read_text()
    for key in ("PrivateDevices=no", "RestrictAddressFamilies=", "MemoryDenyWriteExecute=no",
                "SupplementaryGroups=", "UMask=0027", "ReadWritePaths="):
        before = text[:text.index(key)].rstrip().splitlines()[-1]
        assert before.startswith("#"), key
    assert len(re.findall(r"# Relaxation", text)) >= 6
