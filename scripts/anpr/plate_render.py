"""Clean, frontal plate images drawn to the Vietnamese and Chinese plate geometries.

Sizes are in millimetres (real plate sizes), drawn at ``scale`` pixels per mm. Degradation
(perspective, blur, light, resolution) is ``degrade.py``'s job.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import cv2
import numpy as np

from .glyphs import (CJK_FONTS, LATIN_FONTS, STROKE_FONTS, STROKE_FONTS_VN, available, distort, glyph,
                     restroked, variants)
from .restroke import PEN_RANGE, reweight
from .plate_text import PlateText


@dataclass(frozen=True, slots=True)
class LineSpec:
    y: float  # top of the characters, mm
    h: float  # character height, mm
    w: float  # character cell width, mm
    gap: float  # gap between cells, mm


@dataclass(frozen=True, slots=True)
class Layout:
    size: tuple[float, float]  # plate width, height in mm
    lines: tuple[LineSpec, ...]


LAYOUTS = {
    "vn1": Layout((520, 110), (LineSpec(15, 80, 46, 3),)),
    "vn2moto": Layout((190, 140), (LineSpec(10, 56, 28, 3), LineSpec(76, 56, 28, 3))),
    "vn2car": Layout((330, 165), (LineSpec(12, 68, 46, 6), LineSpec(88, 68, 46, 4))),
    "cn1": Layout((440, 140), (LineSpec(25, 90, 45, 12),)),
    "cn_nev": Layout((480, 140), (LineSpec(25, 90, 43, 9),)),
    "cn2": Layout((440, 220), (LineSpec(15, 60, 80, 25), LineSpec(90, 110, 65, 15))),
    "cn_trailer": Layout((440, 220), (LineSpec(15, 60, 80, 25), LineSpec(90, 110, 65, 15))),
}

# BGR colours: (background, ink)
WHITE = ((238, 240, 240), (25, 25, 25))
YELLOW = ((40, 200, 235), (20, 20, 20))
BLUE_VN = ((150, 80, 25), (240, 240, 240))
BLUE_CN = ((180, 70, 15), (245, 245, 245))
GREEN = ((140, 215, 120), (20, 20, 20))

COLOURS = {
    "vn1": ((WHITE, 0.68), (YELLOW, 0.22), (BLUE_VN, 0.10)),
    "vn2moto": ((WHITE, 0.9), (YELLOW, 0.05), (BLUE_VN, 0.05)),
    "vn2car": ((WHITE, 0.6), (YELLOW, 0.3), (BLUE_VN, 0.1)),
    "cn1": ((BLUE_CN, 0.8), (YELLOW, 0.2)),
    "cn_nev": ((GREEN, 1.0),),
    "cn2": ((YELLOW, 1.0),),
    "cn_trailer": ((YELLOW, 1.0),),
}

#: Share of plates whose letters and digits use the stroke-drawn plate font (``gb_font``):
#: the real Chinese plate typeface, and (with its open 4 and flagged 1) the Vietnamese one.
STROKE_FONT_SHARE = {"vn1": 0.3, "vn2moto": 0.5, "vn2car": 0.3}
STROKE_FONT_SHARE_CN = 0.6

#: How a Chinese plate's hanzi (province, 挂) are drawn: every plate draws its own style
#: from these continuous ranges, so thin, narrow, faint hanzi (as on small real crops,
#: ~10x18 px of 94x24) and full, heavy ones (the plate typeface) and everything between are
#: all seen. Until run 10 it was a 30-55% share of one "thin" style and a few fixed bold
#: and pen weights; run 10 then read real thin, narrow 皖 as 陕 (models/plate_ocr.md).
HANZI_WIDTH = (0.62, 1.0)  # share of the cell's width
HANZI_HEIGHT = (0.8, 1.0)  # share of the cell's height
HANZI_LEVEL = (0.2, 0.75)  # ``reweight`` cut: < 0.5 heavier than the font, > 0.5 thinner
HANZI_FAINT_SHARE, HANZI_CONTRAST = 0.3, (0.6, 0.95)  # plates with hanzi fainter than the rest
#: Share of hanzi redrawn at one even stroke width (``restroke``, pen from ``PEN_RANGE``), as
#: the plate typeface draws them; the rest keep their Debian font's strokes, reweighted.
RESTROKE_SHARE = 0.5
#: Share of Vietnamese plates whose first one or two characters are drawn the same thin,
#: faint way (worn paint, dirt): without it, a model that has learned "faint blob at the
#: left = province" reads a worn ``30`` as a hanzi and the whole plate as Chinese.
FAINT_LEAD_SHARE_VN = 0.15
#: Share of glyphs bent and sheared a little (``glyphs.distort``), so that the OCR learns
#: letter shapes, not one font's outlines (real misreads: M as H or N, G as 6).
DISTORT_SHARE = 0.5
#: Share of plates whose text is set off-centre, up to against the plate's frame (real
#: misreads: the last ``1`` of a car plate read as ``7`` with the frame's corner beside it).
OFF_CENTRE_SHARE = 0.2


@dataclass(frozen=True, slots=True)
class FaintStyle:
    """How a plate's faint characters are drawn: its hanzi (Chinese plates, always, in a
    style drawn per plate) or its ``lead`` first characters (worn Vietnamese plates)."""

    thin: bool
    contrast: float  # ink strength of the faint characters relative to the others
    size: tuple[float, float]  # width, height as a share of the cell
    lead: int = 0  # this many leading characters of the first line are drawn thin too
    level: float = 0.5  # hanzi stroke weight (``reweight``)

    def faint(self, ch: str, index: int) -> bool:
        return self.thin and (ord(ch) > 127 or index < self.lead)


PLAIN = FaintStyle(False, 1.0, (1.0, 1.0))


def _faint_style(kind: str, rng: random.Random) -> FaintStyle:
    if kind.startswith("cn"):
        contrast = rng.uniform(*HANZI_CONTRAST) if rng.random() < HANZI_FAINT_SHARE else 1.0
        size = (rng.uniform(*HANZI_WIDTH), rng.uniform(*HANZI_HEIGHT))
        return FaintStyle(True, contrast, size, 0, rng.uniform(*HANZI_LEVEL))
    if rng.random() >= FAINT_LEAD_SHARE_VN:
        return PLAIN
    return FaintStyle(True, rng.uniform(0.6, 0.95), (rng.uniform(0.78, 1.0), rng.uniform(0.8, 0.97)),
                      rng.choice((1, 2, 2)))


_SEPARATORS = {"-": (0.3, 0.09), ".": (0.18, 0.1), "·": (0.22, 0.11)}  # width, size (x h)


def _jitter(rng: random.Random, colour: tuple[int, int, int], amount: int) -> tuple[int, ...]:
    return tuple(int(np.clip(c + rng.randint(-amount, amount), 0, 255)) for c in colour)


def _token_width(ch: str, spec: LineSpec) -> float:
    if ch in _SEPARATORS:
        return _SEPARATORS[ch][0] * spec.h
    return spec.w


def _draw_separator(ink: np.ndarray, ch: str, x: float, spec: LineSpec, s: float) -> None:
    w, size = _SEPARATORS[ch]
    cx = (x + w * spec.h / 2) * s
    if ch == "-":
        cy = (spec.y + spec.h * 0.5) * s
        hw, hh = w * spec.h * 0.38 * s, size * spec.h * 0.5 * s
        cv2.rectangle(ink, (int(cx - hw), int(cy - hh)), (int(cx + hw), int(cy + hh)), 255, -1)
    else:
        cy = (spec.y + spec.h * (0.93 if ch == "." else 0.5)) * s
        cv2.circle(ink, (int(cx), int(cy)), max(1, int(size * spec.h * 0.5 * s)), 255, -1)


def _draw_glyph(ink: np.ndarray, mask: np.ndarray, box: tuple[float, ...], rng: random.Random) -> None:
    x, y, w, h = box
    gh, gw = mask.shape
    tw = min(w, gw * h / gh * rng.uniform(0.85, 1.1))
    if gw / gh > 0.75:  # wide glyphs (M, W, hanzi) fill the cell
        tw = w * rng.uniform(0.92, 1.0)
    x0 = int(round(x + (w - tw) / 2))
    tw_i, th_i = max(1, int(round(tw))), max(1, int(round(h)))
    g = cv2.resize(mask, (tw_i, th_i), interpolation=cv2.INTER_AREA)
    y0 = int(round(y))
    region = ink[y0 : y0 + th_i, x0 : x0 + tw_i]
    np.maximum(region, g[: region.shape[0], : region.shape[1]], out=region)


def _draw_line(ink: np.ndarray, text: str, spec: LineSpec, plate_w: float, s: float,
               fonts: tuple[str, str], rng: random.Random, style: FaintStyle) -> None:
    widths = [_token_width(ch, spec) for ch in text]
    total = sum(widths) + spec.gap * (len(text) - 1)
    squeeze = min(1.0, (plate_w * 0.94) / total)
    margin = (plate_w - total * squeeze) / 2
    x = margin + rng.uniform(-2, 2)
    if rng.random() < OFF_CENTRE_SHARE:
        x = margin + rng.choice((-1, 1)) * rng.uniform(0.5, 1.0) * max(0.0, margin - 1)
    for i, (ch, w) in enumerate(zip(text, widths)):
        if ch in _SEPARATORS:
            _draw_separator(ink, ch, x, spec, s)
        else:
            box = (x * s, spec.y * s, w * squeeze * s, spec.h * s)
            faint = style.faint(ch, i)
            if faint:  # smaller than the cell, centred
                bw, bh = box[2] * style.size[0], box[3] * style.size[1]
                box = (box[0] + (box[2] - bw) / 2, box[1] + (box[3] - bh) / 2, bw, bh)
            _draw_glyph(ink, _mask(ch, fonts, rng, style if faint else PLAIN), box, rng)
        x += (w + spec.gap) * squeeze


def _mask(ch: str, fonts: tuple[str, str], rng: random.Random, style: FaintStyle) -> np.ndarray:
    """Glyph mask; a hanzi at its plate's weight (``reweight``, unless restroked: the pen
    set the weight), a worn Vietnamese lead thinner; both at the style's contrast."""
    font = fonts[0] if ord(ch) <= 127 else fonts[1]
    mask = glyph(font, ch, rng.randrange(variants(font, ch)))
    if rng.random() < DISTORT_SHARE:
        mask = distort(mask, rng)
    if not style.thin:
        return mask
    if ord(ch) > 127:
        if not font.startswith("restroke:"):
            mask = reweight(mask, style.level)
    elif rng.choice((0, 0, 1)):
        mask = cv2.erode(mask, np.ones((3, 3), np.uint8))
    return (mask.astype(np.float32) * style.contrast).astype(np.uint8)


