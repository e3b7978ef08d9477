"""The rendered-conditions breakdown (scripts/eval_conditions.py): pure bookkeeping."""

from __future__ import annotations

import math

import pytest

from scripts.eval_conditions import TILTS, WIDTHS, breakdown, bucket, false_by_light, plate_geometry, plate_rows


def test_buckets_take_the_first_upper_bound_above_the_value():
    assert bucket(22, WIDTHS) == "22-40 px"
    assert bucket(40, WIDTHS) == "40-80 px"
    assert bucket(1000, WIDTHS) == "140-220 px"
    assert bucket(2.9, TILTS) == "< 3 deg" and bucket(8, TILTS) == ">= 8 deg"


def test_plate_geometry_is_width_and_roll_whichever_way_the_plate_leans():
    level = [[10, 10], [110, 10], [110, 40], [10, 40]]
    assert plate_geometry(level) == (100, 0)
    a = math.radians(10)
    tilted = [[0, 0], [100 * math.cos(a), 100 * math.sin(a)], [90, 40], [-5, 30]]
    width, roll = plate_geometry(tilted)
    assert roll == pytest.approx(10) and width == pytest.approx(100 * math.cos(a) + 5)
    mirrored = [[0, 0], [100 * math.cos(a), -100 * math.sin(a)], [90, 20], [0, 30]]
    assert plate_geometry(mirrored)[1] == pytest.approx(10)


def test_a_plate_is_found_by_an_overlapping_box_and_read_by_its_exact_text():
    info = {"light": "ir", "blurred": False,
            "plates": [{"kind": "cn2", "colour": "yellow", "quad": [[0, 0], [150, 0], [150, 60], [0, 60]]},
                       {"kind": "vn1", "colour": "white", "quad": [[500, 0], [1300, 0], [1300, 150], [500, 150]]}]}
    truth = [(0, 0, 150, 60), (500, 0, 1300, 150)]
    rows = plate_rows(info, ["桂A12345", "51G12345"], truth, [(2, 1, 150, 60), (0, 300, 50, 350)], ["51G12345"])
    assert [(r["found"], r["read"]) for r in rows] == [(True, False), (False, True)]
    assert rows[0]["kind"] == "CN two-row truck" and rows[0]["colour"] == "CN yellow"
    assert rows[0]["width"] == "22-40 px" and rows[1]["width"] == "140-220 px"  # drawn = frame / 5
    assert rows[0]["light"] == "ir" and rows[0]["blur"] == "sharp" and rows[0]["tilt"] == "< 3 deg"


def test_breakdown_shares_and_order():
    rows = [{"light": "ir", "found": True, "read": False}, {"light": "day", "found": True, "read": True},
            {"light": "day", "found": False, "read": False}, {"light": "night", "found": True, "read": True}]
    scores = breakdown(rows, "light")
    assert list(scores) == ["day", "night", "ir"]
    assert scores["day"] == {"plates": 2, "found": 0.5, "read": 0.5}
    assert scores["ir"] == {"plates": 1, "found": 1.0, "read": 0.0}
    assert false_by_light([("day", 1), ("day", 0), ("ir", 3)]) == {"day": 0.5, "ir": 3.0}
