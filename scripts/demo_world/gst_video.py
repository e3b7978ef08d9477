"""GStreamer side of the demo world, run with Debian's ``/usr/bin/python3`` (it has ``gi``).

    encode OUT.h264au --width W --height H --fps F   raw BGR frames on stdin -> H.264 AUs
    serve  VIDEO.h264au --port P --path cam --fps F  loop the AUs live over RTSP

The video file is a list of H.264 access units, each ``u32 length (big endian) + bytes``;
every keyframe carries SPS/PPS. ``serve`` never re-encodes: it pushes access unit
``floor((now - t0) * fps) mod N`` as wall time passes (``t0``: CLOCK_MONOTONIC at start,
plus ``--start-in``; before it the first frame is shown),
so the video position is a pure function of the clock and the demo world can follow it.
It prints ``READY <url> t0=<t0> frames=<N>`` once listening. A client (re)connecting
starts at the next keyframe.
Debian packages: python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base
gstreamer1.0-plugins-good gstreamer1.0-plugins-bad (h264parse) gstreamer1.0-plugins-ugly (x264).
"""

import argparse
import math
import struct
import sys
import threading
import time
from pathlib import Path

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer


def encode(args) -> int:
    """Raw BGR frames on stdin -> x264 -> access units in ``args.out``."""
    pipe = Gst.parse_launch(
        f"fdsrc fd=0 blocksize={args.width * args.height * 3} ! rawvideoparse format=bgr "
        f"width={args.width} height={args.height} framerate={args.fps}/1 ! videoconvert ! "
        f"x264enc speed-preset=ultrafast pass=quant quantizer={args.quantizer} "
        f"key-int-max={args.fps} bframes=0 threads=2 ! h264parse config-interval=-1 ! "
        "video/x-h264,stream-format=byte-stream,alignment=au ! appsink name=sink sync=false")
    sink = pipe.get_by_name("sink")
    count = 0
    with open(args.out, "wb") as out:
        pipe.set_state(Gst.State.PLAYING)
        while True:
            sample = sink.emit("pull-sample")
            if sample is None:
                break
            data = sample.get_buffer().extract_dup(0, sample.get_buffer().get_size())
            out.write(struct.pack(">I", len(data)) + data)
            count += 1
    pipe.set_state(Gst.State.NULL)
    print(f"ENCODED {count}", flush=True)
    return 0 if count else 1


def read_units(path: str) -> list[bytes]:
    units, blob, pos = [], Path(path).read_bytes(), 0
    while pos + 4 <= len(blob):
        (n,) = struct.unpack_from(">I", blob, pos)
        units.append(blob[pos + 4 : pos + 4 + n])
        pos += 4 + n
    return units


def is_keyframe(unit: bytes) -> bool:
    """An IDR slice (NAL type 5) in an Annex B access unit."""
    i = unit.find(b"\x00\x00\x01")
    while i >= 0:
        if i + 3 < len(unit) and unit[i + 3] & 0x1F == 5:
            return True
        i = unit.find(b"\x00\x00\x01", i + 3)
    return False


class Feeder:
    """Pushes the clock's current access unit into every live appsrc (one per media)."""

    def __init__(self, units: list[bytes], fps: int, start_in: float = 0.0) -> None:
        self.units, self.fps = units, fps
        self.keys = [is_keyframe(u) for u in units]
        self.t0 = time.monotonic() + start_in  # until then the first frame is shown
        self.sources: list[list] = []  # [appsrc, started]
        self.lock = threading.Lock()

    def add(self, appsrc) -> None:
        with self.lock:
            self.sources.append([appsrc, False])

    def run(self) -> None:
        frame_ns = Gst.SECOND // self.fps
        tick = math.floor((time.monotonic() - self.t0) * self.fps)
        while True:
            tick = max(tick + 1, math.floor((time.monotonic() - self.t0) * self.fps) - self.fps)
            time.sleep(max(0.0, self.t0 + tick / self.fps - time.monotonic()))
            index = max(0, tick) % len(self.units)
            with self.lock:
                for entry in list(self.sources):
                    src, started = entry
                    if not started and not self.keys[index]:
                        continue
                    entry[1] = True
                    buf = Gst.Buffer.new_wrapped(self.units[index])
                    buf.duration = frame_ns
                    if src.emit("push-buffer", buf) != Gst.FlowReturn.OK:
                        self.sources.remove(entry)


def serve(args) -> int:
    units = read_units(args.video)
    if not units or not is_keyframe(units[0]):
        print(f"FAILED: {args.video} holds no video starting with a keyframe", flush=True)
        return 1
    feeder = Feeder(units, args.fps, args.start_in)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        "( appsrc name=src is-live=true do-timestamp=true format=time "
        f"caps=video/x-h264,stream-format=byte-stream,alignment=au,framerate={args.fps}/1 ! "
        "h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 )")
    factory.set_shared(True)
    factory.connect("media-configure",
                    lambda _f, media: feeder.add(media.get_element().get_by_name_recurse_up("src")))
    server.get_mount_points().add_factory(f"/{args.path}", factory)
    if server.attach(None) == 0:
        print("FAILED to bind", flush=True)
        return 1
    threading.Thread(target=feeder.run, daemon=True).start()
    print(f"READY rtsp://127.0.0.1:{args.port}/{args.path} t0={feeder.t0:.6f} "
          f"frames={len(units)}", flush=True)
    GLib.MainLoop().run()
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    enc = sub.add_parser("encode")
    enc.add_argument("out")
    enc.add_argument("--width", type=int, default=1920)
    enc.add_argument("--height", type=int, default=1080)
    enc.add_argument("--fps", type=int, default=25)
    enc.add_argument("--quantizer", type=int, default=24)
    srv = sub.add_parser("serve")
    srv.add_argument("video")
    srv.add_argument("--port", type=int, required=True)
    srv.add_argument("--path", default="cam")
    srv.add_argument("--fps", type=int, default=25)
    srv.add_argument("--start-in", type=float, default=0.0,
                     help="seconds showing the first frame before the video runs")
    args = ap.parse_args()
    Gst.init(None)
    return encode(args) if args.cmd == "encode" else serve(args)


if __name__ == "__main__":
    sys.exit(main())