def _fonts(kind: str, rng: random.Random) -> tuple[str, str]:
    share = STROKE_FONT_SHARE.get(kind, STROKE_FONT_SHARE_CN)
    stroke = STROKE_FONTS_VN if kind.startswith("vn") else STROKE_FONTS
    latin = rng.choice(stroke) if rng.random() < share else rng.choice(available(LATIN_FONTS))
    if not kind.startswith("cn"):
        return latin, ""  # no hanzi to draw
    cjk = rng.choice(available(CJK_FONTS))
    if rng.random() < RESTROKE_SHARE:
        cjk = restroked(cjk, round(rng.uniform(*PEN_RANGE), 4))
    return latin, cjk


def _background(rng: random.Random, kind: str, size: tuple[int, int], bg: tuple[int, ...]) -> np.ndarray:
    w, h = size
    img = np.empty((h, w, 3), np.float32)
    img[:] = bg
    if kind == "cn_nev":  # white-to-green gradient, top to bottom
        t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
        img = (1 - t) * np.array([235, 245, 235], np.float32) + t * img
    return img


def _border(img: np.ndarray, colour: tuple[int, ...], s: float, rng: random.Random) -> None:
    h, w = img.shape[:2]
    inset = int(rng.uniform(1.5, 5) * s)
    thick = max(1, int(rng.uniform(1.5, 3.5) * s))
    cv2.rectangle(img, (inset, inset), (w - 1 - inset, h - 1 - inset), colour, thick, cv2.LINE_AA)


