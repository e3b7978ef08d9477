"""Plate reading metrics (pure)."""

from __future__ import annotations

from collections import defaultdict

from gated.anpr.detector import iou
from gated.anpr.voting import edit_distance


def char_accuracy(pred: str, truth: str) -> float:
    return max(0.0, 1 - edit_distance(pred, truth) / max(1, len(truth)))


def crop_scores(preds: list[str], truths: list[str]) -> dict[str, float]:
    n = max(1, len(truths))
    return {"n": len(truths),
            "exact": sum(p == t for p, t in zip(preds, truths)) / n,
            "char": sum(char_accuracy(p, t) for p, t in zip(preds, truths)) / n}


def audited_scores(preds: list[str], labels: list[str], files: list[str], audit: dict[str, dict]) -> dict:
    """Exact match against labels checked by eye (``audit``: file -> {"verdict":
    "label_error" | "ambiguous" | "ours_wrong", "truth": printed text}): a label error is
    scored against the printed text; an undecidable crop (occluded, cut) is left out of
    ``exact`` and counted as a failure in ``exact_strict``."""
    undecidable = corrected = hits = 0
    for pred, label, f in zip(preds, labels, files):
        entry = audit.get(f, {})
        if entry.get("verdict") == "ambiguous":
            undecidable += 1
            continue
        truth = entry.get("truth", label) if entry.get("verdict") == "label_error" else label
        corrected += truth != label
        hits += pred == truth
    n = len(labels)
    return {"n": n, "undecidable": undecidable, "label_errors": corrected,
            "exact": hits / max(1, n - undecidable), "exact_strict": hits / max(1, n)}


def per_distinct(preds: list[str], truths: list[str]) -> dict[str, float]:
    """Accuracy per distinct plate: mean of each plate's exact rate, and share read by majority."""
    groups: dict[str, list[bool]] = defaultdict(list)
    for p, t in zip(preds, truths):
        groups[t].append(p == t)
    rates = [sum(v) / len(v) for v in groups.values()]
    return {"plates": len(groups), "mean_exact": sum(rates) / max(1, len(rates)),
            "majority_read": sum(r > 0.5 for r in rates) / max(1, len(rates))}


def scene_scores(results: list[tuple[list[str], list[str]]]) -> dict[str, float]:
    """results: per scene (labelled texts, read texts). A scene is read if every label is."""
    n = max(1, len(results))
    read = sum(all(t in reads for t in labels) for labels, reads in results)
    plates = sum(len(labels) for labels, _ in results)
    found = sum(sum(t in reads for t in labels) for labels, reads in results)
    false = sum(sum(r not in labels for r in reads) for labels, reads in results)
    return {"n": len(results), "scenes_read": read / n, "plates_read": found / max(1, plates),
            "false_per_frame": false / n}


def detection_scores(results: list[tuple[list[tuple], list[tuple]]], thr: float = 0.5) -> dict[str, float]:
    """results: per frame (truth boxes, detected boxes): recall and false boxes per frame."""
    truths = sum(len(t) for t, _ in results)
    hit = sum(sum(any(iou(t, d) >= thr for d in dets) for t in ts) for ts, dets in results)
    false = sum(sum(not any(iou(t, d) >= thr for t in ts) for d in dets) for ts, dets in results)
    return {"frames": len(results), "recall": hit / max(1, truths), "false_per_frame": false / max(1, len(results))}
