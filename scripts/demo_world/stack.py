"""Everything the demo lane talks to, started as real processes, and gated itself.

:class:`Stack` renders (or reuses) the scenario's video, then starts the RTSP server, the
world (Modbus TCP I/O module), a socat pty pair with the message board on its far end, a
mosquitto if one is installed, and finally ``gated`` on the lane config. Every child runs
in its own session and dies with its parent (``setpriv --pdeathsig``), so Ctrl-C on the
demo or a killed test leaves nothing behind. Used by ``scripts/demo`` and ``tests/e2e``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from scripts.peers.gated_proc import Gated
from scripts.peers.mqtt import Broker
from scripts.peers.processes import Process, PtyPair, free_port

from . import passes
from .render import GST_VIDEO, SYSTEM_PYTHON, render
from .scenario import Scenario

ROOT = Path(__file__).resolve().parents[2]
DEMO_CONFIG = ROOT / "config" / "demo.toml"


@dataclass(frozen=True)
class Ports:
    rtsp: int = 8554
    modbus: int = 5020
    mqtt: int = 18830

    @classmethod
    def free(cls) -> Ports:
        return cls(free_port(), free_port(), free_port())


def lane_config(folder: Path, ports: Ports, key_toml: str) -> Path:
    """``config/demo.toml`` for ``folder`` and ``ports``, plus the demo's pass-signing key."""
    text = DEMO_CONFIG.read_text()
    for old, new in (("var/demo/", f"{folder}/"), ("127.0.0.1:8554/", f"127.0.0.1:{ports.rtsp}/"),
                     ("port = 5020", f"port = {ports.modbus}"),
                     ("port = 18830", f"port = {ports.mqtt}")):
        if old not in text:
            raise RuntimeError(f"{DEMO_CONFIG}: expected {old!r} in the demo config")
        text = text.replace(old, new)
    path = folder / "lane.toml"
    path.write_text(text + key_toml)
    return path


def wait_json(path: Path, event: str, proc: Process, timeout: float = 20.0) -> dict:
    """The first ``{"event": event}`` line a peer wrote to its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            for line in path.read_text(errors="replace").splitlines():
                if f'"{event}"' in line:
                    return json.loads(line)
        if proc.proc.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(f"{proc.argv[:3]} did not start; see {proc.log}")


class Stack:
    def __init__(self, folder: Path, scenario: Scenario, ports: Ports | None = None,
                 cache: Path | None = None) -> None:
        self.folder, self.scenario = folder.resolve(), scenario
        self.ports = ports or Ports()
        self.cache = cache or self.folder
        self.procs: list[Process] = []
        self.broker: Broker | None = None
        self.gated: Gated | None = None
        self.rtsp_url = ""
        self.t0 = 0.0
        self.io_log = self.folder / "io.jsonl"
        self.board_log = self.folder / "board.jsonl"

    # ------------------------------------------------------------------ peers
    def prepare(self) -> Path:
        """The video (rendered once per scenario and key) and the lane config."""
        self.folder.mkdir(parents=True, exist_ok=True)
        key = passes.load_key(self.cache)
        self.video = render(self.scenario, passes.qr_texts(self.scenario, key), self.cache)
        self.config = lane_config(self.folder, self.ports, passes.trusted_key_toml(key))
        return self.video

    def start_peers(self, broker: bool = True, start_in: float = 0.0) -> None:
        """``start_in``: seconds of empty road before the video runs (gated starts meanwhile)."""
        for log in (self.io_log, self.board_log):
            log.unlink(missing_ok=True)
        self._start_rtsp(start_in)
        world = self._spawn([sys.executable, "-m", "scripts.demo_world.world", "--tcp",
                             f"127.0.0.1:{self.ports.modbus}", "--t0", f"{self.t0:.6f}",
                             "--scenario", self.scenario.name], "world", self.io_log)
        wait_json(self.io_log, "ready", world)
        pty = PtyPair(self.folder, "board")
        self.procs.append(pty)
        board = self._spawn([sys.executable, "-m", "gated.devices.serial.peer", "--port",
                             str(pty.b)], "board", self.board_log, stdin=subprocess.PIPE)
        wait_json(self.board_log, "ready", board)
        if broker and shutil.which("mosquitto"):
            self.broker = Broker(self.folder / "mosquitto", port=self.ports.mqtt).start()

    def _spawn(self, argv: list[str], tag: str, out: Path | None = None, **kw) -> Process:
        with open(out or self.folder / f"{tag}.out", "ab") as stdout:
            proc = Process(argv, self.folder / f"{tag}.log", stdout=stdout, cwd=ROOT, **kw)
        self.procs.append(proc)
        return proc

    def _start_rtsp(self, start_in: float) -> None:
        ready = self.folder / "rtsp.out"
        ready.unlink(missing_ok=True)
        proc = self._spawn([SYSTEM_PYTHON, str(GST_VIDEO), "serve", str(self.video), "--port",
                            str(self.ports.rtsp), "--path", "front", "--start-in",
                            str(start_in)], "rtsp", ready)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and proc.proc.poll() is None:
            words = ready.read_text().split() if ready.exists() else []
            if words[:1] == ["READY"]:
                self.rtsp_url, self.t0 = words[1], float(words[2].split("=")[1])
                return
            time.sleep(0.05)
        raise RuntimeError(f"the RTSP server did not start; see {proc.log} and {ready}")

    # ------------------------------------------------------------------ gated
    def start_gated(self, wait: bool = True) -> Gated:
        log = self.folder / "gated.log"
        if log.exists():  # this run's log starts empty; the previous one is kept as .1
            log.replace(log.with_suffix(".log.1"))
        self.gated = Gated(self.config, own_session=True).start(wait=wait)
        return self.gated

    def video_time(self) -> float:
        """Seconds since the video started (negative before; it loops every duration_s)."""
        return time.monotonic() - self.t0

    def stop(self) -> None:
        """gated first (it leaves the barrier safe), then every peer, newest first."""
        if self.gated is not None and self.gated.proc is not None:
            self.gated.stop()
        if self.broker is not None:
            self.broker.stop()
        for proc in reversed(self.procs):
            if proc.proc.stdin:
                proc.proc.stdin.close()
            proc.stop()
        self.procs.clear()