#: Colour names for reports (``render``'s ``info``).
COLOUR_NAMES = {WHITE: "white", YELLOW: "yellow", BLUE_VN: "blue", BLUE_CN: "blue", GREEN: "green"}


def render(text: PlateText, rng: random.Random, scale: float = 2.0, info: dict | None = None) -> np.ndarray:
    """Draw ``text`` on its plate, frontal and clean: BGR uint8. ``info`` (when given) gets
    the plate's ``colour`` name; the random stream is the same either way."""
    layout = LAYOUTS[text.kind]
    colours = COLOURS[text.kind]
    (bg, fg) = rng.choices([c for c, _ in colours], weights=[p for _, p in colours])[0]
    if info is not None:
        info["colour"] = COLOUR_NAMES[(bg, fg)]
    bg, fg = _jitter(rng, bg, 18), _jitter(rng, fg, 20)
    size = (int(layout.size[0] * scale), int(layout.size[1] * scale))
    img = _background(rng, text.kind, size, bg)
    fonts = _fonts(text.kind, rng)
    faint = _faint_style(text.kind, rng)
    ink = np.zeros((size[1], size[0]), np.uint8)
    for n, (line, spec) in enumerate(zip(text.lines, layout.lines)):
        style = faint if n == 0 or not faint.lead else PLAIN  # worn lead: first line only
        _draw_line(ink, line, spec, layout.size[0], scale, fonts, rng, style)
    weight = rng.choice((-1, 0, 0, 1, 1, 2))
    if weight:
        k = np.ones((abs(weight) + 1, abs(weight) + 1), np.uint8)
        ink = cv2.dilate(ink, k) if weight > 0 else cv2.erode(ink, k)
    alpha = ink.astype(np.float32)[:, :, None] / 255.0
    img = img * (1 - alpha) + np.array(fg, np.float32) * alpha
    if rng.random() < 0.9:
        _border(img, fg, scale, rng)
    return np.clip(img, 0, 255).astype(np.uint8)
