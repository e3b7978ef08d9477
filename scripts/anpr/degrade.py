"""Turn a clean plate into what a camera delivers: context, perspective, light, resolution.

``camera_crop`` gives the axis-aligned crop around the warped plate (what the detector
hands the OCR), after lighting, dirt, IR/night, low resolution, blur, noise and JPEG.
The same photometric pieces are used by the scene composer.
"""

from __future__ import annotations

import random

import cv2
import numpy as np


def textured_background(rng: random.Random, h: int, w: int) -> np.ndarray:
    """Car-body-like surroundings: a colour, a gradient, blurred noise, sometimes stripes.

    Made at 1/8 resolution and blown up: cheap, and smooth like out-of-focus surroundings.
    """
    sh, sw = max(2, h // 8), max(2, w // 8)
    base = np.array([rng.randint(0, 255) for _ in range(3)], np.float32)
    if rng.random() < 0.5:
        base *= rng.uniform(0.1, 0.6)  # dark bumpers and shadows are common
    gy = np.linspace(-1, 1, sh, dtype=np.float32)[:, None, None] * rng.uniform(-60, 60)
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0, rng.uniform(0, 30), (sh, sw, 3))
    small = np.clip(base + gy + noise, 0, 255).astype(np.uint8)
    img = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.3:  # grille bars
        step = rng.randint(4, 20)
        img[:: step * 2] = (img[:: step * 2] * rng.uniform(0.3, 0.8)).astype(np.uint8)
    return img


def random_quad(rng: random.Random, w: float, h: float, strength: float = 1.0) -> np.ndarray:
    """Corners (tl, tr, br, bl) of a plate of size w x h after tilt, skew and perspective."""
    ang = np.deg2rad(rng.gauss(0, 4) * strength)
    sx = rng.uniform(0.85, 1.15)
    shear = rng.gauss(0, 0.06) * strength
    persp = rng.gauss(0, 0.05) * strength
    pts = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32) - [w / 2, h / 2]
    pts[:, 0] *= sx
    pts[:, 0] += pts[:, 1] * shear
    pts[:, 1] *= 1 + persp * np.sign(pts[:, 0]) * (pts[:, 0] != 0)
    rot = np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]], np.float32)
    return (pts @ rot.T).astype(np.float32)


def lighting(img: np.ndarray, rng: random.Random) -> np.ndarray:
    """Shadow gradient, glare blob, dirt, contrast and gamma; BGR uint8 in and out."""
    h, w = img.shape[:2]
    out = img.astype(np.float32)
    if rng.random() < 0.4:  # shadow edge across the plate
        xs = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
        ys = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
        a = rng.uniform(0, 2 * np.pi)
        edge = np.cos(a) * xs + np.sin(a) * ys - rng.uniform(-0.6, 0.6)
        out *= (1 - rng.uniform(0.2, 0.65) * (edge > 0))[:, :, None]
    if rng.random() < 0.25:  # glare
        glare = np.zeros((h, w), np.float32)
        cv2.ellipse(glare, (rng.randint(0, w), rng.randint(0, h)),
                    (rng.randint(w // 10 + 1, w // 2 + 2), rng.randint(h // 10 + 1, h // 2 + 2)),
                    rng.uniform(0, 180), 0, 360, 1.0, -1)
        k = (max(3, w // 6) | 1)
        out += cv2.GaussianBlur(glare, (k, k), 0)[:, :, None] * rng.uniform(60, 200)
    if rng.random() < 0.3:  # dirt and scratches
        dirt = np.zeros((h, w), np.float32)
        for _ in range(rng.randint(1, 12)):
            cv2.circle(dirt, (rng.randint(0, w), rng.randint(0, h)), rng.randint(1, max(2, h // 8)), 1.0, -1)
        out *= 1 - cv2.GaussianBlur(dirt, (5, 5), 0)[:, :, None] * rng.uniform(0.2, 0.6)
    out = out * rng.uniform(0.6, 1.3) + rng.uniform(-40, 40)
    out = np.clip(out, 0, 255)
    gamma = rng.uniform(0.6, 1.6)
    return (255.0 * (out / 255.0) ** gamma).astype(np.uint8)


def to_grey(img: np.ndarray, rng: random.Random, ir: bool) -> np.ndarray:
    """Grey as a camera would give it; ``ir`` mixes channels oddly and stretches contrast."""
    if not ir:
        return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    wts = np.array([rng.uniform(0.1, 1) for _ in range(3)], np.float32)
    grey = img.astype(np.float32) @ (wts / wts.sum())
    lo, hi = np.percentile(grey, (2, 98))
    grey = (grey - lo) / max(1.0, hi - lo) * 255
    return np.clip(grey, 0, 255).astype(np.uint8)


def night(grey: np.ndarray, rng: random.Random) -> np.ndarray:
    g = grey.astype(np.float32) * rng.uniform(0.12, 0.45)
    g += np.random.default_rng(rng.randrange(2**32)).normal(0, rng.uniform(2, 8), g.shape)
    return np.clip(g, 0, 255).astype(np.uint8)


def _jpeg(img: np.ndarray, q: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, q])
    return cv2.imdecode(buf, cv2.IMREAD_UNCHANGED) if ok else img


def sensor(img: np.ndarray, rng: random.Random, target_w: int) -> np.ndarray:
    """Resolution loss, blur, noise and compression, then sometimes a blown-up re-save."""
    h, w = img.shape[:2]
    tw = max(12, target_w)
    th = max(6, int(round(h * tw / w)))
    small = cv2.resize(img, (tw, th), interpolation=cv2.INTER_AREA)
    if rng.random() < 0.5:  # blur relative to the text size: small crops are blurred less
        s = rng.uniform(0.3, 0.4 + 0.9 * min(1.0, tw / 120))
        small = cv2.GaussianBlur(small, (0, 0), s)
    elif rng.random() < 0.3:  # horizontal motion blur
        k = rng.randint(2, 5)
        small = cv2.filter2D(small, -1, np.full((1, k), 1.0 / k, np.float32))
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0, rng.uniform(0, 9), small.shape)
    small = np.clip(small.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    small = _jpeg(small, rng.randint(25, 95))
    if rng.random() < 0.35:  # upscaled and re-saved crops (seen in dataset crops)
        f = rng.uniform(2.5, 8)
        interp = rng.choice((cv2.INTER_CUBIC, cv2.INTER_LINEAR))
        small = cv2.resize(small, (int(tw * f), int(th * f)), interpolation=interp)
        small = _jpeg(small, rng.randint(60, 95))
    return small


def tiny_aligned(img: np.ndarray, rng: random.Random) -> np.ndarray:
    """A plate crop as small aligned datasets keep it (e.g. 94x24): squeezed to ~4:1,
    shrunk to 70-140 px wide, blurred, noisy and JPEG-compressed."""
    tw = rng.randint(70, 140)
    th = max(12, int(round(tw / rng.uniform(3.4, 4.3))))
    small = cv2.resize(img, (tw, th), interpolation=cv2.INTER_AREA)
    if rng.random() < 0.85:
        small = cv2.GaussianBlur(small, (0, 0), rng.uniform(0.3, 0.9))
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0, rng.uniform(0, 6), small.shape)
    small = np.clip(small.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    return _jpeg(small, rng.randint(30, 95))
