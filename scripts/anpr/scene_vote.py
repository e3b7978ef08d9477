"""Scenes read as the lane reads a vehicle: several frames, voted.

A lane never decides on one frame: ``PlateVoter`` pools the reads of a vehicle's frames.
A still photo has one frame, and its single read turns on a few pixels of box (a box 4 px
tighter reads a plate's border as a last character, one 5 px shorter cuts one off;
models/plate_det.md), so single-frame scene figures carry that noise. Here each scene is
read as ``frames`` frames of a stopped vehicle (the photo, then copies shifted by up to 0.6%
of its size and scaled by 0.98-1.02: a camera's jitter and a vehicle's creep) fed to a
``PlateVoter`` 40 ms apart; a scene counts as read when every labelled plate is decided
(status ``read``, ``min_agree`` agreeing reads).
"""

from __future__ import annotations

import random

import cv2
import numpy as np

from gated.anpr.voting import PlateVoter

FRAME_GAP = 0.04  # seconds between frames (25 fps)


def jitter(image: np.ndarray, rng: random.Random) -> np.ndarray:
    """The image shifted by up to 0.6% of its size and scaled by 0.98-1.02 about its centre."""
    h, w = image.shape[:2]
    s = rng.uniform(0.98, 1.02)
    dx, dy = rng.uniform(-0.006, 0.006) * w, rng.uniform(-0.006, 0.006) * h
    m = np.float32([[s, 0, (1 - s) * w / 2 + dx], [0, s, (1 - s) * h / 2 + dy]])
    return cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def voted_plates(read, image: np.ndarray, frames: int, seed: int) -> list[str]:
    """The plates a ``PlateVoter`` decides (status ``read``) from ``frames`` frames of ``image``
    (the first as it is); ``read`` maps a frame to [(text, confidence)]."""
    rng = random.Random(seed)
    voter = PlateVoter()
    decided = []
    for k in range(frames):
        frame = image if k == 0 else jitter(image, rng)
        decided += voter.add(read(frame), k * FRAME_GAP)
    decided += voter.tick(frames * FRAME_GAP + voter.config.timeout + voter.config.forget_after)
    return [d.plate for d in decided if d.status == "read"]


def voted_scene_scores(read, images: list[np.ndarray], labels: list[list[str]], frames: int) -> dict:
    """Share of scenes whose every labelled plate is voted (``voted_plates``, seeded per scene)."""
    hits = sum(all(t in voted_plates(read, img, frames, seed) for t in lab)
               for seed, (img, lab) in enumerate(zip(images, labels)))
    return {"n": len(images), "frames": frames, "scenes_read": hits / max(1, len(images))}
