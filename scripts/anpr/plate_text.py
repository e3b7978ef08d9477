"""Random plate numbers, as printed (lines of characters), with their normalised form.

A printed plate is a list of lines; each line is a string where ``-`` and ``.`` are
separators drawn small and ``·`` is the Chinese separator dot. ``normalise`` of the joined
lines is the label.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from gated.core.plates import CN_PROVINCES, normalise

DIGITS = "0123456789"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CN_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I, O
VN_SERIES = "ABCDEFGHKLMNPSTUVXYZ"
#: Vietnamese province codes (11..99 minus unused).
VN_PROVINCES = [f"{n:02d}" for n in range(11, 100) if n not in (13, 42, 44, 45, 46, 87, 91, 96)]


@dataclass(frozen=True, slots=True)
class PlateText:
    kind: str  # vn1 vn2moto vn2car cn1 cn2 cn_nev cn_trailer
    lines: tuple[str, ...]

    @property
    def label(self) -> str:
        return normalise("".join(self.lines))


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(DIGITS) for _ in range(n))


def _vanity(rng: random.Random, n: int) -> str:
    """Auctioned "beautiful" numbers: runs of one digit (777.77, 888.68) and straights
    (123.45). Runs are hard for a CTC reader (it must put a blank between equal digits)."""
    if rng.random() < 0.3:
        start = rng.randint(0, 10 - n)
        return "".join(str(start + i) for i in range(n))
    d = rng.choice(DIGITS)
    run = rng.randint(n - 2, n)
    head = "".join(rng.choice(DIGITS) for _ in range(n - run))
    return head + d * run if rng.random() < 0.5 else d * run + head


#: Share of Vietnamese numbers drawn as vanity numbers.
VANITY_SHARE = 0.08


def _vn_number(rng: random.Random) -> str:
    n = 5 if rng.random() < 0.8 else 4
    d = _vanity(rng, n) if rng.random() < VANITY_SHARE else _digits(rng, n)
    return f"{d[:3]}.{d[3:]}" if n == 5 else d


def _vn_series(rng: random.Random) -> str:
    return rng.choice(VN_SERIES) + (rng.choice(VN_SERIES) if rng.random() < 0.12 else "")


def vn_one_line(rng: random.Random) -> PlateText:
    return PlateText("vn1", (f"{rng.choice(VN_PROVINCES)}{_vn_series(rng)}-{_vn_number(rng)}",))


#: Motorbike series: a letter and a digit (``59-T1``) on nearly every plate; two letters
#: (50 cc, ``29-AA``) and a lone letter are rare. At 10% each the OCR learned to hedge at the
#: series' second character and read real ``K4``, ``V4``, ``P8``, ``N1`` as KC, VL, PB, NT.
MOTO_SERIES_TWO_LETTERS, MOTO_SERIES_ONE_LETTER = 0.05, 0.05


def vn_two_line_moto(rng: random.Random) -> PlateText:
    r = rng.random()
    if r < 1 - MOTO_SERIES_TWO_LETTERS - MOTO_SERIES_ONE_LETTER:
        series = rng.choice(VN_SERIES) + rng.choice("123456789")
    elif r < 1 - MOTO_SERIES_ONE_LETTER:
        series = rng.choice(VN_SERIES) + rng.choice(VN_SERIES)
    else:
        series = rng.choice(VN_SERIES)
    return PlateText("vn2moto", (f"{rng.choice(VN_PROVINCES)}-{series}", _vn_number(rng)))


def vn_two_line_car(rng: random.Random) -> PlateText:
    dash = "-" if rng.random() < 0.7 else ""
    return PlateText("vn2car", (f"{rng.choice(VN_PROVINCES)}{_vn_series(rng)}{dash}", _vn_number(rng)))


#: Province characters that blur into one another at ~10x18 px (皖 is read as 陕, 琼, 桂,
#: 赣, 京 on small crops): drawn a little more often so the model sees them side by side.
CN_CONFUSABLE = "皖陕琼桂赣京渝鲁豫"
CN_CONFUSABLE_SHARE = 0.2


def _province(rng: random.Random) -> str:
    if rng.random() < CN_CONFUSABLE_SHARE:
        return rng.choice(CN_CONFUSABLE)
    return rng.choice(CN_PROVINCES)


#: How many letters a Chinese serial carries, drawn from this tuple (``build_ocr_dataset
#: --cn-tail-letters`` changes it for a dataset; the rendered test sets keep this default).
CN_TAIL_LETTERS = (0, 0, 1, 1, 2)


def _cn_tail(rng: random.Random, n: int) -> str:
    chars = [rng.choice(DIGITS) for _ in range(n)]
    for _ in range(rng.choice(CN_TAIL_LETTERS)):
        chars[rng.randrange(n)] = rng.choice(CN_LETTERS)
    return "".join(chars)


def cn_one_line(rng: random.Random) -> PlateText:
    return PlateText("cn1", (f"{_province(rng)}{rng.choice(CN_LETTERS)}·{_cn_tail(rng, 5)}",))


def cn_two_line(rng: random.Random) -> PlateText:
    return PlateText("cn2", (f"{_province(rng)}·{rng.choice(CN_LETTERS)}", _cn_tail(rng, 5)))


def cn_trailer(rng: random.Random) -> PlateText:
    top = f"{_province(rng)}·{rng.choice(CN_LETTERS)}"
    return PlateText("cn_trailer", (top, _digits(rng, 4) + "挂"))


def cn_new_energy(rng: random.Random) -> PlateText:
    if rng.random() < 0.7:
        tail = rng.choice("DF") + _cn_tail(rng, 5)
    else:
        tail = _digits(rng, 5) + rng.choice("DF")
    return PlateText("cn_nev", (f"{_province(rng)}{rng.choice(CN_LETTERS)}·{tail}",))


#: Sampler and weight per kind.
KINDS = {
    "vn1": (vn_one_line, 0.22),
    "vn2moto": (vn_two_line_moto, 0.22),
    "vn2car": (vn_two_line_car, 0.08),
    "cn1": (cn_one_line, 0.26),
    "cn2": (cn_two_line, 0.08),
    "cn_trailer": (cn_trailer, 0.07),
    "cn_nev": (cn_new_energy, 0.07),
}


def sample(rng: random.Random, kind: str | None = None) -> PlateText:
    if kind is None:
        names = list(KINDS)
        kind = rng.choices(names, weights=[KINDS[n][1] for n in names])[0]
    return KINDS[kind][0](rng)
