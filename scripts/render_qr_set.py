#!/usr/bin/env python3
"""Render the QR evaluation set: 1080p frames with the distortions a lane camera sees.

    python scripts/render_qr_set.py --out var/qr-eval --per-kind 24 --seed 1

Writes JPEG frames (camera streams are compressed) and ``manifest.json``:
``[{"file", "kind", "texts": [...]}]``. Deterministic for a seed, so the set is kept as
this script, not as images. Kinds:

* ``clean``: a paper pass held square to the camera (baseline);
* ``phone_windscreen``: a phone screen behind a tinted windscreen with reflections;
* ``dark_mode``: the same through a phone in dark mode (an inverted code);
* ``glare``: a bright specular blob over part of the code;
* ``blur``: defocus or motion blur;
* ``perspective``: the code strongly tilted;
* ``rotation``: any angle;
* ``low_contrast``: washed-out grey on grey;
* ``multi``: two or three codes in one frame;
* ``none``: no code at all, with look-alikes (finder-pattern squares, checkerboards,
  stripes and fake QR symbols with random modules): any decode here is a false decode.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gated.qr import mint as m
from gated.qr.encode import bitmap

W, H = 1920, 1080
Rng = np.random.Generator
Quad = np.ndarray  # 4x2 float32: corners TL, TR, BR, BL


def make_text(rng: Rng, key: Ed25519PrivateKey) -> str:
    """A realistic pass text: a signed GP1 token (most) or a short GPR reference."""
    pid = f"P-2026-{int(rng.integers(0, 999_999)):06d}"
    if rng.random() < 0.3:
        return m.reference(pid)
    digits = "".join(str(int(d)) for d in rng.integers(0, 10, 5))
    claims = m.pass_claims(
        pid=pid,
        plate=f"{int(rng.integers(11, 99))}C{digits}",
        site="huu-nghi",
        iat=1_795_000_000,
        nbf=1_795_000_000,
        exp=1_795_086_400,
        dir="in",
    )
    return m.mint(key, claims, kid="eval-2026")


def scene(rng: Rng) -> np.ndarray:
    """A cab-window-like background: gradient, blocks, text, noise."""
    ys, xs = np.mgrid[0:H, 0:W].astype(np.float32)
    base = 60 + 80 * (xs / W) * rng.uniform(0.3, 1.0) + 40 * (ys / H)
    frame = np.dstack([base * rng.uniform(0.7, 1.1) for _ in range(3)]).astype(np.uint8)
    for _ in range(int(rng.integers(6, 14))):
        x, y = int(rng.integers(0, W)), int(rng.integers(0, H))
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        cv2.rectangle(
            frame,
            (x, y),
            (x + int(rng.integers(40, 500)), y + int(rng.integers(40, 300))),
            colour,
            -1,
        )
    for _ in range(int(rng.integers(2, 6))):
        org = (int(rng.integers(0, W - 400)), int(rng.integers(40, H)))
        cv2.putText(
            frame,
            "29C-123.45 HUU NGHI",
            org,
            cv2.FONT_HERSHEY_SIMPLEX,
            float(rng.uniform(0.8, 2.0)),
            (230, 230, 230),
            2,
        )
    noise = rng.normal(0, 4, frame.shape)
    return np.clip(frame + noise, 0, 255).astype(np.uint8)


def square(cx: float, cy: float, side: float, angle_deg: float = 0.0) -> Quad:
    a = np.deg2rad(angle_deg)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    half = side / 2
    pts = np.array([[-half, -half], [half, -half], [half, half], [-half, half]]) @ rot.T
    return (pts + [cx, cy]).astype(np.float32)


def jitter(quad: Quad, rng: Rng, amount: float) -> Quad:
    side = float(np.linalg.norm(quad[1] - quad[0]))
    return (quad + rng.uniform(-amount, amount, quad.shape) * side).astype(np.float32)


def place(frame: np.ndarray, img: np.ndarray, quad: Quad) -> None:
    """Warp ``img`` (grey or BGR) onto ``frame`` at ``quad`` (in place)."""
    h, w = img.shape[:2]
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    mat = cv2.getPerspectiveTransform(src, quad)
    colour = img if img.ndim == 3 else cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    warped = cv2.warpPerspective(colour, mat, (W, H), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), mat, (W, H))
    frame[mask > 127] = warped[mask > 127]


def centre(rng: Rng, margin: int = 360) -> tuple[float, float]:
    return float(rng.uniform(margin, W - margin)), float(
        rng.uniform(margin * 0.8, H - margin * 0.8)
    )


def put_code(
    frame: np.ndarray,
    rng: Rng,
    text: str,
    side: float,
    angle: float = 0.0,
    tilt: float = 0.03,
    where: tuple[float, float] | None = None,
) -> None:
    cx, cy = where or centre(rng)
    place(frame, bitmap(text, 8), jitter(square(cx, cy, side, angle), rng, tilt))


# -- distortions: each returns (frame, texts) ------------------------------------------


def d_clean(rng: Rng, texts: list[str]) -> np.ndarray:
    frame = scene(rng)
    put_code(frame, rng, texts[0], rng.uniform(300, 460), rng.uniform(-8, 8))
    return frame


def _phone(rng: Rng, text: str, side: float, dark: bool) -> np.ndarray:
    """A phone showing the code: black bezel, screen in light or dark mode."""
    phone = np.full((int(side * 2.0), int(side * 1.1), 3), 20, np.uint8)  # bezel
    screen = phone[int(side * 0.12) : -int(side * 0.12), int(side * 0.04) : -int(side * 0.04)]
    screen[:] = (30, 28, 28) if dark else (250, 240, 235)
    code = bitmap(text, 8)
    code = cv2.cvtColor(255 - code if dark else code, cv2.COLOR_GRAY2BGR)
    cs = int(side)
    y0 = (screen.shape[0] - cs) // 2
    screen[y0 : y0 + cs, :cs] = cv2.resize(code, (cs, cs), interpolation=cv2.INTER_AREA)
    return phone


def _through_windscreen(rng: Rng, frame: np.ndarray) -> np.ndarray:
    out = frame.astype(np.float32) * rng.uniform(0.55, 0.75) + rng.uniform(30, 60)
    out[..., 0] += 12  # a blue-green tint
    ys, xs = np.mgrid[0:H, 0:W].astype(np.float32)
    streak = np.clip(np.sin((xs + ys * rng.uniform(0.3, 1.2)) / rng.uniform(80, 200)), 0, 1)
    out += (streak * rng.uniform(30, 110))[..., None]  # sky reflections
    return cv2.GaussianBlur(np.clip(out, 0, 255).astype(np.uint8), (0, 0), rng.uniform(0.6, 1.6))


def _phone_frame(rng: Rng, text: str, dark: bool) -> np.ndarray:
    frame = scene(rng)
    cx, cy = centre(rng)
    phone = _phone(rng, text, rng.uniform(220, 380), dark)
    ph, pw = phone.shape[:2]
    place(frame, phone, jitter(_rect(cx, cy, pw, ph, rng.uniform(-15, 15)), rng, 0.04))
    return _through_windscreen(rng, frame)


def d_phone_windscreen(rng: Rng, texts: list[str]) -> np.ndarray:
    return _phone_frame(rng, texts[0], dark=False)


def d_dark_mode(rng: Rng, texts: list[str]) -> np.ndarray:
    """A phone in dark mode shows the code inverted: light modules on black."""
    return _phone_frame(rng, texts[0], dark=True)


def _rect(cx: float, cy: float, w: float, h: float, angle_deg: float = 0.0) -> Quad:
    a = np.deg2rad(angle_deg)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    pts = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]]) @ rot.T
    return (pts + [cx, cy]).astype(np.float32)


def d_glare(rng: Rng, texts: list[str]) -> np.ndarray:
    frame = scene(rng)
    cx, cy = centre(rng)
    side = rng.uniform(300, 440)
    put_code(frame, rng, texts[0], side, rng.uniform(-8, 8), where=(cx, cy))
    glare = np.zeros((H, W), np.float32)
    gx, gy = cx + rng.uniform(-0.35, 0.35) * side, cy + rng.uniform(-0.35, 0.35) * side
    axes = (int(side * rng.uniform(0.1, 0.32)), int(side * rng.uniform(0.06, 0.22)))
    cv2.ellipse(glare, (int(gx), int(gy)), axes, float(rng.uniform(0, 180)), 0, 360, 1.0, -1)
    glare = cv2.GaussianBlur(glare, (0, 0), side * 0.05) * rng.uniform(180, 260)
    return np.clip(frame + glare[..., None], 0, 255).astype(np.uint8)


def d_blur(rng: Rng, texts: list[str]) -> np.ndarray:
    frame = scene(rng)
    put_code(frame, rng, texts[0], rng.uniform(320, 460), rng.uniform(-8, 8))
    if rng.random() < 0.5:
        return cv2.GaussianBlur(frame, (0, 0), rng.uniform(1.5, 4.5))
    length = int(rng.integers(7, 27))
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0 / length
    rot = cv2.getRotationMatrix2D(
        (length / 2 - 0.5, length / 2 - 0.5), float(rng.uniform(0, 180)), 1
    )
    kernel = cv2.warpAffine(kernel, rot, (length, length))
    return cv2.filter2D(frame, -1, kernel / max(kernel.sum(), 1e-6))


def d_perspective(rng: Rng, texts: list[str]) -> np.ndarray:
    frame = scene(rng)
    put_code(frame, rng, texts[0], rng.uniform(300, 460), rng.uniform(-10, 10), tilt=0.22)
    return frame


def d_rotation(rng: Rng, texts: list[str]) -> np.ndarray:
    frame = scene(rng)
    put_code(frame, rng, texts[0], rng.uniform(220, 440), rng.uniform(0, 360))
    return frame


def d_low_contrast(rng: Rng, texts: list[str]) -> np.ndarray:
    frame = scene(rng)
    put_code(frame, rng, texts[0], rng.uniform(320, 460), rng.uniform(-8, 8))
    lo = rng.uniform(70, 120)
    hi = lo + rng.uniform(18, 45)
    out = lo + frame.astype(np.float32) * (hi - lo) / 255 + rng.normal(0, 2.5, frame.shape)
    return np.clip(out, 0, 255).astype(np.uint8)


def d_multi(rng: Rng, texts: list[str]) -> np.ndarray:
    frame = scene(rng)
    slots = [(340 + i * 620 + rng.uniform(-40, 40), rng.uniform(330, H - 330)) for i in range(3)]
    for text, where in zip(texts, slots):
        put_code(frame, rng, text, rng.uniform(300, 400), rng.uniform(-10, 10), where=where)
    return frame


def _fake_qr(rng: Rng, modules: int = 29) -> np.ndarray:
    """Random modules framed by three real finder patterns: looks like a QR, holds nothing."""
    grid = (rng.random((modules, modules)) < 0.5).astype(np.uint8)
    finder = np.ones((7, 7), np.uint8)
    finder[1:6, 1:6], finder[2:5, 2:5] = 0, 1
    for r, c in ((0, 0), (0, modules - 7), (modules - 7, 0)):
        grid[r : r + 7, c : c + 7] = finder
    return cv2.copyMakeBorder((1 - grid) * 255, 4, 4, 4, 4, cv2.BORDER_CONSTANT, value=255)


def d_none(rng: Rng, texts: list[str]) -> np.ndarray:
    frame = scene(rng)
    fake = _fake_qr(rng, int(rng.choice([21, 25, 29, 33])))
    px = int(rng.integers(8, 14))
    fake = cv2.resize(
        fake, (fake.shape[1] * px, fake.shape[0] * px), interpolation=cv2.INTER_NEAREST
    )
    place(frame, fake, jitter(square(*centre(rng), fake.shape[0], rng.uniform(-20, 20)), rng, 0.03))
    tiles = (np.indices((8, 8)).sum(axis=0) % 2 * 255).astype(np.uint8)
    board = cv2.resize(tiles, (240, 240), interpolation=cv2.INTER_NEAREST)
    place(frame, board, square(*centre(rng, 200), 240, rng.uniform(0, 90)))
    stripes = np.tile((rng.random(60) < 0.5).astype(np.uint8) * 255, (40, 1))
    place(
        frame,
        cv2.resize(stripes, (360, 160), interpolation=cv2.INTER_NEAREST),
        _rect(*centre(rng, 250), 360, 160),
    )
    return frame


DISTORTIONS: dict[str, tuple[int, Callable[[Rng, list[str]], np.ndarray]]] = {
    "clean": (1, d_clean),
    "phone_windscreen": (1, d_phone_windscreen),
    "dark_mode": (1, d_dark_mode),
    "glare": (1, d_glare),
    "blur": (1, d_blur),
    "perspective": (1, d_perspective),
    "rotation": (1, d_rotation),
    "low_contrast": (1, d_low_contrast),
    "multi": (3, d_multi),
    "none": (0, d_none),
}
KEY_SEED = bytes(range(32))


def render_frame(kind: str, seed: int) -> tuple[np.ndarray, list[str]]:
    """One frame of ``kind`` and the texts it holds, deterministic for ``seed``."""
    count, fn = DISTORTIONS[kind]
    rng = np.random.default_rng([seed, list(DISTORTIONS).index(kind)])
    key = Ed25519PrivateKey.from_private_bytes(KEY_SEED)
    texts = [make_text(rng, key) for _ in range(count)]
    return fn(rng, texts), texts


def render(out: Path, per_kind: int, seed: int, kinds: list[str]) -> list[dict[str, object]]:
    out.mkdir(parents=True, exist_ok=True)
    manifest: list[dict[str, object]] = []
    for kind in kinds:
        for i in range(per_kind):
            frame, texts = render_frame(kind, seed * 100_000 + i)
            name = f"{kind}-{i:03d}.jpg"
            cv2.imwrite(str(out / name), frame, [cv2.IMWRITE_JPEG_QUALITY, 88])
            manifest.append({"file": name, "kind": kind, "texts": texts})
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("var/qr-eval"))
    ap.add_argument("--per-kind", type=int, default=24)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--kinds", default=",".join(DISTORTIONS), help="comma-separated subset")
    args = ap.parse_args(argv)
    kinds = [k for k in args.kinds.split(",") if k]
    unknown = set(kinds) - set(DISTORTIONS)
    if unknown:
        print(f"unknown kinds: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    manifest = render(args.out, args.per_kind, args.seed, kinds)
    print(f"{len(manifest)} frames in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
