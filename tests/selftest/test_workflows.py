"""Technician workflows on the real daemon and a real camera: a day's events as CSV
(through gated, and from the store with gated stopped), readable logs, snapshots, and an
example in every command's --help."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, date

import pytest

from gated.config import load_config
from gated.control.cli import build_parser
from gated.control.examples import has_example, walk
from gated.core.timefmt import parse_offset
from gated.field.events_csv import day_bounds, to_csv
from gated.field.logs import journal_lines, readable
from gated.field.snapshot import camera_jpeg
from scripts.peers.gated_proc import Gated, gatectl, write_config

CAMERAS = """
[[cameras]]
name = "front"
driver = "rtsp"
url = "{url}"

[[cameras]]
name = "gone"
driver = "rtsp"
url = "rtsp://127.0.0.1:9/nobody"
"""


def test_a_days_events_as_csv_and_the_logs_of_a_lane_run(tmp_path):
    cfg = write_config(tmp_path)
    g = Gated(cfg).start()
    try:
        g.wait_for(lambda: len([e for e in g.events() if e["type"] == "passage.decided"]) >= 2,
                   what="two decisions")
        live = gatectl("--config", str(cfg), "events", "--csv")
    finally:
        g.stop()
    assert live.returncode == 0, live.stderr
    rows = list(csv.DictReader(io.StringIO(live.stdout)))
    decided = [r for r in rows if r["type"] == "passage.decided"]
    assert {(r["plate"], r["decision"]) for r in decided} >= {("29C12345", "grant"),
                                                               ("15H54321", "deny")}
    out = tmp_path / "day.csv"
    offline = gatectl("--config", str(cfg), "events", "--csv", "--day", rows[0]["ts"][:10],
                      "--out", str(out))
    assert offline.returncode == 0 and "reading the store directly" in offline.stderr
    assert list(csv.DictReader(out.open())) == rows
    bad = gatectl("--config", str(cfg), "events", "--day", "23/11/2026")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr

    logs = gatectl("logs", "--file", str(g.log), "-n", "400")  # gated's JSON lines, readable
    assert logs.returncode == 0
    assert any(" gated.started " in ln for ln in logs.stdout.splitlines())
    assert not any(ln.lstrip().startswith("{") for ln in logs.stdout.splitlines())
    quiet = gatectl("logs", "--file", str(g.log), "-n", "400", "--level", "warning")
    assert quiet.returncode == 0 and "gated.started" not in quiet.stdout


def test_csv_cells_never_become_spreadsheet_formulas():
    text = to_csv([{"seq": 1, "type": "pass.rejected", "reason": "=HYPERLINK(\"x\")",
                    "operator": "@admin"}])
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["reason"].startswith("'=") and row["operator"] == "'@admin"


def test_a_lane_day_follows_the_lane_timezone():
    start, end = day_bounds(date(2026, 11, 23), parse_offset("+07:00"))
    assert end - start == 86400
    assert start == 1795392000.0 - 7 * 3600  # 2026-11-23T00:00:00+07:00
    utc_start, _ = day_bounds(date(2026, 11, 23), UTC)
    assert utc_start - start == 7 * 3600


def test_journal_entries_are_unwrapped():
    line = json.dumps({"__REALTIME_TIMESTAMP": "1795475282000000",
                       "MESSAGE": json.dumps({"event": "device.fault", "level": "warning",
                                              "device": "io", "reason": "no reply",
                                              "timestamp": "2026-11-23T10:00:00.123+07:00"})})
    raw = json.dumps({"__REALTIME_TIMESTAMP": "1795475282000000",
                      "MESSAGE": list(b"Traceback (most recent call last):")})
    shown = list(journal_lines([line, raw, "not json"], "debug"))
    assert shown[0].startswith("2026-11-23 10:00:00.123 ! device.fault")
    assert "device=io" in shown[0] and "Traceback" in shown[1] and len(shown) == 2
    assert readable(json.loads(line)["MESSAGE"], "error") is None


def test_snapshot_saves_a_jpeg_and_says_what_it_could_not_do(tmp_path, camera):
    cfg = write_config(tmp_path, CAMERAS.format(url=camera.url), sim=False)
    out = tmp_path / "front.jpg"
    res = gatectl("snapshot", "front", "--config", str(cfg), "--out", str(out), "--json")
    assert res.returncode == 0, res.stderr
    result = json.loads(res.stdout)
    assert result["file"] == str(out) and out.read_bytes()[:2] == b"\xff\xd8"
    assert result.get("warning") or isinstance(result["plates"], list)
    missing = gatectl("snapshot", "rear", "--config", str(cfg))
    assert missing.returncode == 2 and "cameras: front, gone" in missing.stderr
    gone = gatectl("snapshot", "gone", "--config", str(cfg))
    assert gone.returncode == 1 and "power, cable" in gone.stderr
    lane = load_config(cfg).config  # what central's snapshot command would publish
    assert asyncio.run(camera_jpeg(lane, "front"))[:2] == b"\xff\xd8"
    with pytest.raises(ValueError):
        asyncio.run(camera_jpeg(lane, "rear"))


@pytest.mark.parametrize("path", [" ".join(p) for p, _ in walk(build_parser())])
def test_every_command_has_an_example_in_its_help(path):
    parsers = dict(walk(build_parser()))
    assert has_example(parsers[tuple(path.split()) if path else ()]), path


@pytest.mark.parametrize("cmd", ["selftest", "snapshot", "logs", "events"])
def test_help_runs_for_the_new_commands(cmd, capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args([cmd, "--help"])
    assert exit_.value.code == 0 and "example" in capsys.readouterr().out
