"""Fixtures for the field tests: real peers (Modbus, serial, RTSP, mosquitto), all
stopped at teardown. The Modbus and pty fixtures are tests/io's own."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.io.conftest import pty_pair, stop_later, tcp_lane  # noqa: F401 - fixtures
from tests.selftest.peers import Broker, Pki, RtspCamera, gstreamer_available

if not gstreamer_available():  # pragma: no cover - CI installs it
    raise RuntimeError("tests/selftest needs GStreamer's RTSP server: apt-get install python3-gi "
                       "gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-{base,good,ugly}")
if shutil.which("mosquitto") is None:  # pragma: no cover
    raise RuntimeError("tests/selftest needs mosquitto (apt-get install mosquitto)")


@pytest.fixture
def camera(tmp_path: Path):
    cam = RtspCamera(tmp_path)
    yield cam
    cam.stop()


@pytest.fixture
def broker(tmp_path: Path):
    b = Broker(tmp_path)
    yield b
    b.stop()


@pytest.fixture
def tls_broker(tmp_path: Path):
    pki = Pki(tmp_path / "pki")
    b = Broker(tmp_path, tls=pki, name="tls-broker")
    yield b, pki
    b.stop()
