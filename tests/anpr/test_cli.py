"""``gatectl anpr``: JSON lines for files, clear errors, a live frame from RTSP."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import cv2
import pytest

from gated.anpr.cli import main
from scripts.anpr import plate_render, plate_text
from scripts.anpr.rtsp_peer import RtspServer, gstreamer_available, write_frames
from tests.anpr.conftest import needs_fonts
from tests.anpr.helpers import lane_frame


def run(capsys, *argv: str) -> tuple[int, list[dict], str]:
    code = main(["anpr", *argv])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


@needs_fonts
def test_files_give_one_json_line_each(tmp_path, capsys):
    frame, labels = lane_frame(["vn1"], seed=31)
    good = tmp_path / "lane.jpg"
    cv2.imwrite(str(good), frame, [cv2.IMWRITE_JPEG_QUALITY, 95])
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    code, lines, _ = run(capsys, str(good), str(broken), str(tmp_path / "missing.png"))
    assert code == 1
    assert [ln["file"] for ln in lines] == [str(good), str(broken), str(tmp_path / "missing.png")]
    assert [p["text"] for p in lines[0]["plates"]] == labels
    p = lines[0]["plates"][0]
    assert 0 < p["confidence"] <= 1 and len(p["box"]) == 4
    assert "error" not in lines[0]
    assert lines[1]["plates"] == [] and "cannot read image" in lines[1]["error"]
    assert lines[2]["error"] == "no such file"


@needs_fonts
def test_crop_mode(tmp_path, capsys):
    frame, labels = lane_frame(["vn1"], seed=32)
    code, lines, _ = run(capsys, "--crop", *[str(p) for p in [_save(tmp_path, frame[540:625, 240:560])]])
    assert code == 0 and len(lines) == 1
    assert [p["text"] for p in lines[0]["plates"]] == labels


def _save(tmp_path, img):
    p = tmp_path / "crop.png"
    cv2.imwrite(str(p), img)
    return p


def test_no_input_is_a_usage_error(capsys):
    code, lines, err = run(capsys)
    assert code == 2 and lines == [] and "give image files" in err


def test_camera_without_config_is_a_usage_error(capsys):
    code, _, err = run(capsys, "--camera", "lane1-front")
    assert code == 2 and "--config" in err


def test_camera_from_config(tmp_path, capsys):
    cfg = tmp_path / "lane.toml"
    cfg.write_text("not = [valid")
    code, _, err = run(capsys, "--camera", "front", "--config", str(cfg))
    assert code == 2 and str(cfg) in err


@needs_fonts
@pytest.mark.skipif(not gstreamer_available(), reason="GStreamer RTSP server not installed")
def test_live_frame_from_rtsp_url_or_configured_camera_beside_files(tmp_path, capsys):
    frame, labels = lane_frame(["vn1"], seed=33)
    pattern = write_frames(tmp_path / "f", [cv2.resize(frame, (1280, 720))] * 10)
    crop_text = plate_text.sample(random.Random(5), "vn2moto")
    crop = tmp_path / "crop.png"
    cv2.imwrite(str(crop), plate_render.render(crop_text, random.Random(5), scale=1.0))
    cfg = tmp_path / "lane.toml"
    with RtspServer(pattern) as srv:
        code, lines, _ = run(capsys, "--url", srv.url)
        cfg.write_text('[lane]\nsite = "huu-nghi"\nid = "in-01"\ndirection = "in"\n'
                       f'[[cameras]]\nname = "front"\ndriver = "rtsp"\nurl = "{srv.url}"\n')
        code2, lines2, _ = run(capsys, str(crop), "--camera", "front", "--config", str(cfg))
    assert code == 0 and lines[0]["camera"] == srv.url
    assert [p["text"] for p in lines[0]["plates"]] == labels
    # files beside a camera are still read as files (a crop: the whole image), the frame as the camera's
    assert code2 == 0 and [p["text"] for p in lines2[0]["plates"]] == [crop_text.label]
    assert lines2[1]["camera"] == "front" and [p["text"] for p in lines2[1]["plates"]] == labels


@needs_fonts
def test_module_runs_as_a_program(tmp_path):
    frame, labels = lane_frame(["vn2moto"], seed=34)
    path = tmp_path / "moto.jpg"
    cv2.imwrite(str(path), frame)
    out = subprocess.run([sys.executable, "-m", "gated.anpr.cli", "anpr", str(path)],
                         capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    line = json.loads(out.stdout)
    assert line["file"] == str(path) and [p["text"] for p in line["plates"]] == labels
