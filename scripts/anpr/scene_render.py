"""Synthetic lane-camera frames with plates on vehicle-like shapes, for the detector.

Scenes are composed directly at twice the detector's training size and then shrunk, so a
sample costs a few milliseconds. Backgrounds carry hard negatives: signs with text,
grilles, stripes, headlights. Day, night and IR grey frames. With ``qr_share`` > 0 that
share of the vehicles show a QR pass in their windscreen (a negative: the shipped detector,
trained without, boxes patches of them; docs/anpr.md); at 0 the random stream is the one
the shipped detector and the evaluation's rendered scenes were drawn from.

``photo=True`` draws the scene closer to a photograph's statistics (run D4, models/plate_det.md):
vehicle bodies in the colours of real traffic, shaded; the surroundings desaturated; plates in
a holder or recess. Off by default, so the default random stream is unchanged.
"""

from __future__ import annotations

import math
import random

import cv2
import numpy as np

from gated.qr.encode import modules

from . import degrade, plate_render, plate_text
from .glyphs import LATIN_FONTS, available, glyph

W, H = 384, 224  # detector training size
_S = 2  # composed at _S times the training size


def _rand_colour(rng: random.Random, lo: int = 0, hi: int = 255) -> tuple[int, int, int]:
    return (rng.randint(lo, hi), rng.randint(lo, hi), rng.randint(lo, hi))


def _sign(img: np.ndarray, rng: random.Random) -> None:
    """A rectangle with random text: looks like a plate to a lazy detector, is not one."""
    h, w = img.shape[:2]
    sw, sh = rng.randint(30, 300), rng.randint(15, 120)
    x, y = rng.randint(0, max(1, w - sw)), rng.randint(0, max(1, h - sh))
    bg = _rand_colour(rng)
    cv2.rectangle(img, (x, y), (x + sw, y + sh), bg, -1)
    font = rng.choice(available(LATIN_FONTS))
    n = rng.randint(2, 12)
    cw = sw / (n + 1)
    ink = tuple(255 - c for c in bg)
    chars = "ABCDEFGHKLMNPRSTUVXYZ0123456789abcdefghkmnoprstuvwxyz"
    for i in range(n):
        g = cv2.resize(glyph(font, rng.choice(chars)), (max(1, int(cw * 0.8)), max(1, int(sh * 0.6))))
        gx, gy = int(x + cw * (i + 0.5)), int(y + sh * 0.2)
        roi = img[gy : gy + g.shape[0], gx : gx + g.shape[1]]
        m = (g[: roi.shape[0], : roi.shape[1]] > 100)
        roi[m] = ink


def _clutter(img: np.ndarray, rng: random.Random) -> None:
    h, w = img.shape[:2]
    for _ in range(rng.randint(3, 15)):
        c = _rand_colour(rng)
        x, y = rng.randint(-50, w), rng.randint(-50, h)
        kind = rng.random()
        if kind < 0.4:
            cv2.rectangle(img, (x, y), (x + rng.randint(10, 400), y + rng.randint(10, 300)), c, -1)
        elif kind < 0.7:
            cv2.line(img, (x, y), (rng.randint(0, w), rng.randint(0, h)), c, rng.randint(1, 8))
        else:
            cv2.circle(img, (x, y), rng.randint(3, 60), c, -1)
    for _ in range(rng.randint(0, 4)):
        _sign(img, rng)
    for _ in range(rng.randint(0, 2)):
        _buildings(img, rng)


#: Body colours of real traffic, BGR, with their shares (white, black, grey and silver are
#: about three quarters of cars; then red, blue and muted others).
CAR_COLOURS = (((232, 232, 232), 0.30), ((28, 28, 30), 0.20), ((150, 150, 155), 0.25),
               ((35, 35, 165), 0.08), ((140, 75, 30), 0.08), ((100, 125, 135), 0.09))


