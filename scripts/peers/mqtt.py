"""MQTT peers: Debian's mosquitto per test (or per demo) and a TCP fault proxy.

Used by the sync tests, ``scripts/soak_sync.py``, ``scripts/bench_sync.py`` and the demo.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

from scripts.peers.processes import free_port


def wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on port {port} after {timeout}s")


class Broker:
    """Debian's mosquitto on a free loopback port with its own directory."""

    def __init__(self, directory: Path, persistence: bool = True, port: int | None = None) -> None:
        self.dir = directory
        self.persistence = persistence
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.dir.mkdir(parents=True, exist_ok=True)
        self.conf = self.dir / "mosquitto.conf"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            f"persistence {'true' if persistence else 'false'}\n"
            f"persistence_location {self.dir}/\n"
            "autosave_interval 1\n"
            "max_queued_messages 0\n"
            "max_inflight_messages 0\n"
            "log_dest stdout\n"
            "log_type error\nlog_type warning\nlog_type notice\n"
        )
        if os.geteuid() == 0:  # mosquitto drops to its own user: let it reach and write here
            shutil.chown(self.dir, "mosquitto", "mosquitto")
            for parent in self.dir.parents:  # temp dirs are 0700: allow traversal only
                if str(parent) in ("/", "/tmp") or parent.stat().st_mode & 0o001:
                    break
                parent.chmod(parent.stat().st_mode | 0o001)

    def start(self) -> Broker:
        log = open(self.dir / "mosquitto.log", "ab")
        self.proc = subprocess.Popen(["mosquitto", "-c", str(self.conf)], stdout=log,
                                     stderr=subprocess.STDOUT)
        log.close()
        wait_port(self.port)
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=20)
        self.proc = None

    def stop(self) -> None:
        self.kill(signal.SIGTERM)

    def restart(self, sig: int = signal.SIGKILL) -> None:
        self.kill(sig)
        self.start()


class FaultProxy:
    """A TCP proxy between gated and the broker that can drop, stall and reset.

    ``mode``: ``pass`` forwards; ``stall`` keeps connections open but forwards nothing
    (either way); ``drop`` refuses new connections and closes current ones (FIN);
    ``reset`` closes current connections with RST and then passes again.
    """

    def __init__(self, target_port: int, port: int | None = None) -> None:
        self.target = target_port
        self.port = port or free_port()
        self.mode = "pass"
        self._lock = threading.Lock()
        self._conns: list[tuple[socket.socket, socket.socket]] = []
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._server.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except (TimeoutError, OSError):
                continue
            if self.mode == "drop":
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target), timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns.append((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        src.settimeout(0.2)
        while not self._stop.is_set():
            if self.mode == "stall":
                time.sleep(0.05)
                continue
            try:
                data = src.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            if self.mode == "stall":  # stalled after reading: hold the bytes, like a dead link
                while self.mode == "stall" and not self._stop.is_set():
                    time.sleep(0.05)
                if self.mode != "pass":
                    break
            try:
                dst.sendall(data)
            except OSError:
                break
        for s in (src, dst):
            try:
                s.close()
            except OSError:
                pass

    def set(self, mode: str) -> None:
        assert mode in ("pass", "stall", "drop", "reset")
        if mode == "reset":
            self.close_all(rst=True)
            self.mode = "pass"
            return
        self.mode = mode
        if mode == "drop":
            self.close_all(rst=False)

    def close_all(self, rst: bool) -> None:
        with self._lock:
            conns, self._conns = self._conns, []
        for pair in conns:
            for s in pair:
                try:
                    if rst:
                        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                     b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    s.close()
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self.close_all(rst=False)
        self._server.close()
        self._thread.join(timeout=5)
