"""Pure parts of the detector: letterboxing, heatmap decoding, box overlap, crop expansion."""

from __future__ import annotations

import numpy as np

from gated.anpr.detector import STRIDE, Detection, add_coarse, clip_box, decode, iou, letterbox, overlap, suppress
from gated.anpr.reader import dedupe, expand, joined_neighbours
from gated.devices.interfaces import PlateRead


def test_letterbox_keeps_aspect_and_pads_to_32():
    img = np.full((1080, 1920, 3), 200, np.uint8)
    out, scale = letterbox(img, 512)
    assert out.shape == (288, 512, 3)
    assert abs(scale - 512 / 1920) < 1e-9
    out, _ = letterbox(np.zeros((1160, 720, 3), np.uint8), 512)
    assert out.shape[1] == 512 and out.shape[0] % 32 == 0 and out.shape[0] >= 512 * 1160 / 720


def _maps(fh: int, fw: int, peaks: list[tuple[int, int, float, float, float]]) -> tuple[np.ndarray, np.ndarray]:
    heat = np.zeros((fh, fw), np.float32)
    box = np.zeros((4, fh, fw), np.float32)
    for y, x, score, w_cells, h_cells in peaks:
        heat[y, x] = score
        box[:, y, x] = (0.0, 0.0, np.log(w_cells), np.log(h_cells))  # offsets: sigmoid(0) = 0.5
    return heat, box


def test_decode_places_boxes_in_frame_pixels():
    heat, box = _maps(36, 64, [(10, 20, 0.9, 8, 2)])
    (det,) = decode(heat, box, scale=0.5, threshold=0.3, max_plates=8)
    cx, cy = (20 + 0.5) * STRIDE / 0.5, (10 + 0.5) * STRIDE / 0.5
    x1, y1, x2, y2 = det.box
    assert abs((x1 + x2) / 2 - cx) <= 1 and abs((y1 + y2) / 2 - cy) <= 1
    assert abs((x2 - x1) - 8 * STRIDE / 0.5) <= 1 and abs((y2 - y1) - 2 * STRIDE / 0.5) <= 1
    assert det.score == np.float32(0.9)


def test_decode_threshold_order_and_limit():
    heat, box = _maps(36, 64, [(5, 5, 0.5, 4, 1), (20, 40, 0.95, 4, 1), (30, 10, 0.2, 4, 1)])
    dets = decode(heat, box, 1.0, threshold=0.3, max_plates=8)
    assert [round(d.score, 2) for d in dets] == [0.95, 0.5]
    assert len(decode(heat, box, 1.0, threshold=0.3, max_plates=1)) == 1


def test_decode_suppresses_nested_duplicates():
    heat, box = _maps(36, 64, [(10, 20, 0.9, 10, 3), (10, 22, 0.6, 4, 1)])
    assert len(decode(heat, box, 1.0, 0.3, 8)) == 1


def test_overlap_clip_expand():
    assert overlap((0, 0, 10, 10), (2, 2, 4, 4)) == 1.0
    assert overlap((0, 0, 10, 10), (20, 20, 30, 30)) == 0.0
    assert clip_box((-5, -5, 700, 500), 640, 480) == (0, 0, 640, 480)
    assert expand((100, 100, 200, 120), 0.1, 640, 480) == (90, 98, 210, 122)


def test_dedupe_keeps_most_confident_per_text():
    reads = [PlateRead("29C12345", 0.5, (0, 0, 1, 1)), PlateRead("29C12345", 0.9, (5, 5, 9, 9)),
             PlateRead("51F44614", 0.7, (0, 0, 1, 1))]
    out = dedupe(reads)
    assert sorted((r.text, r.confidence) for r in out) == [("29C12345", 0.9), ("51F44614", 0.7)]


def test_halves_of_one_plate_are_joined_but_not_stacked_or_distant_boxes():
    halves = [(100, 200, 180, 230), (190, 202, 260, 231)]
    assert joined_neighbours(halves) == [(100, 200, 260, 231)]
    assert joined_neighbours([(100, 200, 180, 230), (100, 240, 180, 270)]) == []  # stacked
    assert joined_neighbours([(100, 200, 180, 230), (600, 200, 680, 230)]) == []  # far apart
    assert joined_neighbours([(100, 200, 180, 230), (185, 150, 400, 300)]) == []  # different size


def test_suppress_keeps_the_best_box_of_a_cluster_and_the_limit():
    a, b, c = Detection((0, 0, 100, 30), 0.5), Detection((10, 5, 90, 25), 0.9), Detection((200, 0, 300, 30), 0.4)
    assert suppress([a, b, c], 8) == [b, c]  # a holds b (nested): the better b stays
    assert suppress([a, b, c], 1) == [b]


def test_coarse_boxes_add_missed_and_whole_plates_but_not_a_second_box_of_a_found_one():
    left, right = Detection((100, 400, 300, 560), 0.7), Detection((280, 410, 520, 570), 0.5)  # halves
    whole = Detection((110, 400, 600, 580), 0.8)
    missed = Detection((700, 100, 800, 130), 0.4)
    again = Detection((102, 398, 305, 565), 0.9)  # the left half, found again, looser
    assert iou(again.box, left.box) > 0.5 and iou(whole.box, left.box) < 0.5
    assert add_coarse([left, right], [whole, missed, again], 8) == [left, right, whole, missed]
    assert add_coarse([left, right], [whole, missed], 3) == [left, right, whole]
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0 and iou((0, 0, 10, 10), (20, 20, 30, 30)) == 0.0
