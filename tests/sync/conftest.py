"""Fixtures: a real mosquitto per test (free port, own persistence directory), a test central."""

from __future__ import annotations

import shutil

import pytest

from scripts.peers.mqtt import Broker
from tests.sync.central import Central

if shutil.which("mosquitto") is None:  # scripts/system-packages.sh installs it
    pytest.skip("mosquitto is not installed (Debian package mosquitto)", allow_module_level=True)


@pytest.fixture
def broker(tmp_path):
    b = Broker(tmp_path / "broker").start()
    yield b
    b.kill()


@pytest.fixture
def central(broker):
    c = Central(broker.port).start()
    yield c
    c.close()


@pytest.fixture
def lanes():
    """Started lanes are stopped at teardown, whatever the test did to them."""
    started = []
    yield started
    for g in started:
        if g.proc is not None and g.proc.poll() is None:
            g.stop()
