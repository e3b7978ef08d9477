"""A real RTSP server for tests and benchmarks: GStreamer's, streaming JPEG frames as H.264.

Run with Debian's Python (``/usr/bin/python3``, which has ``gi``), not the project venv:

    /usr/bin/python3 scripts/anpr/rtsp_server.py --port 8554 --path cam --frames 'DIR/%05d.jpg'
    /usr/bin/python3 scripts/anpr/rtsp_server.py --port 8554 --path cam   # test pattern

The frames (written by the caller) loop forever at ``--fps``; without ``--frames`` a live
640x360 test pattern plays. H.264 via x264enc, keyframe every second. Prints
``READY rtsp://127.0.0.1:PORT/PATH`` once listening.
Debian packages: python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base
gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly.
"""

import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--path", default="cam")
    ap.add_argument("--frames", help="printf pattern of JPEG frames (default: a test pattern)")
    ap.add_argument("--fps", type=int, default=25)
    args = ap.parse_args()
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    source = (
        f"multifilesrc location={args.frames} loop=true "
        f"caps=image/jpeg,framerate={args.fps}/1 ! jpegdec ! videoconvert"
        if args.frames else
        "videotestsrc is-live=true pattern=ball ! "
        f"video/x-raw,width=640,height=360,framerate={args.fps}/1"
    )
    factory.set_launch(
        f"( {source} ! x264enc tune=zerolatency speed-preset=ultrafast "
        f"key-int-max={args.fps} ! rtph264pay name=pay0 pt=96 config-interval=1 )"
    )
    factory.set_shared(True)
    server.get_mount_points().add_factory(f"/{args.path}", factory)
    if server.attach(None) == 0:
        print("FAILED to bind", flush=True)
        sys.exit(1)
    print(f"READY rtsp://127.0.0.1:{args.port}/{args.path}", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
