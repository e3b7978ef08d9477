"""Detection and reading on rendered lane frames, broken down by what each frame shows:
light (day, night, IR grey), blur, plate kind and colour, plate width in the frame, tilt.

The real photos in ../shared/data have no night or IR frames, no trucks, trailers or lane
cameras (its README), so these conditions can only be measured on rendered frames
(``scene_render``, the evaluation's rendered scenes: seed 3, 1920x1120). Rendered: say so
wherever a figure from here is quoted.

    python scripts/eval_conditions.py [--frames 300] [--seed 3] [--models DIR] [--json OUT]

A plate is *found* when a detector box overlaps it at IoU >= 0.5 and *read* when the
reader a lane camera gets (``camera_config``) returns its exact text for the frame.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gated.anpr.detector import iou  # noqa: E402
from gated.anpr.reader import AnprReader, camera_config  # noqa: E402
from scripts.anpr import eval_sets  # noqa: E402

#: Plate width as drawn, before the frame is blown up x5 to 1920 px: the detail a plate carries
#: (a plate 150 px wide in the frame has the detail of a 30 px one). (upper bound, name).
WIDTHS = ((40, "22-40 px"), (80, "40-80 px"), (140, "80-140 px"), (math.inf, "140-220 px"))
#: Roll of the plate's top edge, degrees: (upper bound, name).
TILTS = ((3, "< 3 deg"), (8, "3-8 deg"), (math.inf, ">= 8 deg"))
KIND_NAMES = {"vn1": "VN one-line", "vn2car": "VN two-line car", "vn2moto": "VN two-line motorbike",
              "cn1": "CN one-line", "cn_nev": "CN new energy", "cn2": "CN two-row truck",
              "cn_trailer": "CN trailer (挂)"}


def bucket(value: float, bounds: tuple[tuple[float, str], ...]) -> str:
    return next(name for upper, name in bounds if value < upper)


def plate_geometry(quad: list[list[float]]) -> tuple[float, float]:
    """(width in pixels, roll of the top edge in degrees, 0-90) of a plate's corners (tl, tr, br, bl)."""
    xs = [x for x, _ in quad]
    (x0, y0), (x1, y1) = quad[0], quad[1]
    roll = abs(math.degrees(math.atan2(y1 - y0, x1 - x0)))
    return max(xs) - min(xs), min(roll, 180 - roll)


def plate_rows(frame_info: dict, labels: list[str], truth: list[tuple[float, ...]],
               detected: list[tuple[int, ...]], reads: list[str]) -> list[dict]:
    """One row per labelled plate of a frame: what it is and whether it was found and read."""
    rows = []
    for plate, label, box in zip(frame_info["plates"], labels, truth):
        width, roll = plate_geometry(plate["quad"])
        rows.append({"light": frame_info["light"], "blur": "blurred" if frame_info["blurred"] else "sharp",
                     "kind": KIND_NAMES.get(plate["kind"], plate["kind"]),
                     "colour": f"{plate['kind'][:2].upper()} {plate['colour']}",
                     "width": bucket(width / eval_sets.SCENE_UPSCALE, WIDTHS), "tilt": bucket(roll, TILTS),
                     "found": any(iou(box, d) >= 0.5 for d in detected), "read": label in reads})
    return rows


#: Table order of the values that have one (others alphabetical).
ORDER = {"light": ["day", "night", "ir"], "width": [n for _, n in WIDTHS], "tilt": [n for _, n in TILTS]}


def breakdown(rows: list[dict], key: str) -> dict[str, dict[str, float]]:
    """Per value of ``key``: plates, share found, share read."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        groups[row[key]].append(row)
    order = ORDER.get(key, [])
    names = sorted(groups, key=lambda n: (order.index(n) if n in order else len(order), n))
    return {name: {"plates": len(groups[name]), "found": sum(r["found"] for r in groups[name]) / len(groups[name]),
                   "read": sum(r["read"] for r in groups[name]) / len(groups[name])} for name in names}


def false_by_light(frames: list[tuple[str, int]]) -> dict[str, float]:
    """Reads that are no labelled plate, per frame, by the frame's light."""
    groups: dict[str, list[int]] = defaultdict(list)
    for light, false in frames:
        groups[light].append(false)
    return {light: sum(v) / len(v) for light, v in sorted(groups.items())}


def table(title: str, scores: dict[str, dict[str, float]]) -> str:
    lines = [f"| {title} | plates | found (IoU >= 0.5) | read exactly |", "|---|---|---|---|"]
    lines += [f"| {name} | {s['plates']} | {100 * s['found']:.1f}% | {100 * s['read']:.1f}% |"
              for name, s in scores.items()]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--models", type=Path, default=None)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    reader = AnprReader(args.models, camera_config(False))  # rendered lane frames: read as a lane camera's
    scenes = eval_sets.rendered_scene_set(args.frames, args.seed)
    rows, frames = [], []
    for img, labels, truth, info in zip(scenes.images, scenes.labels, scenes.boxes, scenes.info):
        plates, detections = reader.read_detected(img)
        reads, detected = [r.text for r in plates], [d.box for d in detections]
        rows += plate_rows(info, labels, truth, detected, reads)
        frames.append((info["light"], sum(r not in labels for r in reads)))
    report = {key: breakdown(rows, key) for key in ("light", "blur", "kind", "colour", "width", "tilt")}
    report["width (drawn; x5 in the frame)"] = report.pop("width")
    report["false_per_frame"] = false_by_light(frames)
    print(f"{len(frames)} rendered frames (seed {args.seed}), {len(rows)} plates")
    for key, scores in report.items():
        if key != "false_per_frame":
            print("\n" + table(key, scores))
    print("\nfalse plates per frame: " + ", ".join(f"{k} {v:.2f}" for k, v in report["false_per_frame"].items()))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
