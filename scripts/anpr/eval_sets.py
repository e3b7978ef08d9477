"""Evaluation sets: the real images in ../shared/data (read in place, evaluation only) and
the project's own rendered test sets (fixed seeds)."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from . import ocr_samples, plate_text, scene_render

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
TWO_LINE_KINDS = {"vn2moto", "vn2car", "cn2", "cn_trailer"}


@dataclass
class CropSet:
    name: str
    images: list[np.ndarray]
    labels: list[str]
    two_line: list[bool]
    files: list[str] = field(default_factory=list)


@dataclass
class SceneSet:
    name: str
    images: list[np.ndarray]
    labels: list[list[str]]
    boxes: list[list[tuple[float, ...]]] | None  # None when the set has no boxes
    files: list[str] = field(default_factory=list)
    info: list[dict] = field(default_factory=list)  # rendered sets: what each frame shows (scene_render.scene)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _imread(path: Path) -> np.ndarray:
    img = cv2.imdecode(np.fromfile(str(path), np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f"cannot read {path}")
    return img


def real_crop_sets(root: Path = DATA) -> list[CropSet]:
    """plates-dev/vn per subset, and plates-dev/cn; empty list when the data is absent."""
    out = []
    vn = root / "plates-dev" / "vn"
    if (vn / "labels.csv").exists():
        rows = _rows(vn / "labels.csv")
        for subset in sorted({r["subset"] for r in rows}):
            sel = [r for r in rows if r["subset"] == subset]
            out.append(CropSet(f"real-vn-{subset}", [_imread(vn / r["file"]) for r in sel],
                               [r["text"] for r in sel], [r["layout"] == "2-line" for r in sel],
                               [r["file"] for r in sel]))
    cn = root / "plates-dev" / "cn"
    if (cn / "labels.csv").exists():
        rows = _rows(cn / "labels.csv")
        out.append(CropSet("real-cn", [_imread(cn / r["file"]) for r in rows], [r["text"] for r in rows],
                           [False] * len(rows), [r["file"] for r in rows]))
    return out


def real_scene_sets(root: Path = DATA) -> list[SceneSet]:
    out = []
    for country in ("vn", "cn"):
        d = root / "scenes-dev" / country
        if not (d / "labels.csv").exists():
            continue
        by_file: dict[str, list[dict[str, str]]] = {}
        for r in _rows(d / "labels.csv"):
            by_file.setdefault(r["file"], []).append(r)
        files = sorted(by_file)
        has_boxes = "x1" in by_file[files[0]][0]
        boxes = [[tuple(float(r[k]) for k in ("x1", "y1", "x2", "y2")) for r in by_file[f]] for f in files] \
            if has_boxes else None
        out.append(SceneSet(f"real-scenes-{country}", [_imread(d / f) for f in files],
                            [[r["text"] for r in by_file[f]] for f in files], boxes, files))
    return out


#: One-row kinds also scored at their natural aspect (``rendered-<kind>-natural``): the same
#: plates as ``rendered-<kind>``, which is stored 2:1 like the training samples, so crop-shape
#: dependent steps (``gated/anpr/deslant.py`` straightens one-row crops only) run as on a camera's.
NATURAL_KINDS = ("vn1", "cn1", "cn_nev")


def rendered_crop_sets(per_kind: int = 300, seed: int = 2) -> list[CropSet]:
    """Rendered crops per plate kind (same generator as training, separate seeds), then the
    ``NATURAL_KINDS`` again at their natural aspect."""
    seeds = {kind: seed * 1000 + j for j, kind in enumerate(plate_text.KINDS)}
    return ([_rendered(kind, per_kind, seeds[kind], natural=False) for kind in plate_text.KINDS]
            + [_rendered(kind, per_kind, seeds[kind], natural=True) for kind in NATURAL_KINDS])


def _rendered(kind: str, n: int, seed: int, natural: bool) -> CropSet:
    rng = random.Random(seed)
    pairs = [ocr_samples.sample(rng, kind, natural=natural) for _ in range(n)]
    return CropSet(f"rendered-{kind}" + ("-natural" if natural else ""), [p[0] for p in pairs],
                   [p[1] for p in pairs], [kind in TWO_LINE_KINDS] * n)


#: Rendered scenes are drawn at the detector's training size and blown up this much (1920x1120).
SCENE_UPSCALE = 5


def rendered_scene_set(n: int = 100, seed: int = 3) -> SceneSet:
    """Rendered lane frames, upscaled x5 to 1920x1120 (the reader scales them back down)."""
    rng = random.Random(seed)
    images, labels, boxes, infos = [], [], [], []
    for _ in range(n):
        info: dict = {}
        img, bx, lab = scene_render.scene(rng, info=info)
        k = SCENE_UPSCALE
        images.append(cv2.resize(img, (img.shape[1] * k, img.shape[0] * k), interpolation=cv2.INTER_LINEAR))
        labels.append(lab)
        boxes.append([tuple(float(v) * k for v in b) for b in bx])
        for plate in info["plates"]:
            plate["quad"] = [[x * k, y * k] for x, y in plate["quad"]]
        infos.append(info)
    return SceneSet("rendered-scenes", images, labels, boxes, info=infos)
