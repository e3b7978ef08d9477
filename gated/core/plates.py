"""Licence plates: normalisation, format checks, display and OCR-confusion keys.

Pure functions, no I/O. The normalised plate is what the contract calls the plate:
upper case with spaces, ``-``, ``.``, ``·`` and the two-line separator removed.

* Vietnamese one-line ``29C-123.45`` -> ``29C12345``; two-line ``29-C1 / 123.45`` -> ``29C112345``.
* Chinese ``桂A·12345`` -> ``桂A12345``; trailer ``桂A·1234挂`` -> ``桂A1234挂``; new energy
  ``粤B·D12345`` -> ``粤BD12345``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Country = Literal["VN", "CN"]

#: The 31 mainland provincial abbreviations used as the first character of Chinese plates.
CN_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
#: Chinese plate suffixes: trailer, learner, police, Hong Kong, Macau.
CN_SUFFIXES = "挂学警港澳"
_CN_ALNUM = "A-HJ-NP-Z0-9"  # Chinese plates never use I or O

_VN_RE = re.compile(r"^(?P<prov>\d{2})(?P<series>[A-Z]{1,2}\d??)(?P<num>\d{4,5})$")
#: New-energy plates (green) carry six characters after the city letter: ``D`` (electric) or
#: ``F`` (hybrid) then five (small cars, ``粤B·D12345``), or five digits then ``D``/``F``
#: (large vehicles, ``粤B·12345D``). Any other six-character serial is a misread, most often
#: the plate's border read as a last ``1``.
_CN_NEV = rf"[DF][{_CN_ALNUM}]{{5}}|[0-9]{{5}}[DF]"
_CN_RE = re.compile(
    rf"^(?P<prov>[{CN_PROVINCES}])(?P<city>[A-HJ-NP-Z])"
    rf"(?P<num>[{_CN_ALNUM}]{{5}}|{_CN_NEV}|[{_CN_ALNUM}]{{4}}[{CN_SUFFIXES}])$"
)
_STRIP = str.maketrans("", "", " \t\r\n-.·•/_|:")

#: OCR confusion classes. Characters in one class are read for one another by OCR on
#: real plates; each maps to the class's first member.
CONFUSION_CLASSES: tuple[str, ...] = ("0ODQU", "8B", "5S", "2Z", "1I7T", "6G", "4A")
_CANON = {ch: cls[0] for cls in CONFUSION_CLASSES for ch in cls}

MAX_PLATE_LEN = 12


def normalise(text: str) -> str:
    """Return the contract's normalised form of a plate as printed or read.

    NFKC folds full-width letters and digits (common in Chinese text) to ASCII.
    """
    out = text
    for _ in range(3):  # NFKC can expose separators (´ -> space + accent): reach a fixed point
        folded = unicodedata.normalize("NFKC", out).upper().translate(_STRIP)
        if folded == out:
            break
        out = folded
    return out


def country_of(plate: str) -> Country | None:
    """``VN`` or ``CN`` when the normalised plate has a valid format, else ``None``."""
    if _VN_RE.match(plate):
        return "VN"
    if _CN_RE.match(plate):
        return "CN"
    return None


def is_valid(plate: str) -> bool:
    return country_of(plate) is not None


def is_trailer(plate: str) -> bool:
    return plate.endswith("挂") and country_of(plate) == "CN"


def is_two_row(plate: str) -> bool:
    """True for a Vietnamese plate printed only on two rows: its series carries a digit
    (motorbikes, ``59-T1 744.43``); one-row plates have letters only (``29C-123.45``)."""
    m = _VN_RE.match(plate)
    return bool(m) and m["series"][-1].isdigit()


#: An image of a plate at least this many times wider than high shows a one-row plate
#: (one-row plates are 3.1:1 to 4.7:1, two-row ones 1.4:1 to 2:1, tilted ones a little squarer).
ONE_ROW_ASPECT = 2.6


def one_row_shaped(width: float, height: float) -> bool:
    return width >= ONE_ROW_ASPECT * height


def fits_shape(plate: str, width: float, height: float) -> bool:
    """Whether a plate of this format can fill an image of this shape: a two-row Vietnamese
    format (``is_two_row``) cannot come from a one-row-shaped box or crop. A one-row car plate
    read that way has taken its printed border for one more character (``30A88888`` ->
    ``30A888881``)."""
    return not (is_two_row(plate) and one_row_shaped(width, height))


def plausible(plate: str, width: float, height: float) -> bool:
    """A valid plate (``is_valid``) that an image or box of this shape can show (``fits_shape``)."""
    return is_valid(plate) and fits_shape(plate, width, height)


#: One character of each kind the formats tell apart: a digit, a letter, the new-energy ``D``,
#: a letter Chinese plates never use, a suffix (``tests/core/test_plates.py`` checks that
#: these stand for every character).
_KIND_SAMPLES = "0ADI挂"


def continuations(plate: str, most: int = 2) -> list[str]:
    """``plate`` with 1 to ``most`` characters added, one per kind of character in each place:
    a longer valid plate starts with ``plate`` exactly when one of these is valid (and fits
    any test that tells the kinds apart, not the characters)."""
    out, frontier = [], [plate]
    for _ in range(most):
        frontier = [p + c for p in frontier for c in _KIND_SAMPLES]
        out += frontier
    return out


def display(plate: str) -> str:
    """How the plate is printed: ``29C-123.45``, ``29-C1 123.45``, ``桂A·12345``.

    Unknown formats are returned unchanged.
    """
    m = _VN_RE.match(plate)
    if m:
        num = m["num"]
        tail = f"{num[:3]}.{num[3:]}" if len(num) == 5 else num
        if is_two_row(plate):
            return f"{m['prov']}-{m['series']} {tail}"
        return f"{m['prov']}{m['series']}-{tail}"
    m = _CN_RE.match(plate)
    if m:
        return f"{m['prov']}{m['city']}·{m['num']}"
    return plate


def confusion_key(plate: str) -> str:
    """Map every character to its OCR confusion class, so near-reads compare equal."""
    return "".join(_CANON.get(ch, ch) for ch in plate)


def near_key(plate: str) -> str:
    """``confusion_key`` that also ignores a Chinese plate's province character, the
    character the OCR reads worst on small plates (皖 read as 陕, 桂 as 琼)."""
    if country_of(plate) == "CN":
        return "*" + confusion_key(plate[1:])
    return confusion_key(plate)


def is_near_miss(a: str, b: str) -> bool:
    """True when two normalised plates differ but are alike enough that an OCR misread is
    a likely cause: equal up to the confusion classes and, on Chinese plates, the province.
    A near miss is for an officer to check; it never grants on its own."""
    return a != b and near_key(a) == near_key(b)


@dataclass(frozen=True, slots=True)
class PlateInfo:
    plate: str
    display: str
    country: Country | None
    trailer: bool


def describe(text: str) -> PlateInfo:
    plate = normalise(text)
    return PlateInfo(plate, display(plate), country_of(plate), is_trailer(plate))
