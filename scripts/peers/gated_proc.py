"""Run the real ``gated`` daemon as a subprocess (integration tests, benchmarks, the demo)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from gated.control.client import Client, NotRunning
from scripts.peers.processes import DIE_WITH_PARENT

FAST_TIMING = """
[timing]
clear_delay_s = 0.5
tailgate_gap_s = 0.3
identify_timeout_s = 2.0
pass_timeout_s = 3.0
"""

BASE = """
[lane]
site = "huu-nghi"
id = "in-01"
direction = "in"

[store]
path = "{tmp}/gated.db"

[control]
socket = "{tmp}/control.sock"
"""

SIM = """
[sim]
interval_s = 0.5
loop = false

[[sim.vehicles]]
plate = "29C-123.45"

[[sim.vehicles]]
plate = "15H-543.21"
behaviour = "reverse"

[[sim.passes]]
id = "P-1"
plate = "29C12345"
direction = "in"
"""


def write_config(tmp: Path, *extra: str, sim: bool = True) -> Path:
    text = BASE.format(tmp=tmp) + FAST_TIMING + (SIM if sim else "") + "\n".join(extra)
    path = tmp / "lane.toml"
    path.write_text(text)
    return path


def gated_cmd() -> list[str]:
    return [sys.executable, "-m", "gated.daemon.main"]


def gatectl(*args: str, check: bool = False, timeout: float = 20) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gated.control.cli", *args],
        capture_output=True, text=True, timeout=timeout, check=check,
    )


class Gated:
    def __init__(self, config: Path, env: dict | None = None, own_session: bool = False) -> None:
        """``own_session``: out of the caller's process group (a terminal's Ctrl-C is the
        caller's to handle) and killed if the caller dies (setpriv --pdeathsig)."""
        self.config = config
        self.own_session = own_session
        self.socket = config.parent / "control.sock"
        self.log = config.parent / "gated.log"
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen | None = None

    def start(self, wait: bool = True) -> Gated:
        logf = open(self.log, "ab")
        prefix = DIE_WITH_PARENT if self.own_session else []
        self.proc = subprocess.Popen([*prefix, *gated_cmd(), "--config", str(self.config)],
                                     stdout=logf, stderr=subprocess.STDOUT, env=self.env,
                                     start_new_session=self.own_session)
        logf.close()
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"gated exited {self.proc.returncode}:\n{self.log_text()}")
            try:
                self.client().call("ping")
                return
            except NotRunning:
                time.sleep(0.1)
        raise AssertionError(f"gated not ready in {timeout}s:\n{self.log_text()}")

    def client(self) -> Client:
        return Client(self.socket, timeout=10)

    def events(self, limit: int = 1000) -> list[dict]:
        return self.client().call("events", limit=limit)

    def wait_for(self, predicate, timeout: float = 30.0, what: str = "condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}:\n{self.log_text()[-3000:]}")

    def wait_event(self, type_: str, timeout: float = 30.0, **match) -> dict:
        def found():
            for e in self.events():
                if e["type"] == type_ and all(_get(e, k) == v for k, v in match.items()):
                    return e
            return None

        return self.wait_for(found, timeout, f"event {type_} {match}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _get(event: dict, dotted: str):
    value = event
    for part in dotted.split("__"):
        value = value.get(part) if isinstance(value, dict) else None
    return value
