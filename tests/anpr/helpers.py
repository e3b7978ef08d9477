"""Helpers shared by the ANPR tests and the daemon's camera tests: rendered plates and
frames, fake OCR models."""

from __future__ import annotations

import random

import cv2
import numpy as np

from gated.anpr.routed import is_chinese
from gated.core.plates import CN_PROVINCES
from scripts.anpr import plate_render, plate_text


def lane_frame(kinds: list[str], seed: int, grey: bool = False) -> tuple[np.ndarray, list[str]]:
    """A 1920x1080 frame: road-grey background, one vehicle-ish block per plate, frontal plates."""
    rng = random.Random(seed)
    frame = np.full((1080, 1920, 3), (70, 75, 80), np.uint8)
    labels = []
    for i, kind in enumerate(kinds):
        text = plate_text.sample(rng, kind)
        plate = plate_render.render(text, rng, scale=1.0)
        pw = 300 if plate.shape[1] / plate.shape[0] > 2 else 170
        ph = int(pw * plate.shape[0] / plate.shape[1])
        x, y = 250 + i * 800, 550
        cv2.rectangle(frame, (x - 150, y - 300), (x + pw + 150, y + ph + 100), (140, 40, 30), -1)
        frame[y : y + ph, x : x + pw] = cv2.resize(plate, (pw, ph), interpolation=cv2.INTER_AREA)
        labels.append(text.label)
    if grey:
        frame = cv2.cvtColor(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    return frame, labels


def rendered_crops(kind: str, n: int, seed: int) -> tuple[list[np.ndarray], list[str]]:
    rng = random.Random(seed)
    crops, labels = [], []
    for _ in range(n):
        text = plate_text.sample(rng, kind)
        plate = plate_render.render(text, rng, scale=1.0)
        crops.append(cv2.resize(plate, (plate.shape[1] // 2, plate.shape[0] // 2), interpolation=cv2.INTER_AREA))
        labels.append(text.label)
    return crops, labels


class FakeOCR:
    """Reads a crop as the text written in its first pixel's lookup table; records calls."""

    def __init__(self, texts: dict[int, str], sure: float = 0.6) -> None:
        self.texts, self.calls, self.sure = texts, [], sure

    def read(self, crops, search=False):
        self.calls.append(([int(c[0, 0]) for c in crops], search))
        return [(self.texts[int(c[0, 0])], 0.9) for c in crops]

    def read_with_provinces(self, crops, search=False):
        """Its first character's probabilities: ``sure`` on the province it read, the rest on 皖."""
        reads = self.read(crops, search)
        first = np.zeros((len(crops), len(CN_PROVINCES)), np.float32)
        for k, (text, _) in enumerate(reads):
            if is_chinese(text):
                first[k, CN_PROVINCES.index(text[0])] += self.sure
                first[k, CN_PROVINCES.index("皖")] += 0.9 - self.sure
        return reads, first


class FakeProvinces:
    """A province classifier sure of one province for every crop; records the crops it saw."""

    def __init__(self, province: str, p: float) -> None:
        self.province, self.p, self.seen = province, p, []

    def probs(self, crops):
        self.seen.append([int(c[0, 0]) for c in crops])
        out = np.full((len(crops), len(CN_PROVINCES)), (1 - self.p) / (len(CN_PROVINCES) - 1), np.float32)
        out[:, CN_PROVINCES.index(self.province)] = self.p
        return out


def crop(n: int) -> np.ndarray:
    return np.full((4, 8), n, np.uint8)
