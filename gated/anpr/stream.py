"""RTSP camera reader: always the latest frame, bounded timeouts, reconnect with backoff.

OpenCV's FFmpeg backend, RTSP over TCP. A grabber thread reads as fast as the camera
sends and keeps only the newest frame, so a slow consumer never builds up lag. Open and
read timeouts are bounded (OpenCV's default blocks 90 s on a silent camera): a frozen
camera is reported within ``read_timeout`` (2 s by default), and ``health`` also turns to
fault as soon as no frame has arrived for ``stale_after`` seconds, whatever FFmpeg does.

Fault reporting, for the runtime:

* ``health`` (poll it): ``CameraHealth(ok, reason, since)``;
* ``on_fault(name, reason)`` / ``on_recovered(name)`` callbacks, called **from the grabber
  thread** once per transition (use ``loop.call_soon_threadsafe`` to get back on the loop);
* ``metrics()``: fps, lag of the latest frame, frames, reconnects, frames dropped unseen.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import structlog

from gated.devices.interfaces import Frame

log = structlog.get_logger()
_FPS_WINDOW = 2.0  # seconds of frame timestamps behind the fps figure

FaultCallback = Callable[[str, str], None]
RecoverCallback = Callable[[str], None]
CaptureFactory = Callable[[str, float, float], Any]


@dataclass(frozen=True, slots=True)
class CameraHealth:
    ok: bool
    reason: str
    since: float  # monotonic time of the last transition


@dataclass(frozen=True, slots=True)
class CameraMetrics:
    fps: float
    lag: float | None  # seconds since the latest frame was grabbed
    frames: int
    reconnects: int
    dropped: int


def open_ffmpeg(url: str, open_timeout: float, read_timeout: float) -> Any:
    """A ``cv2.VideoCapture`` on ``url`` over TCP with bounded open/read timeouts."""
    opts = os.environ.get("OPENCV_FFMPEG_CAPTURE_OPTIONS", "")
    if "rtsp_transport" not in opts:
        os.environ["OPENCV_FFMPEG_CAPTURE_OPTIONS"] = "|".join(filter(None, [opts, "rtsp_transport;tcp"]))
    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(open_timeout * 1000),
              cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(read_timeout * 1000)]
    return cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)


def next_backoff(current: float, initial: float, maximum: float) -> float:
    return initial if current <= 0 else min(maximum, current * 2)


class RtspCamera:
    """A :class:`~gated.devices.interfaces.FrameSource` reading an RTSP (or any FFmpeg) URL."""

    def __init__(self, name: str, url: str, *, open_timeout: float = 5.0, read_timeout: float = 2.0,
                 stale_after: float = 2.5, backoff_initial: float = 0.5, backoff_max: float = 10.0,
                 on_fault: FaultCallback | None = None, on_recovered: RecoverCallback | None = None,
                 capture_factory: CaptureFactory = open_ffmpeg) -> None:
        self.name, self.url = name, url
        self.open_timeout, self.read_timeout, self.stale_after = open_timeout, read_timeout, stale_after
        self.backoff_initial, self.backoff_max = backoff_initial, backoff_max
        self.on_fault, self.on_recovered = on_fault, on_recovered
        self._factory = capture_factory
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._latest: Frame | None = None
        self._consumed = -1
        self._state: bool | None = None  # None: no frame and no failure yet
        self._reason, self._since = "not started", time.monotonic()
        self._frames = self._reconnects = self._dropped = 0
        self._stamps: deque[float] = deque()

    # -- FrameSource -------------------------------------------------------------
    async def start(self) -> None:
        self.start_thread()

    def start_thread(self) -> None:
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"camera-{self.name}", daemon=True)
        self._thread.start()

    def latest(self) -> Frame | None:
        with self._lock:
            frame = self._latest
            if frame is not None:
                self._consumed = frame.index
            return frame

    async def stop(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.stop_thread)

    def stop_thread(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=self.read_timeout + self.open_timeout + 1)

    # -- health and metrics --------------------------------------------------------
    @property
    def health(self) -> CameraHealth:
        with self._lock:
            ok, reason, since, latest = bool(self._state), self._reason, self._since, self._latest
        now = time.monotonic()
        if ok and latest is not None and now - latest.monotonic > self.stale_after:
            return CameraHealth(False, f"no frame for {now - latest.monotonic:.1f} s", latest.monotonic)
        return CameraHealth(ok, reason, since)

    def metrics(self) -> CameraMetrics:
        with self._lock:
            lag = time.monotonic() - self._latest.monotonic if self._latest else None
            now = time.monotonic()
            recent = [t for t in self._stamps if now - t <= _FPS_WINDOW]
            fps = (len(recent) - 1) / (recent[-1] - recent[0]) if len(recent) > 2 else 0.0
            return CameraMetrics(fps, lag, self._frames, self._reconnects, self._dropped)

    # -- grabber thread --------------------------------------------------------------
    def _set_health(self, ok: bool, reason: str) -> None:
        with self._lock:
            previous = self._state
            self._state, self._reason = ok, reason
            if previous != ok:
                self._since = time.monotonic()
        if previous == ok:
            return
        if ok and previous is False:
            log.info("device.recovered", device=self.name)
            if self.on_recovered:
                self.on_recovered(self.name)
        elif not ok:
            log.warning("device.fault", device=self.name, reason=reason)
            if self.on_fault:
                self.on_fault(self.name, reason)

    def _store(self, image: np.ndarray) -> None:
        now = time.monotonic()
        with self._lock:
            prev = self._latest
            if prev is not None:
                if self._consumed != prev.index:
                    self._dropped += 1
            self._stamps.append(now)
            while self._stamps and now - self._stamps[0] > _FPS_WINDOW:
                self._stamps.popleft()
            self._latest = Frame(self.name, self._frames, now, image)
            self._frames += 1

    def _read_until_failure(self, cap: Any) -> str:
        while not self._stop.is_set():
            t = time.monotonic()
            ok, image = cap.read()
            if not ok or image is None:
                return "read failed"
            # FFmpeg's interrupt on a silent stream can still hand back a (stale) frame
            if time.monotonic() - t >= 0.9 * self.read_timeout:
                return f"no data for {self.read_timeout:.1f} s (camera frozen?)"
            self._store(image)
            self._set_health(True, "ok")
        return "stopped"

    def _run(self) -> None:
        backoff = 0.0
        while not self._stop.is_set():
            cap = self._factory(self.url, self.open_timeout, self.read_timeout)
            try:
                if cap is not None and cap.isOpened():
                    frames_before = self._frames
                    reason = self._read_until_failure(cap)
                    if self._frames > frames_before:
                        backoff = 0.0
                else:
                    reason = "cannot open stream"
            finally:
                if cap is not None:
                    cap.release()
            if self._stop.is_set():
                break
            self._set_health(False, reason)
            self._reconnects += 1
            backoff = next_backoff(backoff, self.backoff_initial, self.backoff_max)
            self._stop.wait(backoff)
