"""Start, freeze, kill and restart the GStreamer RTSP server (``rtsp_server.py``).

Used by the stream-reader tests and the end-to-end benchmark. The server runs under
Debian's ``/usr/bin/python3`` (which has ``gi``); the project venv does not need it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import cv2
import numpy as np

SYSTEM_PYTHON = "/usr/bin/python3"
SERVER = Path(__file__).with_name("rtsp_server.py")


def gstreamer_available() -> bool:
    if not Path(SYSTEM_PYTHON).exists():
        return False
    probe = "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"
    return subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True).returncode == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_frames(folder: Path, frames: list[np.ndarray]) -> str:
    """Write BGR frames as JPEGs; return the printf pattern the server wants."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(frames):
        cv2.imwrite(str(folder / f"{i:05d}.jpg"), f)
    return str(folder / "%05d.jpg")


def counter_frames(n: int, w: int = 640, h: int = 360) -> list[np.ndarray]:
    """Plain test frames: a moving bar and the frame number."""
    out = []
    for i in range(n):
        img = np.full((h, w, 3), 60, np.uint8)
        x = int(i * w / n)
        img[:, x : x + 20] = (0, 200, 255)
        cv2.putText(img, str(i), (20, h // 2), cv2.FONT_HERSHEY_SIMPLEX, 3, (255, 255, 255), 5)
        out.append(img)
    return out


class RtspServer:
    def __init__(self, frames_pattern: str, fps: int = 25, port: int | None = None) -> None:
        self.pattern, self.fps = frames_pattern, fps
        self.port = port or free_port()
        self.url = f"rtsp://127.0.0.1:{self.port}/cam"
        self.proc: subprocess.Popen[str] | None = None

    def start(self, timeout: float = 10.0) -> None:
        self.proc = subprocess.Popen(
            [SYSTEM_PYTHON, str(SERVER), "--port", str(self.port), "--frames", self.pattern,
             "--fps", str(self.fps)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("READY"):
                return
            if not line and self.proc.poll() is not None:
                break
        raise RuntimeError("RTSP server did not start")

    def freeze(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGCONT)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(timeout=5)

    def __enter__(self) -> RtspServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()
