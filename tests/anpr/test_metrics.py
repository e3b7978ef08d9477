"""Evaluation metrics (pure): scores against labels checked by eye."""

from __future__ import annotations

import pytest

from scripts.anpr.metrics import audited_scores, crop_scores

FILES = ["a.jpg", "b.jpg", "c.jpg", "d.jpg"]
LABELS = ["59M121704", "59P108799", "59S208419", "51V44579"]
PREDS = ["59M121704", "59P166480", "59S208418", "51VL4579"]
AUDIT = {
    "b.jpg": {"verdict": "label_error", "truth": "59P166480"},  # printed 59-P1 664.80
    "c.jpg": {"verdict": "ambiguous"},  # last digit occluded
    "d.jpg": {"verdict": "ours_wrong"},
}


def test_label_errors_are_scored_against_the_printed_text_and_undecidable_crops_left_out():
    assert crop_scores(PREDS, LABELS)["exact"] == 0.25
    a = audited_scores(PREDS, LABELS, FILES, AUDIT)
    assert (a["n"], a["undecidable"], a["label_errors"]) == (4, 1, 1)
    assert a["exact"] == pytest.approx(2 / 3)  # a and b right, d wrong; c left out
    assert a["exact_strict"] == 0.5  # c counted as a failure


def test_a_wrong_read_stays_wrong_after_the_audit():
    audit = {"b.jpg": {"verdict": "label_error", "truth": "59P166480"}}
    a = audited_scores(["59M121704", "59P108799"], LABELS[:2], FILES[:2], audit)
    assert a["exact"] == 0.5  # agreeing with a wrong label is no longer a hit


def test_without_entries_the_audit_changes_nothing():
    a = audited_scores(PREDS, LABELS, FILES, {})
    assert a["exact"] == a["exact_strict"] == crop_scores(PREDS, LABELS)["exact"]
