"""OCR training samples: a rendered plate as the detector would crop it, resized for the model."""

from __future__ import annotations

import math
import random

import cv2
import numpy as np

from . import degrade, plate_render, plate_text

IMG_H, IMG_W = 64, 128


def warp_into_context(plate: np.ndarray, rng: random.Random, strength: float = 1.0
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Plate warped onto a background; returns (image, the plate's corner quad in it)."""
    h, w = plate.shape[:2]
    random_quad = degrade.random_quad(rng, w, h, strength)
    pad = 0.25 * max(w, h)
    quad = random_quad - random_quad.min(axis=0) + pad
    out_w = int(quad[:, 0].max() + pad)
    out_h = int(quad[:, 1].max() + pad)
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    m = cv2.getPerspectiveTransform(src, quad.astype(np.float32))
    bg = degrade.textured_background(rng, out_h, out_w)
    cv2.warpPerspective(plate, m, (out_w, out_h), dst=bg, flags=cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_TRANSPARENT)
    return bg, quad


def crop_box(quad: np.ndarray, rng: random.Random, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """Axis-aligned box around the quad with a random margin, as a detector would give."""
    x1, y1 = quad.min(axis=0)
    x2, y2 = quad.max(axis=0)
    w, h = x2 - x1, y2 - y1
    lo, hi = (-0.04, 0.02) if rng.random() < 0.4 else (-0.02, 0.12)  # tight crops are common
    m = [rng.uniform(lo, hi) for _ in range(4)]
    bx1 = max(0, int(x1 - m[0] * w))
    by1 = max(0, int(y1 - m[1] * h))
    bx2 = min(shape[1], int(x2 + m[2] * w))
    by2 = min(shape[0], int(y2 + m[3] * h))
    return bx1, by1, bx2, by2


def _target_width(rng: random.Random, kind: str) -> int:
    lo, hi = (45, 220) if kind in ("vn2moto", "vn2car", "cn2", "cn_trailer") else (50, 320)
    return int(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def photometric(img: np.ndarray, rng: random.Random, dark: bool = True) -> np.ndarray:
    """Colour crop in, grey crop out: light, IR or night (when ``dark``), then the sensor."""
    img = degrade.lighting(img, rng)
    grey = degrade.to_grey(img, rng, ir=dark and rng.random() < 0.12)
    if dark and rng.random() < 0.1:
        grey = degrade.night(grey, rng)
    return grey


#: Share of one-line plates rendered as small aligned crops (plate edge = crop edge, ~94x24).
TINY_ALIGNED = {"cn1": 0.5, "cn_nev": 0.25, "vn1": 0.15}


def tiny_aligned_crop(plate: np.ndarray, rng: random.Random) -> np.ndarray:
    """Nearly frontal plate (sometimes rolled up to ~10 degrees, as handheld shots are) cut at
    (or just inside/outside) its edges, then ``tiny_aligned``."""
    scene, quad = warp_into_context(plate, rng, strength=rng.choice((rng.uniform(0.1, 0.8), rng.uniform(0.8, 2.0))))
    (x1, y1), (x2, y2) = quad.min(axis=0), quad.max(axis=0)
    w, h = x2 - x1, y2 - y1
    m = [rng.uniform(-0.03, 0.03), rng.uniform(-0.12, 0.02), rng.uniform(-0.03, 0.03), rng.uniform(-0.12, 0.02)]
    box = (int(x1 - m[0] * w), int(y1 - m[1] * h), int(x2 + m[2] * w), int(y2 + m[3] * h))
    grey = photometric(scene[max(0, box[1]) : box[3], max(0, box[0]) : box[2]], rng, dark=False)
    return degrade.tiny_aligned(grey, rng)


def sample(rng: random.Random, kind: str | None = None, natural: bool = False) -> tuple[np.ndarray, str]:
    """One (IMG_H x IMG_W grey uint8, normalised label) training sample. ``natural``: the same
    sample at its own size and aspect instead, as a camera's crop reaches the reader (the
    random draws are the same, so the same seed gives the same plate either way)."""
    text = plate_text.sample(rng, kind)
    plate = plate_render.render(text, rng, scale=rng.uniform(0.8, 1.3))
    if rng.random() < TINY_ALIGNED.get(text.kind, 0.0):
        grey = tiny_aligned_crop(plate, rng)
    else:
        scene, quad = warp_into_context(plate, rng, strength=rng.choice((0.5, 1.0, 1.0, 2.0)))
        x1, y1, x2, y2 = crop_box(quad, rng, scene.shape)
        grey = photometric(scene[y1:y2, x1:x2], rng)
        grey = degrade.sensor(grey, rng, _target_width(rng, text.kind))
    return (grey if natural else cv2.resize(grey, (IMG_W, IMG_H), interpolation=cv2.INTER_LINEAR)), text.label
