"""``gatectl anpr``: read plates from image files or one live camera frame, print JSON lines.

    gatectl anpr photo.jpg crop.png            # one JSON line per file
    gatectl anpr --crop plate1.jpg             # files are plate crops: OCR only
    gatectl anpr --camera lane1-front --config /etc/gated/lane.toml
    gatectl anpr --url rtsp://10.0.0.5/stream1

Each line: ``{"file": ..., "plates": [{"text", "confidence", "box": [x1, y1, x2, y2]}]}``
(``"camera"`` instead of ``"file"`` for a live frame; ``"error"`` when the input could not
be read). Exit status: 0 ok, 1 an input could not be read, 2 usage or config problems.
Works offline: the models ship with gated.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from gated.devices.interfaces import PlateRead

from .models import AnprError
from .reader import AnprReader, ReaderConfig, camera_config
from .stream import open_ffmpeg

if TYPE_CHECKING:
    from gated.config.schema import CameraSection


def add_subparser(subparsers: Any, parents: list[argparse.ArgumentParser] | None = None) -> argparse.ArgumentParser:
    p = subparsers.add_parser("anpr", help="read licence plates from images or a camera frame",
                              parents=parents or [], description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="*", metavar="FILE", help="images: full scenes or plate crops")
    p.add_argument("--crop", action="store_true",
                   help="the files are plate crops: skip detection, vote over six trimmed copies")
    p.add_argument("--camera", metavar="NAME", help="read one live frame of this configured camera")
    p.add_argument("--url", help="read one live frame of this RTSP URL")
    if not any(a.dest == "config" for a in p._actions):
        p.add_argument("--config", help="lane config (for --camera)")
    p.set_defaults(fn=cmd_anpr, offline=True)
    return p


def plates_json(reads: list[PlateRead]) -> list[dict[str, Any]]:
    return [{"text": r.text, "confidence": round(r.confidence, 3), "box": list(r.box)} for r in reads]


def read_file(reader: AnprReader, path: str, crop: bool) -> dict[str, Any]:
    if not Path(path).is_file():
        return {"file": path, "plates": [], "error": "no such file"}
    try:
        data = np.fromfile(path, np.uint8)
        image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    except OSError as exc:
        return {"file": path, "plates": [], "error": f"cannot read file: {exc.strerror or exc}"}
    if image is None:
        return {"file": path, "plates": [], "error": "cannot read image (missing, unreadable or not an image)"}
    try:
        reads = [reader.read_crop(image, vote=True)] if crop else reader.read(image)
    except AnprError as exc:
        return {"file": path, "plates": [], "error": str(exc)}
    return {"file": path, "plates": plates_json(reads)}


class ConfigProblem(AnprError):
    """The camera cannot be found in the configuration (usage problem: exit 2)."""


def camera_section(name: str, config_path: str | None) -> CameraSection:
    """The ``[[cameras]]`` entry ``name`` of the lane config (it must have a url)."""
    if not config_path:
        raise ConfigProblem("--camera needs --config (the lane config that lists [[cameras]])")
    from gated.config import ConfigError, load_config

    try:
        cfg = load_config(config_path).config
    except ConfigError as exc:
        raise ConfigProblem("; ".join(exc.problems)) from None
    for cam in cfg.cameras:
        if cam.name == name:
            if not cam.url:
                raise ConfigProblem(f"camera {name!r} has no url (driver {cam.driver!r})")
            return cam
    raise ConfigProblem(f"no camera named {name!r} in {config_path}")


def grab_frame(url: str, timeout: float = 5.0, settle_frames: int = 5) -> np.ndarray:
    """One decoded frame (after a few, so the decoder has a keyframe) or AnprError."""
    cap = open_ffmpeg(url, timeout, 3.0)
    try:
        if not cap.isOpened():
            raise AnprError(f"cannot open stream {url}")
        frame, deadline = None, time.monotonic() + timeout
        for _ in range(settle_frames):
            ok, img = cap.read()
            if ok and img is not None:
                frame = img
            if time.monotonic() > deadline:
                break
        if frame is None:
            raise AnprError(f"no frame from {url} within {timeout:.0f} s")
        return frame
    finally:
        cap.release()


def cmd_anpr(args: argparse.Namespace) -> int:
    if not args.files and not args.camera and not args.url:
        print("gatectl anpr: give image files, --camera NAME or --url URL", file=sys.stderr)
        return 2
    try:
        url, config = args.url, camera_config(False)  # a live frame is read as a lane camera reads it
        if args.camera and not url:  # a configured camera: its url and its reader settings
            cam = camera_section(args.camera, getattr(args, "config", None))
            url, config = cam.url, camera_config(cam.close_up_pass)
        status = 0
        if args.files:
            files = AnprReader(config=ReaderConfig())  # a file may be a plate crop
            for path in args.files:
                result = read_file(files, path, args.crop)
                status = 1 if "error" in result else status
                print(json.dumps(result, ensure_ascii=False), flush=True)
        if url:
            frame = grab_frame(url)
            plates = AnprReader(config=config).read(frame)
            print(json.dumps({"camera": args.camera or url, "plates": plates_json(plates)},
                             ensure_ascii=False), flush=True)
        return status
    except ConfigProblem as exc:
        print(f"gatectl anpr: {exc}", file=sys.stderr)
        return 2
    except AnprError as exc:
        print(f"gatectl anpr: {exc}", file=sys.stderr)
        return 1


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (``python -m gated.anpr.cli``) until gatectl registers the command."""
    parser = argparse.ArgumentParser(prog="gatectl")
    add_subparser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
