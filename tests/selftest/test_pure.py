"""Pure parts of the field tooling: the report model, its rendering, clock and camera
arithmetic, the model manifest, input plausibility. No devices, no mocks."""

from __future__ import annotations

import json

import pytest

from gated.devices.interfaces import LaneInputs
from gated.field.camera import redact, steady_fps
from gated.selftest import clock, manifest
from gated.selftest.models import COMPUTE_TOLERANCE, judge_compute
from gated.selftest.iocheck import input_problem
from gated.selftest.render import progress_line, report_text
from gated.selftest.report import (
    Report,
    exit_status,
    failed,
    from_dict,
    passed,
    report_from_dict,
    skipped,
    warned,
)

CHRONY = """Reference ID    : C0A80A01 (ntp.lane.local)
Stratum         : 3
Ref time (UTC)  : Mon Nov 23 10:15:30 2026
System time     : 0.000812345 seconds slow of NTP time
Last offset     : -0.000001234 seconds
Leap status     : Normal
"""
CHRONY_UNSYNCED = """Reference ID    : 00000000 ()
Stratum         : 0
System time     : 0.000000000 seconds fast of NTP time
Leap status     : Not synchronised
"""
TIMESYNCD = """       Server: 192.168.10.1 (ntp.lane.local)
Poll interval: 34min 8s (min: 32s; max 34min 8s)
         Leap: normal
      Stratum: 2
       Offset: -1.234ms
        Delay: 1.107ms
"""


def _report(*results) -> Report:
    return Report("standalone", "huu-nghi", "in-01", "2026-11-23T10:00:00.000+07:00", 1.5,
                  tuple(results))


def test_a_failed_step_fails_the_lane_and_warnings_do_not():
    ok = _report(passed("io", "io", "connect", "3 ms"), warned("clock", "", "ntp", "install chrony"),
                 skipped("mqtt", "", "uplink", "enable it"))
    bad = _report(*ok.results, failed("camera", "front", "connect", "check the cable"))
    assert (ok.ok, exit_status(ok)) == (True, 0)
    assert (bad.ok, exit_status(bad)) == (False, 1)
    assert bad.to_dict()["summary"] == {"pass": 1, "warn": 1, "fail": 1, "skip": 1}


def test_report_survives_json_both_ways():
    r = _report(failed("camera", "front", "connect", "check the cable", "no stream", 5.0, "s",
                       "rtsp://u:***@cam"))
    back = report_from_dict(json.loads(json.dumps(r.to_dict())))
    assert back == r
    with pytest.raises(ValueError):
        from_dict({"check": "x", "device": "", "step": "y", "status": "maybe"})


def test_rendering_shows_status_figure_and_remedy():
    r = _report(failed("camera", "front", "connect", "check the camera's power", "no stream"))
    text = report_text(r)
    assert "FAIL" in text and "no stream" in text and "check the camera's power" in text
    assert "LANE NOT OK: 0 pass, 0 warn, 1 fail" in text
    assert progress_line(3, r.results[0]) == "[ 3] FAIL  camera front connect  no stream"


def test_chrony_and_timesyncd_outputs_are_understood():
    s = clock.parse_chrony(CHRONY)
    assert (s.synced, s.source) == (True, "ntp.lane.local")
    assert s.offset_s == pytest.approx(-0.000812345)
    assert clock.parse_chrony(CHRONY_UNSYNCED).synced is False
    t = clock.parse_timesyncd(TIMESYNCD, synced=True)
    assert t.offset_s == pytest.approx(-0.001234) and t.synced


@pytest.mark.parametrize("status, expected", [
    (clock.NtpStatus("chrony", True, 0.001), "pass"),
    (clock.NtpStatus("chrony", True, 0.9), "warn"),
    (clock.NtpStatus("chrony", False, 0.0), "warn"),
    (clock.NtpStatus("chrony", True, -3.0), "fail"),  # beyond command_skew_s = 2
    ("no NTP client found: install chrony", "warn"),
])
def test_clock_offsets_are_judged_against_the_command_skew(status, expected):
    result = clock.judge(status, skew_s=2.0)
    assert result.status == expected
    assert result.remedy or expected == "pass"


