"""The daemon with a real RTSP camera: frames -> ANPR -> vote -> decision with images.

A GStreamer RTSP server (started by the test) loops 1080p frames of a truck whose plate
has a pass; the lane has no loops moving (sim I/O, no sim vehicles), so the passage starts
from the ANPR sighting alone. Then the camera is killed and restarted.
"""

from __future__ import annotations

import sqlite3

import pytest

from scripts.anpr.rtsp_peer import RtspServer, gstreamer_available, write_frames
from scripts.peers.gated_proc import Gated, write_config
from tests.anpr.conftest import needs_fonts
from tests.anpr.helpers import lane_frame

pytestmark = [needs_fonts,
              pytest.mark.skipif(not gstreamer_available(), reason="GStreamer RTSP server missing")]

CAMERA = """
[[cameras]]
name = "front"
role = "front"
driver = "rtsp"
url = "{url}"

[sim]
loop = false

[[sim.passes]]
id = "P-CAM"
plate = "{plate}"
direction = "in"
"""


@pytest.fixture
def camera_lane(tmp_path):
    frame, labels = lane_frame(["vn1"], seed=11)
    pattern = write_frames(tmp_path / "frames", [frame] * 10)
    server = RtspServer(pattern)
    server.start()
    cfg = write_config(tmp_path, CAMERA.format(url=server.url, plate=labels[0]), sim=False)
    g = Gated(cfg).start()
    yield g, server, labels[0], tmp_path
    g.stop()
    server.kill()


def test_plate_read_from_rtsp_decides_with_images(camera_lane):
    g, _, plate, tmp = camera_lane
    decided = g.wait_event("passage.decided", timeout=60)
    assert decided["vehicle"]["plate"] == plate
    assert decided["decision"]["result"] == "grant" and decided["pass"]["id"] == "P-CAM"
    assert decided["vehicle"]["reads"] >= 3
    assert decided["images"] == ["plate", "scene"]
    db = sqlite3.connect(tmp / "gated.db")
    rows = db.execute("SELECT kind, bytes FROM images WHERE event_id = ? ORDER BY kind",
                      (decided["id"],)).fetchall()
    assert [k for k, _ in rows] == ["plate", "scene"] and all(b > 1000 for _, b in rows)
    status = g.client().call("status")
    front = [d for d in status["devices"] if d["name"] == "front"][0]
    assert front["ok"] and front["fps"] > 5 and front["frames"] > 0


def test_camera_lost_and_back(camera_lane):
    g, server, _, _ = camera_lane
    g.wait_event("passage.decided", timeout=60)
    server.kill()
    fault = g.wait_event("device.fault", device="front", timeout=20)
    assert fault["kind"] == "camera"
    server.start()
    g.wait_event("device.recovered", device="front", timeout=60)
