"""Format-aware repair of an OCR read (pure).

A read that is no valid plate is tried against what the formats force: a Vietnamese
plate has digits in its first two and last four places and a letter third; a Chinese
plate has a province, then a letter. Characters of the wrong kind there are swapped for
their usual look-alike (``O``→``0``, ``8``→``B``...). A stray province character in front
of a Vietnamese plate (a border, bolt or flag sticker read as a hanzi) is dropped, and so is
a letter before or after one (a Vietnamese plate starts and ends with digits: ``E98D00615``
is a frame edge read before ``98D00615``). The repair is
kept only if it yields a valid plate with at most one character swapped (more swaps would
too often make a different, valid plate); a valid read is never changed.
"""

from __future__ import annotations

from gated.core.plates import CN_PROVINCES, is_valid

TO_DIGIT = str.maketrans({"O": "0", "D": "0", "Q": "0", "U": "0", "I": "1", "J": "1", "L": "1", "T": "1",
                          "Z": "2", "A": "4", "S": "5", "G": "6", "B": "8"})
TO_LETTER = str.maketrans({"0": "D", "1": "T", "2": "Z", "4": "A", "5": "S", "6": "G", "8": "B"})


def _vn(text: str) -> str:
    if len(text) < 7:
        return text
    head = text[:2].translate(TO_DIGIT) + text[2].translate(TO_LETTER)
    tail = text[-4:].translate(TO_DIGIT)
    return head + text[3:-4] + tail


def _cn(text: str) -> str:
    if len(text) < 3:
        return text
    return text[0] + text[1].translate(TO_LETTER) + text[2:]


def _without_stray_ends(text: str) -> list[str]:
    """``text`` minus a character at an end that cannot belong to a Vietnamese plate there
    (a province or letter before its first digits, a letter after its last); letters that
    look like a digit (``I``, ``O``, ``Z``...) are left to the look-alike swap instead."""
    out = []
    if _stray(text[:1]) and text[1:3].isdigit():
        out.append(text[1:])
    if _stray(text[-1:]) and text[-2:-1].isdigit() and text[:2].isdigit():
        out.append(text[:-1])
    return out


def _stray(ch: str) -> bool:
    return ch in CN_PROVINCES or (ch.isascii() and ch.isalpha() and ch.translate(TO_DIGIT) == ch)


def candidates(text: str) -> list[str]:
    bases = _without_stray_ends(text) + [text]
    out = []
    for base in bases:
        fixed = _cn(base) if base[:1] in CN_PROVINCES else _vn(base)
        out += [c for c in (base, fixed) if _swaps(base, c) <= MAX_SWAPS]
    return out


def _swaps(a: str, b: str) -> int:
    return sum(x != y for x, y in zip(a, b))


MAX_SWAPS = 1


def repair(text: str) -> str:
    """``text`` if valid, else the first valid repair, else ``text`` unchanged."""
    if not text or is_valid(text):
        return text
    for cand in candidates(text):
        if is_valid(cand):
            return cand
    return text