def test_frame_rate_ignores_the_opening_burst():
    burst = [0.0 + i * 0.001 for i in range(20)]  # buffered frames at once
    steady = [0.5 + i * 0.04 for i in range(40)]  # then 25 fps
    assert steady_fps(burst + steady) == pytest.approx(25.0, rel=0.01)
    assert steady_fps([]) == 0.0 and steady_fps([1.0]) == 0.0


def test_camera_passwords_are_never_shown():
    assert redact("rtsp://admin:hunter2@10.0.0.5:554/s1") == "rtsp://admin:***@10.0.0.5:554/s1"
    assert redact("rtsp://10.0.0.5/s1") == "rtsp://10.0.0.5/s1"


@pytest.mark.parametrize("inputs, problem", [
    (LaneInputs(False, False, False, True), None),
    (LaneInputs(False, False, True, True), "both limit switches"),
    (LaneInputs(False, False, False, False), "neither limit switch"),
])
def test_implausible_inputs_point_at_wiring(inputs, problem):
    found = input_problem(inputs)
    assert (found is None) if problem is None else (problem in found)


def test_manifest_round_trip_and_tampering(tmp_path):
    (tmp_path / "det.onnx").write_bytes(b"not really onnx")
    (tmp_path / "plate_config.yaml").write_text("max_plate_slots: 9\n")
    built = manifest.build(tmp_path, {"det.onnx": "plate detector"})
    entries = manifest.parse(json.dumps(built))
    assert [(e.file, e.load, e.role) for e in entries] == [
        ("det.onnx", "onnx", "plate detector"), ("plate_config.yaml", None, "")]
    assert entries[0].sha256 == manifest.sha256_of(tmp_path / "det.onnx")


def test_rewriting_a_manifest_keeps_its_roles(tmp_path, capsys):
    (tmp_path / "det.onnx").write_bytes(b"one")
    (tmp_path / "ocr.onnx").write_bytes(b"two")
    assert manifest.main([str(tmp_path), "--role", "det.onnx=plate detector", "--role", "ocr.onnx=OCR"]) == 0
    (tmp_path / "det.onnx").write_bytes(b"retrained")
    assert manifest.main([str(tmp_path), "--role", "ocr.onnx=plate OCR"]) == 0
    entries = manifest.load(tmp_path)
    assert [(e.file, e.role) for e in entries] == [("det.onnx", "plate detector"), ("ocr.onnx", "plate OCR")]
    assert entries[0].sha256 == manifest.sha256_of(tmp_path / "det.onnx")


@pytest.mark.parametrize("text", [
    "not json", '{"format": "other/1", "models": []}', '{"format": "gated-models/1", "models": []}',
    '{"format": "gated-models/1", "models": [{"file": "../x", "sha256": "' + "a" * 64 + '", "bytes": 1}]}',
    '{"format": "gated-models/1", "models": [{"file": "x", "sha256": "short", "bytes": 1}]}',
])
def test_bad_manifests_are_refused_with_a_reason(text):
    with pytest.raises(manifest.ManifestError):
        manifest.parse(text)


def test_a_model_computed_wrongly_fails_with_a_remedy():
    ok = judge_compute("plate_ocr_cn.onnx", 3.2e-7)
    assert (ok.status, ok.step, ok.figure) == ("pass", "compute", "3.2e-07")
    assert judge_compute("m.onnx", COMPUTE_TOLERANCE).status == "pass"
    bad = judge_compute("plate_ocr_cn.onnx", 0.875)  # the int8 specialist on an AVX2 CPU
    assert (bad.status, bad.figure, bad.value) == ("fail", "0.875", 0.875)
    assert "lscpu" in bad.remedy and "install" in bad.remedy
