"""The evaluation script: its peer cache (rendered sets are keyed by their labels and pixels) and tables."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from scripts.anpr.eval_sets import CropSet
from scripts.eval_anpr import CachedPeer, sweep_table, table


def _set(name: str, fill: int) -> CropSet:
    images = [np.full((24, 94), fill, np.uint8), np.zeros((24, 94), np.uint8)]
    return CropSet(name, images, ["皖A12345", "桂A12345"], [False, False])


def test_a_rendered_set_with_new_pixels_and_the_same_labels_gets_a_new_key():
    assert CachedPeer.key(_set("rendered-cn1", 10)) == CachedPeer.key(_set("rendered-cn1", 10))
    assert CachedPeer.key(_set("rendered-cn1", 10)) != CachedPeer.key(_set("rendered-cn1", 11))


def test_real_sets_are_keyed_by_name_and_size_only():
    assert CachedPeer.key(_set("real-cn", 10)) == "real-cn:2"


def test_results_are_computed_once_and_kept_in_the_file(tmp_path):
    path = tmp_path / "peer.json"
    calls = []

    def compute():
        calls.append(1)
        return {"exact": 0.5}

    assert CachedPeer(path).result(_set("rendered-cn1", 3), compute) == {"exact": 0.5}
    assert CachedPeer(path).result(_set("rendered-cn1", 3), compute) == {"exact": 0.5}
    assert len(calls) == 1
    assert CachedPeer(path).result(_set("rendered-cn1", 4), compute) == {"exact": 0.5}
    assert len(calls) == 2


def test_a_missing_peer_is_a_clear_exit_not_a_traceback(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)  # import fails
    with pytest.raises(SystemExit, match="pip install rapidocr-onnxruntime.*--no-peer"):
        CachedPeer(tmp_path / "peer.json").engine  # loaded only for a set not in the cache


def test_the_scale_sweep_table_puts_the_reader_width_among_the_others():
    def scores(read: int) -> dict:
        return {"n": 16, "scenes_read": read / 16, "false_per_frame": 0.25}

    table = sweep_table({"576": {"real-scenes-cn": scores(9)}, "448": {"real-scenes-cn": scores(10)}},
                        {"real-scenes-cn": scores(11)})
    assert table.splitlines()[0] == "| scenes read at detector width | 448 px | 512 px | 576 px |"
    assert table.splitlines()[2] == ("| real-scenes-cn (16) | 10 (0.25 false/frame) | 11 (0.25 false/frame) | "
                                     "9 (0.25 false/frame) |")


def test_the_main_table_leaves_the_scale_sweep_to_its_own():
    scenes = {"n": 16, "scenes_read": 0.5, "plates_read": 0.5, "false_per_frame": 0.25}
    report = {"real-scenes-cn": {"gated": scenes}, "scale_sweep": {"448": {"real-scenes-cn": scenes}}}
    rows = table(report).splitlines()
    assert [r for r in rows if r.startswith("| real-scenes-cn |")] == [
        "| real-scenes-cn | 16 | 50.0% | - | 50.0% | 0.25 | - | nan% | nan |"]
    assert not any("scale_sweep" in r for r in rows)


def test_the_main_table_shows_the_voted_scenes_beside_the_single_frame_ones():
    scenes = {"n": 16, "scenes_read": 0.5, "plates_read": 0.5, "false_per_frame": 0.25,
              "voted": {"n": 16, "frames": 7, "scenes_read": 0.75}}
    rows = table({"real-scenes-cn": {"gated": scenes}}).splitlines()
    assert "| real-scenes-cn | 16 | 50.0% | 75.0% (7 frames) | 50.0% | 0.25 | - | nan% | nan |" in rows
