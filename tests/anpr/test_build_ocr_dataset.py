"""Shard rendering for the OCR trainer: the plate-kind filter (Chinese-only shards for the
Chinese specialist) and reproducibility per seed."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from gated.core.plates import country_of
from scripts.anpr import plate_text
from scripts.anpr.build_ocr_dataset import render_shard

CN_KINDS = ("cn1", "cn2", "cn_trailer", "cn_nev")


def test_kinds_renders_only_those_kinds():
    images, labels = render_shard(11, 40, kinds=CN_KINDS)
    assert images.shape[0] == 40 and images.std() > 0
    assert {country_of(label) for label in labels} == {"CN"}
    shapes = {"trailer" if label.endswith("挂") else len(label) for label in labels}
    assert 7 in shapes and len(shapes) >= 2  # one-line plates and trailers or new-energy ones


def test_same_seed_same_shard_and_the_default_mix_keeps_its_vietnamese_plates():
    a_images, a_labels = render_shard(12, 25)
    b_images, b_labels = render_shard(12, 25, kinds=())
    assert a_labels == b_labels and np.array_equal(a_images, b_images)
    assert "VN" in {country_of(label) for label in a_labels}


def test_unknown_kind_is_refused_with_its_name(tmp_path):
    done = subprocess.run([sys.executable, "-m", "scripts.anpr.build_ocr_dataset", "--out", str(tmp_path),
                           "--kinds", "cn1,truck"], capture_output=True, text=True)
    assert done.returncode == 2
    assert "unknown plate kind(s) truck" in done.stderr
    assert list(tmp_path.iterdir()) == []


def serial_letters(label: str) -> int:
    """Letters in a one-line Chinese plate's serial (after province and issuer letter)."""
    return sum(ch.isalpha() and ch.isascii() for ch in label[2:])


def test_cn_tail_letters_sets_how_many_letters_a_serial_carries(monkeypatch):
    monkeypatch.setattr(plate_text, "CN_TAIL_LETTERS", (2,))
    _, labels = render_shard(13, 30, kind="cn1")
    # two draws may land on one position: 1 or 2 letters, never none
    assert all(1 <= serial_letters(label) <= 2 for label in labels)
    assert sum(serial_letters(label) == 2 for label in labels) > len(labels) // 2
    monkeypatch.setattr(plate_text, "CN_TAIL_LETTERS", (0,))
    _, labels = render_shard(13, 30, kind="cn1")
    assert all(serial_letters(label) == 0 for label in labels)


def test_bad_cn_tail_letters_are_refused_with_a_reason(tmp_path):
    for bad, reason in (("1,x", "not a comma-separated list"), ("1,7", "0 to 5 letters")):
        done = subprocess.run([sys.executable, "-m", "scripts.anpr.build_ocr_dataset", "--out", str(tmp_path),
                               "--cn-tail-letters", bad], capture_output=True, text=True)
        assert done.returncode == 2 and reason in done.stderr
    assert list(tmp_path.iterdir()) == []
