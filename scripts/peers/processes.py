"""Real peers as child processes, for the tests, the benchmarks and the demo lane.

Each peer is a separate process (a pymodbus server, socat, a scripted serial device) so
that tests can kill, freeze (SIGSTOP) and restart it like the real thing. Waits are
bounded and generous: the machine may be loaded.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

PYTHON = sys.executable
WAIT_S = 15.0  # upper bound for anything a peer should do "soon"


# util-linux's setpriv: the child gets SIGTERM if the test process dies, so no peer
# outlives an interrupted run.
DIE_WITH_PARENT = ["setpriv", "--pdeathsig", "TERM", "--"] if shutil.which("setpriv") else []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """A child process; ``stop`` always reaps it."""

    def __init__(self, argv: list[str], log: Path, **kw) -> None:
        self.argv, self.log = argv, log
        self._logf = open(log, "ab")  # noqa: SIM115 - open for the child's lifetime
        self.proc = subprocess.Popen(DIE_WITH_PARENT + argv, stderr=self._logf,
                                     start_new_session=True, **kw)

    def signal(self, sig: int) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._logf.close()

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        self.proc.wait(5)
        self._logf.close()


class JsonPeer(Process):
    """A peer controlled by JSON lines on stdin; replies and events come on stdout."""

    def __init__(self, argv: list[str], log: Path) -> None:
        super().__init__(argv, log, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                         bufsize=1)
        self.events: list[dict] = []
        self.replies: list[dict] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.ready = self.wait_event(lambda e: e.get("event") == "ready")

    def _read(self) -> None:
        for line in self.proc.stdout:
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            with self._cond:
                (self.replies if "reply" in msg else self.events).append(msg)
                self._cond.notify_all()

    def _wait(self, box: list[dict], pred: Callable[[dict], bool], start: int, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for msg in box[start:]:
                    if pred(msg):
                        return msg
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise TimeoutError(f"peer {self.argv[2:]} did not send the expected message; "
                                       f"last: {box[-3:]}; log: {self.log.read_text()[-2000:]}")
                self._cond.wait(min(left, 0.2))

    def wait_event(self, pred: Callable[[dict], bool], start: int = 0, timeout: float = WAIT_S) -> dict:
        return self._wait(self.events, pred, start, timeout)

    def request(self, req: dict, timeout: float = WAIT_S) -> dict:
        with self._cond:
            start = len(self.replies)
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        return self._wait(self.replies, lambda r: True, start, timeout)

    def mark(self) -> int:
        with self._cond:
            return len(self.events)

    async def arequest(self, req: dict) -> dict:
        return await asyncio.to_thread(self.request, req)

    async def aevent(self, pred: Callable[[dict], bool], start: int = 0,
                     timeout: float = WAIT_S) -> dict:
        return await asyncio.to_thread(self.wait_event, pred, start, timeout)

    def stop(self) -> None:
        if self.proc.poll() is None and self.proc.stdin:
            try:
                self.proc.stdin.close()
                self.proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        super().stop()


def modbus_peer(tmp: Path, profile: str, *, tcp_port: int | None = None, rtu: str | None = None,
                travel_ms: int = 300, device_id: int = 1, tag: str = "modbus") -> JsonPeer:
    where = ["--tcp", f"127.0.0.1:{tcp_port}"] if tcp_port else ["--rtu", str(rtu)]
    argv = [PYTHON, "-m", "gated.devices.modbus.peer", "--profile", profile, *where,
            "--travel-ms", str(travel_ms), "--device-id", str(device_id)]
    return JsonPeer(argv, tmp / f"{tag}.log")


class PtyPair(Process):
    """A virtual null-modem cable made by socat: ``a`` for the driver, ``b`` for the peer."""

    def __init__(self, tmp: Path, tag: str = "pty") -> None:
        self.a, self.b = tmp / f"{tag}-a", tmp / f"{tag}-b"
        super().__init__(["socat", "-d", "-d", f"pty,raw,echo=0,link={self.a}",
                          f"pty,raw,echo=0,link={self.b}"], tmp / f"{tag}-socat.log")
        deadline = time.monotonic() + WAIT_S
        while not (self.a.exists() and self.b.exists()):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"socat did not make {self.a} and {self.b}")
            time.sleep(0.02)


def serial_peer(tmp: Path, port: Path, tag: str = "serial") -> JsonPeer:
    """A scripted board (ACKs frames) that can also type like a QR scanner."""
    return JsonPeer([PYTHON, "-m", "gated.devices.serial.peer", "--port", str(port)],
                    tmp / f"{tag}.log")
