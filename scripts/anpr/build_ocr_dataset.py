"""Pre-render OCR samples into shards so training is not render-bound.

    python -m scripts.anpr.build_ocr_dataset --out /work/cache/anpr/ocr --first 0 --count 40

Shard ``i`` holds ``--per-shard`` samples rendered with seed ``1000 + i`` (reproducible);
existing shards are skipped, so it can be stopped and resumed. The validation shard uses
seed 1 and the rendered test set (per plate kind) seed 2.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import numpy as np

from . import plate_text
from .ocr_samples import IMG_H, IMG_W, sample
from .plate_text import KINDS


def render_shard(seed: int, n: int, kind: str | None = None, cn1_share: float = 0.0,
                 kinds: tuple[str, ...] = ()) -> tuple[np.ndarray, list[str]]:
    """``n`` samples of ``kind`` (None: the usual mix, or only ``kinds`` in their usual
    proportions, plus ``cn1_share`` extra cn1)."""
    rng = random.Random(seed)
    np.random.seed(seed % 2**32)
    images = np.empty((n, IMG_H, IMG_W), np.uint8)
    labels = []
    weights = [KINDS[k][1] for k in kinds]
    for i in range(n):
        k = kind
        if kind is None and rng.random() < cn1_share:
            k = "cn1"
        elif kind is None and kinds:
            k = rng.choices(kinds, weights)[0]
        images[i], label = sample(rng, k)
        labels.append(label)
    return images, labels


def save(path: Path, images: np.ndarray, labels: list[str]) -> None:
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, images=images, labels=np.array(labels))
    tmp.rename(path)


def build_test_set(out: Path, per_kind: int) -> None:
    """Rendered test set: ``per_kind`` samples of every plate kind, seed 2."""
    for j, kind in enumerate(KINDS):
        path = out / f"test_{kind}.npz"
        if not path.exists():
            save(path, *render_shard(2_000 + j, per_kind, kind))


def _letter_counts(ap: argparse.ArgumentParser, text: str) -> tuple[int, ...]:
    try:
        counts = tuple(int(c) for c in text.split(","))
    except ValueError:
        ap.error(f"--cn-tail-letters: {text!r} is not a comma-separated list of whole numbers")
    if not all(0 <= c <= 5 for c in counts):
        ap.error(f"--cn-tail-letters: {text!r}: a 5-character serial carries 0 to 5 letters")
    return counts


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=Path("/work/cache/anpr/ocr"))
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--count", type=int, default=40)
    ap.add_argument("--per-shard", type=int, default=10_000)
    ap.add_argument("--val", type=int, default=4_000)
    ap.add_argument("--test-per-kind", type=int, default=500)
    ap.add_argument("--cn1-share", type=float, default=0.0, help="extra share of cn1 plates")
    ap.add_argument("--kinds", default="", help="render only these plate kinds, comma-separated "
                    f"(in their usual proportions), e.g. cn1,cn2,cn_trailer,cn_nev; kinds: {', '.join(KINDS)}")
    ap.add_argument("--cn-tail-letters", default="", help="how many letters a Chinese serial carries, drawn "
                    f"from this comma-separated list (default {','.join(map(str, plate_text.CN_TAIL_LETTERS))})")
    args = ap.parse_args()
    if args.cn_tail_letters:
        plate_text.CN_TAIL_LETTERS = _letter_counts(ap, args.cn_tail_letters)
    kinds = tuple(k for k in args.kinds.split(",") if k)
    if unknown := set(kinds) - set(KINDS):
        ap.error(f"--kinds: unknown plate kind(s) {', '.join(sorted(unknown))}")
    args.out.mkdir(parents=True, exist_ok=True)
    if not (args.out / "val.npz").exists():
        save(args.out / "val.npz", *render_shard(1, args.val))
    build_test_set(args.out, args.test_per_kind)
    for i in range(args.first, args.first + args.count):
        path = args.out / f"shard_{i:04d}.npz"
        if path.exists():
            continue
        t = time.time()
        save(path, *render_shard(1000 + i, args.per_shard, cn1_share=args.cn1_share, kinds=kinds))
        print(f"{path.name} {args.per_shard} samples in {time.time() - t:.0f} s", flush=True)


if __name__ == "__main__":
    main()
