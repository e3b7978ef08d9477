"""``scripts/bench`` keeps working: its table and JSON, skip/error rows, one cheap real row."""

from __future__ import annotations

import json
import math

import pytest

from scripts import bench_all
from scripts.bench_report import Row, Target, machine, not_run, report, to_json, write_json


def rows() -> list[Row]:
    le = Target("p50", "<=", 20, "p50 ≤ 20 ms")
    return [r.judge() for r in [
        Row("fast", {"p50": 12.3, "p99": 40.0}, "ms", le, "n=10"),
        Row("slow", {"p50": 25.0, "p99": 30.0}, "ms", le),
        Row("rate", {"value": 2500.0}, "events/s", Target("value", ">=", 2000, "≥ 2,000/s",
                                                           chosen=True)),
        Row("plain", {"value": math.nan}, "MB"),
        *not_run(["gone"], "skipped: mosquitto not installed"),
    ]]


def test_table_states_value_target_and_result():
    text = report(machine("shared box"), rows())
    lines = text.splitlines()
    assert lines[0].startswith("gated benchmarks, ") and "cores" in lines[0]
    assert lines[1] == "note: shared box"
    assert "| fast | p50 12.3 / p99 40.0 ms (n=10) | p50 ≤ 20 ms | pass |" in lines
    assert "| slow | p50 25.0 / p99 30.0 ms | p50 ≤ 20 ms | FAIL |" in lines
    assert "| rate | 2,500 events/s | ≥ 2,000/s (budget chosen here) | pass |" in lines
    assert "| plain | n/a MB | – | no target |" in lines
    assert "| gone | – | – | skipped: mosquitto not installed |" in lines


def test_json_has_every_row_and_no_nan(tmp_path):
    path = tmp_path / "sub" / "b.json"
    write_json(path, to_json(machine(), rows(), "scripts/bench --quick"))
    data = json.loads(path.read_text())
    assert data["command"] == "scripts/bench --quick"
    assert [r["status"] for r in data["rows"]] == ["pass", "FAIL", "pass", "no target",
                                                   "skipped: mosquitto not installed"]
    assert data["rows"][3]["values"] == {"value": None}
    assert data["rows"][2]["target"]["text"] == "≥ 2,000/s (budget chosen here)"


def test_a_broken_or_impossible_bench_gives_rows_not_a_traceback():
    def broken(_sizes):
        raise RuntimeError("peer died\nlong log tail")

    def impossible(_sizes):
        raise bench_all.Skip("no camera here")

    got = bench_all.run_one(bench_all.Bench("x", ["a", "b"], broken), bench_all.QUICK, False)
    assert [(r.figure, r.status) for r in got] == [("a", "error: RuntimeError: peer died"),
                                                  ("b", "error: RuntimeError: peer died")]
    got = bench_all.run_one(bench_all.Bench("y", ["c"], impossible), bench_all.QUICK, False)
    assert got[0].status == "skipped: no camera here"


def test_unknown_row_is_refused(capsys):
    with pytest.raises(SystemExit):
        bench_all.main(["--only", "nonsense"])
    assert "unknown --only nonsense" in capsys.readouterr().err


def test_inserts_row_runs_for_real(tmp_path, capsys):
    out = tmp_path / "latest.json"
    assert bench_all.main(["--quick", "--only", "inserts", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| durable event inserts (synchronous=FULL, 1 per transaction) |" in printed
    assert "| durable events through the lane runtime, inputs queued (group commit) |" in printed
    alone, burst = json.loads(out.read_text())["rows"]
    for row in (alone, burst):
        assert row["values"]["value"] > 0 and row["status"] in ("pass", "FAIL")
        assert row["target"]["limit"] == 2000
    assert 0 < burst["extra"]["commits"] < 500  # --quick queues 500 inputs: fewer transactions


def test_paired_frames_alternate_which_reader_goes_first():
    """``bench_anpr --against``: each frame is read by both readers, the first alternating, so
    a slow spell of the machine falls on both alike."""
    from scripts.bench_anpr import paired_frames

    order: list[tuple[str, int]] = []

    class Reader:
        def __init__(self, name: str) -> None:
            self.name = name

        def read(self, frame: int) -> list:
            order.append((self.name, frame))
            return []

    ta, tb = paired_frames(Reader("a"), Reader("b"), [0, 1, 2], 4)  # type: ignore[arg-type]
    assert order == [("a", 0), ("b", 0), ("b", 1), ("a", 1), ("a", 2), ("b", 2), ("b", 0), ("a", 0)]
    assert len(ta) == len(tb) == 4 and (ta >= 0).all() and (tb >= 0).all()
