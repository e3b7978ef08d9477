"""The training renderer's plate numbers: every label it produces is a valid plate."""

from __future__ import annotations

import itertools
import random

import pytest

from gated.core.plates import is_valid
from scripts.anpr import plate_text


@pytest.mark.parametrize("kind", list(plate_text.KINDS))
def test_every_rendered_label_is_a_valid_plate(kind):
    rng = random.Random(7)
    bad = [t.label for t in (plate_text.sample(rng, kind) for _ in range(2_000)) if not is_valid(t.label)]
    assert bad == []


def test_vanity_numbers_are_runs_or_straights():
    rng = random.Random(3)
    for _ in range(500):
        n = rng.choice((4, 5))
        d = plate_text._vanity(rng, n)
        assert len(d) == n and d.isdigit()
        longest = max(len(list(run)) for _, run in itertools.groupby(d))
        straight = all(int(b) == int(a) + 1 for a, b in zip(d, d[1:]))
        assert longest >= n - 2 or straight, d


def test_some_vietnamese_numbers_are_vanity_numbers():
    rng = random.Random(5)
    numbers = [plate_text._vn_number(rng).replace(".", "") for _ in range(5_000)]
    runs = sum(len(set(n)) == 1 for n in numbers)
    assert 0.01 < runs / len(numbers) < plate_text.VANITY_SHARE
