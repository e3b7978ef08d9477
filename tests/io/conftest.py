"""Fixtures that start real peers; every one is stopped at teardown."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scripts.peers.processes import JsonPeer, PtyPair, free_port, modbus_peer

for tool in ("socat", "mbpoll"):
    if shutil.which(tool) is None:  # pragma: no cover - CI installs it
        raise RuntimeError(f"{tool} is needed by tests/io (apt-get install {tool})")


@pytest.fixture
def pty_pair(tmp_path: Path):
    pair = PtyPair(tmp_path)
    yield pair
    pair.stop()


@pytest.fixture
def tcp_lane(tmp_path: Path):
    """A relay-8x8 module served over Modbus TCP; yields (peer, port)."""
    port = free_port()
    peer = modbus_peer(tmp_path, "relay-8x8", tcp_port=port)
    yield peer, port
    peer.stop()


@pytest.fixture
def rtu_lane(tmp_path: Path, pty_pair: PtyPair):
    """A plc-registers PLC served over Modbus RTU on a socat pty; yields (peer, device)."""
    peer = modbus_peer(tmp_path, "plc-registers", rtu=str(pty_pair.b))
    yield peer, str(pty_pair.a)
    peer.stop()


@pytest.fixture
def stop_later():
    """Register peers started inside a test so they are stopped even if it fails."""
    started: list[JsonPeer | PtyPair] = []
    yield started.append
    for p in reversed(started):
        p.stop()