def _car_colour(rng: random.Random) -> tuple[int, ...]:
    colour = rng.choices([c for c, _ in CAR_COLOURS], weights=[w for _, w in CAR_COLOURS])[0]
    return tuple(int(np.clip(c + rng.randint(-25, 25), 0, 255)) for c in colour)


def _shade(img: np.ndarray, box: tuple[int, int, int, int], rng: random.Random) -> None:
    """Light falling on a body: brighter at the top, a soft highlight band across it."""
    h, w = img.shape[:2]
    x1, y1, x2, y2 = max(0, box[0]), max(0, box[1]), min(w, box[2]), min(h, box[3])
    if x2 - x1 < 2 or y2 - y1 < 2:
        return
    ys = np.linspace(0, 1, y2 - y1, dtype=np.float32)[:, None, None]
    band = np.exp(-((ys - rng.uniform(0.1, 0.6)) ** 2) / 0.01) * rng.uniform(0, 0.35)
    gain = rng.uniform(1.0, 1.25) - ys * rng.uniform(0.1, 0.45) + band
    region = img[y1:y2, x1:x2].astype(np.float32) * gain
    img[y1:y2, x1:x2] = np.clip(region, 0, 255).astype(np.uint8)


def _desaturate(img: np.ndarray, keep: float) -> np.ndarray:
    grey = cv2.cvtColor(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    return cv2.addWeighted(img, keep, grey, 1 - keep, 0)


def _holder(img: np.ndarray, rng: random.Random, quad: np.ndarray) -> None:
    """A plate holder or recess behind the plate: the quad grown 4-20% wider and 8-35% taller,
    dark (70%) or chrome."""
    grown = (quad - quad.mean(0)) * [rng.uniform(1.04, 1.2), rng.uniform(1.08, 1.35)] + quad.mean(0)
    colour = _rand_colour(rng, 0, 60) if rng.random() < 0.7 else _rand_colour(rng, 150, 220)
    cv2.fillConvexPoly(img, grown.astype(np.int32), colour)


def _vehicle(img: np.ndarray, rng: random.Random, box: tuple[int, int, int, int],
             qr_share: float = 0.0, photo: bool = False) -> None:
    """A vehicle front/back: body, windscreen, lights, grille and badge around the plate box,
    and with probability ``qr_share`` a QR pass in the windscreen. ``photo``: a real
    traffic colour, shaded."""
    x1, y1, x2, y2 = box
    pw, ph = max(4, x2 - x1), max(3, y2 - y1)
    vw = int(pw * rng.uniform(3, 7))
    cx = (x1 + x2) // 2
    top = int(y1 - ph * rng.uniform(2, 8))
    bottom = int(y2 + ph * rng.uniform(0.5, 2.5))
    body = _car_colour(rng) if photo else _rand_colour(rng)
    cv2.rectangle(img, (cx - vw // 2, top), (cx + vw // 2, bottom), body, -1)
    if photo:
        _shade(img, (cx - vw // 2, top, cx + vw // 2, bottom), rng)
    wind = _rand_colour(rng, 0, 90)
    cv2.rectangle(img, (cx - int(vw * 0.4), top), (cx + int(vw * 0.4), top + (y1 - top) // 2), wind, -1)
    if qr_share and rng.random() < qr_share:
        _qr_card(img, rng, (cx - int(vw * 0.4), top, cx + int(vw * 0.4), y1 - ph // 2), pw)
    for sx in (-1, 1):
        lx = cx + sx * int(vw * 0.36)
        cv2.ellipse(img, (lx, y1 - ph), (max(2, vw // 12), max(2, ph // 2)), 0, 0, 360,
                    _rand_colour(rng, 150, 255), -1)
    if rng.random() < 0.7:
        _grille(img, rng, (cx - vw // 4, y1 - int(ph * rng.uniform(2.5, 4)), cx + vw // 4, y1 - ph // 3))
    if rng.random() < 0.5:  # badge: rings, an ellipse or a few letters
        by = y1 - int(ph * rng.uniform(1.5, 3.5))
        c = _rand_colour(rng, 150, 255)
        for k in range(rng.randint(1, 4)):
            cv2.circle(img, (cx + int((k - 1.5) * ph * 0.6), by), max(2, ph // 3), c, max(1, ph // 10))
    cv2.line(img, (cx - vw // 2, bottom - ph // 2), (cx + vw // 2, bottom - ph // 2),
             _rand_colour(rng, 0, 80), max(1, ph // 6))


def _qr_card(img: np.ndarray, rng: random.Random, wind: tuple[int, int, int, int], pw: int) -> None:
    """A pass held up behind the windscreen: a QR code of a random pass-sized text, 0.5-1.6
    plate widths wide, somewhere in ``wind`` (the vehicle's front above the plate — the
    drawn windscreens are too low for a pass the size the lane cameras see), on paper or
    (light on dark) a phone in dark mode."""
    h, w = img.shape[:2]
    x1, y1, x2, y2 = max(0, wind[0]), max(0, wind[1]), min(w, wind[2]), min(h, wind[3])
    side = min(int(pw * rng.uniform(0.5, 1.6)), y2 - y1, x2 - x1)
    if side < 25:
        return
    text = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
                   for _ in range(rng.randint(40, 420)))
    card = cv2.resize(modules(text, quiet=rng.randint(1, 4)), (side, side), interpolation=cv2.INTER_AREA)
    if rng.random() < 0.15:
        card = 255 - card
    x, y = rng.randint(x1, x2 - side), rng.randint(y1, y2 - side)
    img[y : y + side, x : x + side] = cv2.cvtColor(card, cv2.COLOR_GRAY2BGR)


def _grille(img: np.ndarray, rng: random.Random, box: tuple[int, int, int, int]) -> None:
    x1, y1, x2, y2 = box
    if x2 - x1 < 6 or y2 - y1 < 4:
        return
    cv2.rectangle(img, (x1, y1), (x2, y2), _rand_colour(rng, 0, 70), -1)
    c = _rand_colour(rng, 100, 230)
    step = max(3, (y2 - y1) // rng.randint(3, 8), int(((x2 - x1) * (y2 - y1) / 150) ** 0.5))
    if rng.random() < 0.5:
        for yy in range(y1, y2, step):
            cv2.line(img, (x1, yy), (x2, yy), c, max(1, step // 3))
    else:  # honeycomb / mesh
        for yy in range(y1, y2, step):
            for xx in range(x1 + (yy // step % 2) * step // 2, x2, step):
                cv2.circle(img, (xx, yy), max(1, step // 3), c, 1)


def _buildings(img: np.ndarray, rng: random.Random) -> None:
    """Window grids and foliage: regular structure that is not a plate."""
    h, w = img.shape[:2]
    x, y = rng.randint(0, w), rng.randint(0, h // 2)
    bw, bh = rng.randint(60, 400), rng.randint(60, 300)
    cv2.rectangle(img, (x, y), (x + bw, y + bh), _rand_colour(rng), -1)
    step = max(rng.randint(10, 40), int((bw * bh / 120) ** 0.5))
    wc = _rand_colour(rng)
    for yy in range(y + 5, y + bh - step // 2, step):
        for xx in range(x + 5, x + bw - step // 2, step):
            cv2.rectangle(img, (xx, yy), (xx + step // 2, yy + step // 3), wc, -1)


def _plan_plate(w: int, h: int, rng: random.Random, occupied: list
                ) -> tuple[np.ndarray, np.ndarray, str, dict] | None:
    """A rendered plate, where its corners go, its label and what it is (kind, colour); None
    if it does not fit."""
    text = plate_text.sample(rng)
    meta = {"kind": text.kind}
    plate = plate_render.render(text, rng, scale=1.0, info=meta)
    target_w = math.exp(rng.uniform(math.log(22 * _S), math.log(220 * _S)))
    f = target_w / plate.shape[1]
    plate = cv2.resize(plate, (max(4, int(plate.shape[1] * f)), max(4, int(plate.shape[0] * f))),
                       interpolation=cv2.INTER_AREA)
    ph, pw = plate.shape[:2]
    quad = degrade.random_quad(rng, pw, ph, rng.choice((0.5, 1.0, 2.0)))
    span = quad.max(0) - quad.min(0)
    if span[0] >= w - 4 or span[1] >= h - 4:
        return None
    quad = quad + [rng.uniform(-quad[:, 0].min(), w - quad[:, 0].max()),
                   rng.uniform(-quad[:, 1].min(), h - quad[:, 1].max())]
    bx = (*quad.min(0), *quad.max(0))
    if any(_overlap(bx, o) for o in occupied):
        return None
    occupied.append(bx)
    return plate, quad, text.label, meta


def _paste(img: np.ndarray, plate: np.ndarray, quad: np.ndarray) -> None:
    ph, pw = plate.shape[:2]
    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32)
    m = cv2.getPerspectiveTransform(src, quad.astype(np.float32))
    cv2.warpPerspective(plate, m, (img.shape[1], img.shape[0]), dst=img, borderMode=cv2.BORDER_TRANSPARENT)


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return not (a[2] < b[0] - 20 or b[2] < a[0] - 20 or a[3] < b[1] - 20 or b[3] < a[1] - 20)


def _finish(img: np.ndarray, rng: random.Random, info: dict) -> np.ndarray:
    """Light, camera mode (``info["light"]``: day, night or IR grey), blur and JPEG."""
    img = degrade.lighting(cv2.resize(img, (W, H), interpolation=cv2.INTER_AREA), rng)
    r = rng.random()
    info["light"] = "ir" if r < 0.15 else "night" if r < 0.27 else "day"
    if r < 0.15:  # IR grey
        g = degrade.to_grey(img, rng, ir=True)
        img = cv2.cvtColor(g, cv2.COLOR_GRAY2BGR)
    elif r < 0.27:  # night
        g = degrade.night(img, rng)
        img = g
    info["blurred"] = rng.random() < 0.3
    if info["blurred"]:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.0))
    _, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(40, 95)])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def scene(rng: random.Random, qr_share: float = 0.0, photo: bool = False, info: dict | None = None
          ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(BGR H x W image, boxes (N, 4) x1 y1 x2 y2 in pixels, labels) with 0..4 plates;
    ``qr_share`` of the vehicles show a QR pass; ``photo``: the photograph-like style (module
    docstring). ``info`` (when given) gets what was drawn, for reports: ``light``, ``blurred``,
    and per plate (label order) its ``kind``, ``colour`` and ``quad`` (corners at the returned
    size); the random stream is the same either way."""
    info = {} if info is None else info
    img = degrade.textured_background(rng, H * _S, W * _S)
    _clutter(img, rng)
    boxes: list[tuple[float, ...]] = []
    n = rng.choices((0, 1, 2, 3, 4), weights=(0.1, 0.5, 0.2, 0.12, 0.08))[0]
    plans = []
    for _ in range(n * 3):
        if len(plans) >= n:
            break
        plan = _plan_plate(W * _S, H * _S, rng, boxes)
        if plan:
            plans.append(plan)
    for bx in boxes:  # all vehicles first, so none covers another's plate
        _vehicle(img, rng, tuple(int(v) for v in bx), qr_share, photo)
    if photo:
        img = _desaturate(img, rng.uniform(0.15, 0.7))
    for plate, quad, _, _ in plans:
        if photo and rng.random() < 0.6:
            _holder(img, rng, quad)
        _paste(img, plate, quad)
    info["plates"] = [{**meta, "quad": (quad / _S).tolist()} for _, quad, _, meta in plans]
    arr = np.array(boxes, np.float32).reshape(-1, 4) / _S
    return _finish(img, rng, info), arr, [label for _, _, label, _ in plans]
