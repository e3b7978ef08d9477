"""Score the shipped ANPR models, and the rapidocr (PP-OCRv4) peer, on real and rendered sets.

    python scripts/eval_anpr.py [--models models/] [--no-peer] [--json out.json] [--failures DIR]

Real sets come from ../shared/data (evaluation only; skipped cleanly when absent).
Crops: plate exact match and character accuracy (CarLongPlate also per distinct plate),
read once (as one frame of a stream) and as ``gatectl anpr --crop`` reads a still image
(six trimmed copies voted).
Scenes: every labelled plate found and read, plates read, false plates per frame, and
detection recall where boxes are labelled; every plate voted over jittered frames as the
lane reads a vehicle (``--voted-frames``, ``scripts/anpr/scene_vote.py``); then the scenes
again with the detector at other
input widths (``--scales``, default 448, 480, 576; the reader uses 512), since plates reach a
lane camera at every size.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gated.anpr.reader import AnprReader, ReaderConfig, camera_config
from gated.core.plates import normalise
from scripts.anpr import eval_sets, metrics
from scripts.anpr.scene_vote import voted_scene_scores


class Peer:
    """rapidocr-onnxruntime's recogniser per text line (two-line plates split in halves)."""

    def __init__(self) -> None:
        from rapidocr_onnxruntime import RapidOCR

        self.engine = RapidOCR()

    def read_crop(self, img: np.ndarray, two_line: bool) -> str:
        img = img if img.ndim == 3 else cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        h = img.shape[0]
        lines = [img[: h // 2], img[h // 2 :]] if two_line else [img]
        res, _ = self.engine.text_rec(lines)
        return normalise("".join(t for t, _ in res))

    def read_scene(self, img: np.ndarray) -> list[str]:
        res, _ = self.engine(img)
        return [normalise(r[1]) for r in res or []]


class CachedPeer:
    """The peer's scores per set, computed once and kept in a JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.cache = json.loads(path.read_text()) if path.exists() else {}
        self._engine: Peer | None = None

    @property
    def engine(self) -> Peer:
        """The peer itself, loaded only when a set is not in the cache."""
        if self._engine is None:
            try:
                self._engine = Peer()
            except ImportError:
                sys.exit("eval_anpr: a set's peer score is not cached and the peer is not installed: "
                         "pip install rapidocr-onnxruntime (training environment), or run with --no-peer")
        return self._engine

    @staticmethod
    def key(s) -> str:
        """Set name and size; rendered sets also a hash of their labels and pixels, which
        changes whenever the renderer or its fonts do (stale peer results are never reused)."""
        key = f"{s.name}:{len(s.labels)}"
        if s.name.startswith("rendered"):
            digest = hashlib.sha1("\n".join(map(str, s.labels)).encode())
            for image in s.images:
                digest.update(image.tobytes())
            key += ":" + digest.hexdigest()[:10]
        return key

    def result(self, s, compute) -> dict:
        key = self.key(s)
        if key not in self.cache:
            self.cache[key] = compute()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(self.cache, indent=1))
        return self.cache[key]


def eval_crops(s: eval_sets.CropSet, read, failures: Path | None, audit: dict | None = None) -> dict:
    t = time.perf_counter()
    preds = [read(img, two) for img, two in zip(s.images, s.two_line)]
    out = metrics.crop_scores(preds, s.labels)
    out["ms_per_crop"] = 1000 * (time.perf_counter() - t) / max(1, len(preds))
    if "CarLongPlate" in s.name:
        out["distinct"] = metrics.per_distinct(preds, s.labels)
    if audit and s.files and any(f in audit for f in s.files):
        out["audited"] = metrics.audited_scores(preds, s.labels, s.files, audit)
    if failures is not None:
        fails = [(f, p, lab) for f, p, lab in zip(s.files or [""] * len(preds), preds, s.labels) if p != lab]
        (failures / f"{s.name}.txt").write_text("".join(f"{f},{lab},{p}\n" for f, p, lab in fails))
    return out


def eval_scenes(s: eval_sets.SceneSet, reader: AnprReader | None, peer: Peer | None) -> dict:
    results, det = [], []
    t = time.perf_counter()
    for img, labels, i in zip(s.images, s.labels, range(len(s.images))):
        if reader is not None:
            reads = [r.text for r in reader.read(img)]
            if s.boxes is not None:
                det.append((s.boxes[i], [d.box for d in reader.detector.detect(img)]))
        else:
            reads = peer.read_scene(img)
        results.append((labels, reads))
    out = metrics.scene_scores(results)
    out["ms_per_frame"] = 1000 * (time.perf_counter() - t) / max(1, len(s.images))
    if det:
        out["detection"] = metrics.detection_scores(det)
    return out


#: The detector input width the reader runs at (the scene table's own column of the sweep).
READER_WIDTH = ReaderConfig().input_width


def scale_sweep(models: Path | None, widths: list[int], scene_sets: list[eval_sets.SceneSet]
                ) -> dict[str, dict[str, dict]]:
    """Per detector input width, the scores of ``scene_sets``: a plate's size in the frame varies
    with the vehicle's distance, and a figure that holds only at the reader's own width is luck."""
    out: dict[str, dict[str, dict]] = {}
    for w in widths:
        reader = AnprReader(models, ReaderConfig(input_width=w))
        out[str(w)] = {s.name: eval_scenes(s, reader, None) for s in scene_sets}
        print(f"scenes at {w} px", json.dumps(out[str(w)]), flush=True)
    return out


def sweep_table(sweep: dict[str, dict[str, dict]], at_reader: dict[str, dict]) -> str:
    """The sweep beside the scene scores at ``READER_WIDTH`` (``at_reader``)."""
    widths = sorted({READER_WIDTH, *map(int, sweep)})
    rows = ["| scenes read at detector width | " + " | ".join(f"{w} px" for w in widths) + " |",
            "|---|" + "---|" * len(widths)]
    for name, g in at_reader.items():
        cells = [g if w == READER_WIDTH else sweep[str(w)][name] for w in widths]
        rows.append(f"| {name} ({g['n']}) | " + " | ".join(
            f"{round(c['scenes_read'] * c['n'])} ({c['false_per_frame']:.2f} false/frame)" for c in cells) + " |")
    return "\n".join(rows)


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", type=Path, default=None)
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--no-scenes", action="store_true")
    ap.add_argument("--rendered-per-kind", type=int, default=300)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--failures", type=Path, help="write misread files per set here")
    ap.add_argument("--audit", type=Path, help="JSON of real crops checked by eye (metrics.audited_scores); "
                    "kept outside the repository, with the data")
    ap.add_argument("--scales", default="448,480,576",
                    help="detector input widths the scenes are read at again (the reader uses 512), comma "
                         "separated; '' for none: how much a scene figure owes to one scale")
    ap.add_argument("--voted-frames", type=int, default=7,
                    help="scenes read again as this many jittered frames voted by PlateVoter (0: not), "
                         "with the reader a lane camera gets (camera_config)")
    ap.add_argument("--peer-cache", type=Path, default=Path("/work/cache/anpr/peer_results_r3.json"),
                    help="peer results are reused from here (the peer does not change)")
    return ap.parse_args()


def main() -> None:
    args = parse_args()
    reader = AnprReader(args.models)
    peer = None if args.no_peer else CachedPeer(args.peer_cache)
    audit = json.loads(args.audit.read_text(encoding="utf-8")) if args.audit else None
    if args.failures:
        args.failures.mkdir(parents=True, exist_ok=True)
    report: dict[str, dict] = {}
    crop_sets = eval_sets.real_crop_sets() + eval_sets.rendered_crop_sets(args.rendered_per_kind)
    if not any(s.name.startswith("real") for s in crop_sets):
        print("note: ../shared/data not found: real sets skipped")
    for s in crop_sets:
        report[s.name] = {"gated": eval_crops(s, lambda im, _two: reader.read_crop(im).text, args.failures, audit),
                          "gated_vote": eval_crops(s, lambda im, _two: reader.read_crop(im, vote=True).text, None)}
        if peer:
            report[s.name]["peer"] = peer.result(s, lambda s=s: eval_crops(s, peer.engine.read_crop, None))
        print(s.name, json.dumps(report[s.name]), flush=True)
    if not args.no_scenes:
        camera = AnprReader(args.models, camera_config(False))  # the voted scenes are read as a lane camera reads
        scene_sets = eval_sets.real_scene_sets() + [eval_sets.rendered_scene_set()]
        for s in scene_sets:
            report[s.name] = {"gated": eval_scenes(s, reader, None)}
            if args.voted_frames:
                report[s.name]["gated"]["voted"] = voted_scene_scores(
                    lambda img: [(r.text, r.confidence) for r in camera.read(img)], s.images, s.labels,
                    args.voted_frames)
            if peer:
                report[s.name]["peer"] = peer.result(s, lambda s=s: eval_scenes(s, None, peer.engine))
            print(s.name, json.dumps(report[s.name]), flush=True)
        widths = [int(w) for w in args.scales.split(",") if w and int(w) != READER_WIDTH]
        report["scale_sweep"] = scale_sweep(args.models, widths, scene_sets)
    print(table(report))
    if report.get("scale_sweep"):
        print(sweep_table(report["scale_sweep"], {n: r["gated"] for n, r in report.items() if "scenes_read" in r.get("gated", {})}))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


def table(report: dict[str, dict]) -> str:
    rows = ["| set | n | gated exact | gated char | gated exact, 6-copy vote | peer exact | peer char |",
            "|---|---|---|---|---|---|---|"]
    for name, r in report.items():
        if "gated" not in r:  # the scale sweep has its own table
            continue
        g, p, v = r["gated"], r.get("peer", {}), r.get("gated_vote", {})
        if "exact" in g:
            rows.append(f"| {name} | {g['n']} | {g['exact']:.1%} | {g['char']:.1%} | "
                        f"{v.get('exact', float('nan')):.1%} | "
                        f"{p.get('exact', float('nan')):.1%} | {p.get('char', float('nan')):.1%} |")
            if "audited" in g:
                a = g["audited"]
                rows.append(f"| {name} against labels checked by eye ({a['label_errors']} corrected, "
                            f"{a['undecidable']} undecidable left out / counted as failures) | | "
                            f"{a['exact']:.1%} / {a['exact_strict']:.1%} | | | | |")
            if "distinct" in g:
                d, pd = g["distinct"], p.get("distinct", {})
                rows.append(f"| {name} per distinct plate ({d['plates']}) | | {d['mean_exact']:.1%} | | | "
                            f"{pd.get('mean_exact', float('nan')):.1%} | |")
    rows += ["", ("| scenes | n | gated all read | gated all read, voted | gated plates read | gated false/frame | "
             "det recall | peer all read | peer false/frame |"), "|---|---|---|---|---|---|---|---|---|"]
    for name, r in report.items():
        g, p = r.get("gated", {}), r.get("peer", {})
        if "scenes_read" in g:
            rec = g.get("detection", {}).get("recall")
            rows.append(f"| {name} | {g['n']} | {g['scenes_read']:.1%} | {_voted_cell(g.get('voted'))} | "
                        f"{g['plates_read']:.1%} | "
                        f"{g['false_per_frame']:.2f} | {'-' if rec is None else f'{rec:.1%}'} | "
                        f"{p.get('scenes_read', float('nan')):.1%} | {p.get('false_per_frame', float('nan')):.2f} |")
    return "\n".join(rows)


def _voted_cell(voted: dict | None) -> str:
    return f"{voted['scenes_read']:.1%} ({voted['frames']} frames)" if voted else "-"


if __name__ == "__main__":
    main()
