"""Train the province classifier (scripts/anpr/province_model.py) on pre-rendered OCR shards.

    nohup nice -n 10 python scripts/train_province.py --data /work/cache/anpr/ocr16c \\
        --ckpt /work/cache/anpr/prov_ckpt --init /work/cache/anpr/ocr_ctc_ckpt16b/last.pt > LOG 2>&1 &

The shards are the OCR's (build_ocr_dataset; ``--kinds cn1,cn2,cn_trailer,cn_nev`` renders
Chinese-only ones); a sample whose label is no Chinese plate is left out of the loss. The
backbone starts from an OCR checkpoint (the specialist's): two from-scratch tries (an
earlier design, full-width first layer, max- or mean-pooled) stayed at chance for 800 and 400
steps; warm-started, this one was at 62% after 200. Resumable like train_ocr.py; every
validation exports ``province.onnx`` next to the checkpoint (quantize it into
``models/plate_province.onnx``: models/plate_province.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gated.core.plates import CN_PROVINCES
from scripts.anpr import checkpoint
from scripts.anpr.ocr_model import ALPHABET, channels_of
from scripts.anpr.onnx_export import export_province
from scripts.anpr.onnx_import import province_from_onnx
from scripts.anpr.province_model import ProvinceNet
from scripts.anpr.training import Progress
from scripts.train_ocr import ShardPool, load_npz, lr_at

#: Alphabet index -> province index (-100, ignored by the loss, for every other character).
TO_PROVINCE = torch.tensor([CN_PROVINCES.index(c) if c in CN_PROVINCES else -100 for c in ALPHABET])


def province_targets(labels: torch.Tensor) -> torch.Tensor:
    """Encoded OCR labels (N, SLOTS) -> the province index of each, -100 for non-Chinese plates."""
    return TO_PROVINCE[labels[:, 0]]


def warm_start(model: ProvinceNet, ckpt: Path) -> None:
    """The backbone of an OCR checkpoint of the same channels."""
    state = torch.load(ckpt, weights_only=False)["model"]
    model.backbone.load_state_dict({k[len("backbone."):]: v for k, v in state.items() if k.startswith("backbone.")})
    print(f"backbone from {ckpt} (channels {channels_of(state)})", flush=True)


@torch.no_grad()
def evaluate(model: ProvinceNet, images: np.ndarray, targets: torch.Tensor) -> float:
    keep = (targets >= 0).numpy()
    model.eval()
    x = torch.from_numpy(images[keep]).unsqueeze(1).float() / 255.0
    pred = torch.cat([model(x[i : i + 256]).argmax(-1) for i in range(0, len(x), 256)])
    model.train()
    return float((pred == targets[keep]).float().mean())


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--ckpt", type=Path, required=True)
    start = ap.add_mutually_exclusive_group(required=True)
    start.add_argument("--init", type=Path, help="OCR checkpoint whose backbone to start from")
    start.add_argument("--init-onnx", type=Path, help="an exported province classifier (float or quantized, "
                       "e.g. models/plate_province.onnx) to fine-tune, whole")
    ap.add_argument("--total-steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-shards", type=int, default=40)
    ap.add_argument("--val-every", type=int, default=500)
    return ap.parse_args()


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    args.ckpt.mkdir(parents=True, exist_ok=True)
    last = args.ckpt / "last.pt"
    val_x, val_y = load_npz(args.data / "val.npz")
    if args.init_onnx:
        model = province_from_onnx(args.init_onnx, val_x[:512])
        print(f"whole model from {args.init_onnx} (BN statistics from 512 validation crops)", flush=True)
    else:
        model = ProvinceNet(channels_of(torch.load(args.init, weights_only=False)["model"]))
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    resumed = checkpoint.resume(last, model, opt)
    if resumed is None and args.init:
        warm_start(model, args.init)
    model.train()
    step, elapsed = resumed or (0, 0.0)
    val_t = province_targets(torch.from_numpy(val_y))
    pool = ShardPool(args.data, args.max_shards)
    rng = np.random.default_rng(step)
    progress = Progress(100, args.batch, "samples", elapsed)
    while step < args.total_steps:
        if step % 1000 == 0 or len(pool.images) == 0:
            pool.refresh()
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.total_steps, args.lr, warmup=100)
        x, y = pool.batch(rng, args.batch)
        loss = F.cross_entropy(model(x), province_targets(y), ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        progress.update(step, loss.item())
        if step % args.val_every == 0 or step == args.total_steps:
            checkpoint.save(last, model, opt, step, progress.elapsed)
            print(f"VAL step {step} province {evaluate(model, val_x, val_t):.4f}", flush=True)
            export_province(model, args.ckpt / "province.onnx")


if __name__ == "__main__":
    main()
