"""Glyph masks cut from Debian fonts, cached per (font, char).

Plate fonts are tall, condensed and evenly stroked; no Debian font is one, so each glyph
is cut to its ink box and stretched into the plate's character cell. That turns ordinary
sans fonts into plausible plate lettering, and many fonts give the OCR variety. The
pseudo-fonts ``stroke:<weight>:<cn|vn>`` are the stroke-drawn Chinese plate font (``gb_font.py``);
``restroke:<pen>:<font>`` is a CJK font's glyph redrawn at one even stroke width
(``restroke.py``: the plate's own heavy, even hanzi).

Debian packages: fonts-dejavu-core fonts-dejavu-extra fonts-liberation
fonts-roboto-unhinted fonts-freefont-ttf fonts-wqy-zenhei fonts-wqy-microhei fonts-noto-cjk
fonts-droid-fallback.
A CJK entry ``file.ttc#N`` is face N of a font collection.
"""

from __future__ import annotations

import functools
import random
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from . import gb_font, restroke

FONT_ROOT = Path("/usr/share/fonts")

#: Latin fonts for letters and digits (relative to FONT_ROOT); missing ones are skipped.
LATIN_FONTS = (
    "truetype/dejavu/DejaVuSansCondensed.ttf",
    "truetype/dejavu/DejaVuSansCondensed-Bold.ttf",
    "truetype/dejavu/DejaVuSans.ttf",
    "truetype/liberation/LiberationSansNarrow-Regular.ttf",
    "truetype/liberation/LiberationSansNarrow-Bold.ttf",
    "truetype/liberation/LiberationSans-Regular.ttf",
    "truetype/roboto/unhinted/RobotoCondensed-Regular.ttf",
    "truetype/roboto/unhinted/RobotoCondensed-Medium.ttf",
    "truetype/roboto/unhinted/RobotoCondensed-Bold.ttf",
    "truetype/roboto/unhinted/RobotoCondensed-Light.ttf",
    "truetype/freefont/FreeSans.ttf",
    "truetype/freefont/FreeSansBold.ttf",
    "truetype/dejavu/DejaVuSansMono.ttf",
)
#: CJK fonts for province characters and 挂 (heiti-like, as on Chinese plates).
CJK_FONTS = (
    "truetype/wqy/wqy-zenhei.ttc",
    "truetype/wqy/wqy-microhei.ttc",
    "opentype/noto/NotoSansCJK-Bold.ttc",
    "opentype/noto/NotoSansCJK-Regular.ttc",
    "opentype/noto/NotoSansCJK-Regular.ttc#2",  # the Simplified Chinese (SC) forms
    "opentype/noto/NotoSansCJK-Bold.ttc#2",
    "opentype/noto/NotoSansCJK-Regular.ttc#7",  # Mono SC: narrower
    "opentype/noto/NotoSerifCJK-Regular.ttc#2",  # serif: extra stroke-shape variety
    "truetype/droid/DroidSansFallbackFull.ttf",  # another heiti design (all 31 provinces)
)

#: The stroke-drawn plate font (``gb_font``), one pseudo-path per stroke weight and style.
STROKE_FONTS = tuple(f"stroke:{w}:cn" for w in gb_font.WEIGHTS)
STROKE_FONTS_VN = tuple(f"stroke:{w}:vn" for w in gb_font.WEIGHTS)


def restroked(cjk_font: str, pen: float) -> str:
    """The pseudo-font drawing ``cjk_font``'s hanzi again with an even pen (``restroke``)."""
    return f"restroke:{pen}:{cjk_font}"

_RENDER_PX = 96


def available(fonts: tuple[str, ...]) -> list[str]:
    found = [str(FONT_ROOT / f) for f in fonts if (FONT_ROOT / f.split("#")[0]).exists()]
    if not found:
        raise RuntimeError(f"no fonts found under {FONT_ROOT}; install the Debian font packages")
    return found


def variants(font_path: str, char: str) -> int:
    """How many shapes ``glyph`` can draw for ``char`` in this font (the stroke font has
    alternates for a few characters; a Debian font has one)."""
    if font_path.startswith("stroke:"):
        return len(gb_font.shapes(char, font_path.rsplit(":", 1)[1]))
    return 1


def glyph(font_path: str, char: str, variant: int = 0) -> np.ndarray:
    """Ink mask (uint8 0..255) of ``char`` (shape ``variant``, see ``variants``), cropped to
    its ink box."""
    if font_path.startswith("restroke:"):  # any pen: only the skeleton is cached
        _, pen, base = font_path.split(":", 2)
        return restroke.redraw(_skeleton(base, char, variant), float(pen))
    return _glyph(font_path, char, variant)


@functools.lru_cache(maxsize=1024)
def _skeleton(font_path: str, char: str, variant: int) -> restroke.Skeleton:
    return restroke.skeletonise(glyph(font_path, char, variant))


@functools.lru_cache(maxsize=4096)
def _glyph(font_path: str, char: str, variant: int) -> np.ndarray:
    if font_path.startswith("stroke:"):
        _, weight, style = font_path.split(":")
        return gb_font.glyph(char, float(weight), style, variant)
    path, _, index = font_path.partition("#")  # "file.ttc#2": face 2 of a collection
    font = ImageFont.truetype(path, _RENDER_PX, index=int(index or 0))
    img = Image.new("L", (_RENDER_PX * 2, _RENDER_PX * 2), 0)
    ImageDraw.Draw(img).text((_RENDER_PX // 4, _RENDER_PX // 4), char, fill=255, font=font)
    try:
        return gb_font.ink_box(np.asarray(img))
    except ValueError:
        raise ValueError(f"font {font_path} has no glyph for {char!r}") from None


def distort(mask: np.ndarray, rng: random.Random, amount: float = 0.05) -> np.ndarray:
    """``mask`` bent by a smooth random displacement field (up to ``amount`` x its height)
    and sheared a little: the same letter as another maker's plate font draws it, not a
    pixel-perfect copy of one font. Cropped to its new ink box like ``glyph``."""
    pad = int(mask.shape[0] * (amount + 0.06)) + 2  # room for the bend and the shear
    padded = cv2.copyMakeBorder(mask, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    h, w = padded.shape
    nrng = np.random.default_rng(rng.getrandbits(32))
    field = nrng.uniform(-1, 1, (2, 3, 3)).astype(np.float32) * amount * mask.shape[0]
    dx, dy = (cv2.resize(f, (w, h), interpolation=cv2.INTER_CUBIC) for f in field)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    shear = rng.uniform(-0.1, 0.1)
    map_x = xs + dx + shear * (ys - h / 2)
    out = cv2.remap(padded, map_x, ys + dy, cv2.INTER_LINEAR, borderValue=0)
    try:
        return gb_font.ink_box(out)
    except ValueError:  # a faint glyph bent below the ink threshold: keep it as it was
        return mask
