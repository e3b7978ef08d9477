"""Grabbing frames from a lane camera for technicians: self-test and ``gatectl snapshot``.

OpenCV's FFmpeg backend, RTSP over TCP, with bounded open and read timeouts (OpenCV's
default waits 90 s on a silent camera). Blocking: call it from a thread. URLs may carry
credentials (``rtsp://user:pass@host/...``): :func:`redact` before showing one.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import cv2

from gated.anpr.stream import open_ffmpeg
import numpy as np

from gated.devices.interfaces import PlateRead

OPEN_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 3.0


class CameraError(Exception):
    """The camera could not be opened or sent no picture; ``str()`` says which."""

    def __init__(self, step: str, message: str) -> None:
        super().__init__(message)
        self.step = step  # "connect" or "decode"


def redact(url: str) -> str:
    """The URL without its password (kept: scheme, user, host, port, path)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable url>"
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def host_port(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 554}"


def open_capture(url: str, open_timeout_s: float = OPEN_TIMEOUT_S,
                 read_timeout_s: float = READ_TIMEOUT_S) -> cv2.VideoCapture:
    """A capture on ``url`` (RTSP over TCP, bounded timeouts); may be not ``isOpened()``."""
    quiet_opencv()
    return open_ffmpeg(url, open_timeout_s, read_timeout_s)


def quiet_opencv() -> None:
    """FFmpeg's and OpenCV's own chatter ("Connection refused", "can't be used to capture
    by name") would land between the lines a technician reads; the checks say it better."""
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
    if "OPENCV_LOG_LEVEL" not in os.environ:
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)


@dataclass
class Sample:
    """What a short look at a camera gave: timings, frame rate and the last frame."""

    open_s: float
    first_frame_s: float
    arrivals: list[float]  # monotonic time each frame was read
    width: int
    height: int
    image: np.ndarray = field(repr=False)

    @property
    def frames(self) -> int:
        return len(self.arrivals)

    @property
    def span_s(self) -> float:
        return self.arrivals[-1] - self.arrivals[0] if self.arrivals else 0.0

    @property
    def fps(self) -> float:
        return steady_fps(self.arrivals)


SETTLE_S = 0.5  # a stream's first frames arrive in a burst (buffered): not the frame rate


def steady_fps(arrivals: list[float], settle_s: float = SETTLE_S) -> float:
    """Frames per second after the opening burst."""
    if not arrivals:
        return 0.0
    steady = [t for t in arrivals if t >= arrivals[0] + settle_s] or arrivals
    span = steady[-1] - steady[0]
    return (len(steady) - 1) / span if len(steady) > 1 and span > 0 else 0.0


def sample(url: str, seconds: float = 2.0, max_frames: int = 200,
           open_timeout_s: float = OPEN_TIMEOUT_S, read_timeout_s: float = READ_TIMEOUT_S) -> Sample:
    """Open ``url``, read frames for about ``seconds``; raises :class:`CameraError`."""
    t0 = time.monotonic()
    cap = open_capture(url, open_timeout_s, read_timeout_s)
    try:
        opened = time.monotonic() - t0
        if not cap.isOpened():
            why = f"no answer in {opened:.0f} s" if opened >= 1 else "refused or not found"
            raise CameraError("connect", f"no stream from {redact(url)}: {why}")
        ok, image = cap.read()
        if not ok or image is None:
            raise CameraError("decode", f"stream opened but no frame decoded within "
                                        f"{read_timeout_s:.0f} s")
        arrivals = [time.monotonic()]
        while len(arrivals) < max_frames and arrivals[-1] - arrivals[0] < seconds:
            ok, img = cap.read()
            if not ok or img is None:
                break
            image = img
            arrivals.append(time.monotonic())
        h, w = image.shape[:2]
        return Sample(opened, arrivals[0] - t0, arrivals, w, h, image)
    finally:
        cap.release()


def ascii_label(text: str) -> str:
    """OpenCV's fonts draw ASCII only: other characters (桂, 云) become '?'."""
    return "".join(c if 32 <= ord(c) < 127 else "?" for c in text)


def annotate(image: np.ndarray, reads: list[PlateRead]) -> np.ndarray:
    """A copy of ``image`` with each plate's box and read drawn on it."""
    out = image.copy()
    thick = max(2, out.shape[1] // 640)
    for r in reads:
        x1, y1, x2, y2 = r.box
        cv2.rectangle(out, (x1, y1), (x2, y2), (0, 255, 0), thick)
        label = f"{ascii_label(r.text)} {r.confidence:.2f}"
        scale = max(0.6, out.shape[1] / 1600)
        (tw, th), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
        top = max(0, y1 - th - 8)
        cv2.rectangle(out, (x1, top), (x1 + tw + 6, top + th + 8), (0, 255, 0), -1)
        cv2.putText(out, label, (x1 + 3, top + th + 3), cv2.FONT_HERSHEY_SIMPLEX, scale,
                    (0, 0, 0), thick)
    return out


def save_jpeg(path: Path, image: np.ndarray, quality: int = 90) -> int:
    """Write ``image`` as JPEG (parents created), read it back; returns its size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise OSError(f"cannot encode a JPEG for {path}")
    tmp = path.with_suffix(".part")
    tmp.write_bytes(data.tobytes())
    tmp.replace(path)
    if cv2.imread(str(path), cv2.IMREAD_COLOR) is None:
        raise OSError(f"{path} was written but does not read back as an image")
    return path.stat().st_size


def snapshot_name(camera: str, when: float | None = None) -> str:
    return f"{camera}-{time.strftime('%Y%m%d-%H%M%S', time.localtime(when))}.jpg"
