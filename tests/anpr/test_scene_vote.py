"""Scenes read as voted frames (scripts/anpr/scene_vote.py): the voter's rules, a fake reader."""

from __future__ import annotations

import random

import numpy as np

from scripts.anpr.scene_vote import jitter, voted_plates, voted_scene_scores


def _image() -> np.ndarray:
    img = np.zeros((200, 400, 3), np.uint8)
    img[80:120, 150:250] = 255
    return img


def test_jitter_moves_the_picture_by_a_few_pixels_only():
    img = _image()
    for seed in range(10):
        out = jitter(img, random.Random(seed))
        ys, xs = np.nonzero(out[..., 0] > 127)
        assert out.shape == img.shape
        assert abs(xs.mean() - 200) <= 4 and abs(ys.mean() - 100) <= 3  # centre within 0.6% + scaling
        assert 95 <= xs.max() - xs.min() + 1 <= 105


def test_a_plate_is_voted_when_enough_frames_agree_and_not_from_one_lucky_frame():
    reads = iter([[("51G12345", 0.9)], [("51G12845", 0.8)], [("51G12345", 0.9)], [("51G12345", 0.9)],
                  [], [], []])
    assert voted_plates(lambda _frame: next(reads), _image(), 7, seed=1) == ["51G12345"]
    once = iter([[("51G12345", 0.9)]] + [[] for _ in range(6)])
    assert voted_plates(lambda _frame: next(once), _image(), 7, seed=1) == []  # one read: no decision


def test_a_scene_counts_when_every_labelled_plate_is_voted():
    def read(_frame):
        return [("51G12345", 0.9), ("29A11111", 0.9)]

    images, labels = [_image(), _image()], [["51G12345", "29A11111"], ["51G12345", "30A22222"]]
    assert voted_scene_scores(read, images, labels, 5) == {"n": 2, "frames": 5, "scenes_read": 0.5}
