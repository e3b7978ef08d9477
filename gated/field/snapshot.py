"""``gatectl snapshot CAMERA``: one live frame as a JPEG, with plate boxes and reads drawn.

The camera's URL comes from the lane config's ``[[cameras]]``. Plates are read with the
ANPR reader when it is installed; otherwise the plain frame is saved and a warning says
why. Works whether gated runs or not (IP cameras serve several RTSP clients).
Exit status: 0 saved, 1 the camera gave no frame or the file could not be written,
2 usage or config problems.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

import cv2
import numpy as np

from gated.config import ConfigError, LaneConfig, load_config
from gated.devices.interfaces import PlateRead
from gated.field import anpr_bridge
from gated.field.camera import CameraError, annotate, redact, sample, save_jpeg, snapshot_name

DEFAULT_CONFIG = "/etc/gated/lane.toml"
EXAMPLES = """examples:
  gatectl snapshot front                       # ./front-YYYYmmdd-HHMMSS.jpg
  gatectl snapshot rear --out /tmp/rear.jpg --config /etc/gated/lane.toml
  gatectl snapshot front --json                # where it went and the plates read"""


def add_subparser(sub, parents: list[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = sub.add_parser("snapshot", parents=parents, help="save a camera frame with plates drawn",
                       description=__doc__.replace("``", ""), epilog=EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("camera", help="a [[cameras]] name from the lane config")
    p.add_argument("--out", type=Path, help="JPEG file to write (default ./CAMERA-time.jpg)")
    p.set_defaults(fn=cmd_snapshot, offline=True)
    return p


class Problem(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def camera_url(config: str | None, name: str) -> str:
    try:
        cfg = load_config(config or DEFAULT_CONFIG).config
    except ConfigError as exc:
        raise Problem("; ".join(exc.problems), 2) from None
    for cam in cfg.cameras:
        if cam.name == name:
            if cam.driver != "rtsp" or not cam.url:
                raise Problem(f"camera {name!r} is simulated (driver {cam.driver}): no picture", 2)
            return cam.url
    known = ", ".join(c.name for c in cfg.cameras) or "none configured"
    raise Problem(f"no camera {name!r} in the config (cameras: {known})", 2)


def annotated_frame(url: str) -> tuple[np.ndarray, list[PlateRead], str]:
    """Blocking: a live frame with plates drawn, the reads, and why plates were not read
    ('' when they were). Raises :class:`Problem`."""
    try:
        frame = sample(url, seconds=0.5).image
    except CameraError as exc:
        raise Problem(f"{exc} (check the camera's power, cable and [[cameras]] url)", 1) from None
    reader, why = anpr_bridge.plate_reader()
    reads = reader.read(frame) if reader is not None else []
    return annotate(frame, reads), reads, why


async def camera_jpeg(cfg: LaneConfig, camera: str) -> bytes:
    """A JPEG of ``camera`` with plates drawn: central's ``snapshot`` command can publish
    it (``Lane.snapshot`` in gated.sync). Raises ValueError for an unknown or simulated
    camera, OSError when the camera gives no frame."""
    cam = next((c for c in cfg.cameras if c.name == camera), None)
    if cam is None or cam.driver != "rtsp" or not cam.url:
        raise ValueError(f"no RTSP camera named {camera!r}")
    try:
        image, _, _ = await asyncio.to_thread(annotated_frame, cam.url)
    except Problem as exc:
        raise OSError(str(exc)) from None
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        raise OSError("cannot encode the frame as JPEG")
    return data.tobytes()


def take(url: str, out: Path) -> dict:
    """Grab, read plates if ANPR is there, draw, save; the result for --json."""
    image, reads, why = annotated_frame(url)
    try:
        size = save_jpeg(out, image)
    except OSError as exc:
        raise Problem(f"cannot write {out}: {exc}", 1) from None
    result = {"file": str(out), "bytes": size, "camera_url": redact(url),
              "plates": [{"text": r.text, "confidence": round(r.confidence, 3), "box": list(r.box)}
                         for r in reads]}
    if why:
        result["warning"] = f"plates not read: {why}"
    return result


def _text(r: dict) -> str:
    lines = [f"saved {r['file']} ({r['bytes'] // 1024} KB) from {r['camera_url']}"]
    lines += [f"  plate {p['text']}  confidence {p['confidence']:.2f}  box {p['box']}"
              for p in r["plates"]]
    if not r["plates"] and "warning" not in r:
        lines.append("  no plate in view")
    return "\n".join(lines)


def cmd_snapshot(args: argparse.Namespace) -> int:
    try:
        url = camera_url(args.config, args.camera)
        result = take(url, args.out or Path.cwd() / snapshot_name(args.camera))
    except Problem as exc:
        print(f"gatectl snapshot: {exc}", file=sys.stderr)
        return exc.status
    if "warning" in result:
        print(f"gatectl snapshot: warning: {result['warning']}", file=sys.stderr)
    print(json.dumps(result, ensure_ascii=False) if args.json else _text(result))
    return 0
