"""The ANPR feed keeps one best frame per plate text, and a bounded number of them."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from gated.daemon.anpr_feed import BEST_FRAMES, AnprFeed
from gated.devices.interfaces import Frame, PlateRead


def feed() -> AnprFeed:
    return AnprFeed(SimpleNamespace(name="front"), reader=None, runtime=None)


def frame(i: int) -> Frame:
    return Frame("front", i, float(i), np.zeros((4, 4, 3), np.uint8))


def test_best_frame_per_text_wins():
    f = feed()
    f._keep_best(frame(1), [PlateRead("29C12345", 0.7, (0, 0, 2, 2))])
    f._keep_best(frame(2), [PlateRead("29C12345", 0.9, (0, 0, 2, 2))])
    f._keep_best(frame(3), [PlateRead("29C12345", 0.8, (0, 0, 2, 2))])
    assert f._best["29C12345"][0].index == 2


def test_a_frame_from_an_earlier_vehicle_is_replaced():
    f = feed()
    later = f.voter.config.forget_after + 1
    f._keep_best(frame(0), [PlateRead("29C12345", 0.99, (0, 0, 2, 2))])
    f._keep_best(frame(int(later) + 1), [PlateRead("29C12345", 0.6, (0, 0, 2, 2))])
    assert f._best["29C12345"][0].index == int(later) + 1


def test_kept_frames_are_bounded_oldest_text_first():
    f = feed()
    for i in range(BEST_FRAMES + 5):
        f._keep_best(frame(i), [PlateRead(f"29C{i:05d}", 0.9, (0, 0, 2, 2))])
    assert len(f._best) == BEST_FRAMES
    assert "29C00000" not in f._best and f"29C{BEST_FRAMES + 4:05d}" in f._best
