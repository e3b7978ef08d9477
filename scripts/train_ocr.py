"""Train the plate OCR on pre-rendered shards (scripts/anpr/build_ocr_dataset.py).

    nohup nice -n 10 python scripts/train_ocr.py --total-steps 60000 > LOG 2>&1 &

Resumable: checkpoints to ``--ckpt`` every ``--save-every`` steps and continues from the
last one. Shards are re-scanned while training, so rendering can run alongside. Every
validation also exports ``ocr.onnx`` next to the checkpoint (copy it to ``models/``).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from scripts.anpr import checkpoint, onnx_import
from scripts.anpr.ocr_model import (
    ALPHABET,
    BLANK,
    IMG_H,
    IMG_W,
    PlateOCR,
    channels_of,
    encode,
    greedy_slots,
    widen_from,
)
from scripts.anpr.onnx_export import export_ocr
from scripts.anpr.training import Progress, set_mode, trainable


def load_npz(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with np.load(path) as z:
        return z["images"], np.array([encode(str(s)) for s in z["labels"]], np.int64)


class ShardPool:
    """All shards on disk (the newest ``max_shards``), loaded once each."""

    def __init__(self, root: Path, max_shards: int) -> None:
        self.root, self.max_shards = root, max_shards
        self.loaded: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.images = np.empty((0, IMG_H, IMG_W), np.uint8)
        self.labels = np.empty((0, 10), np.int64)

    def refresh(self) -> None:
        names = sorted(p.name for p in self.root.glob("shard_*.npz"))[-self.max_shards :]
        if set(names) == set(self.loaded):
            return
        self.loaded = {n: self.loaded.get(n) or load_npz(self.root / n) for n in names}
        self.images = np.concatenate([v[0] for v in self.loaded.values()])
        self.labels = np.concatenate([v[1] for v in self.loaded.values()])
        print(f"pool: {len(names)} shards, {len(self.images)} samples", flush=True)

    def batch(self, rng: np.random.Generator, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        idx = rng.integers(0, len(self.images), n)
        x = torch.from_numpy(self.images[idx]).unsqueeze(1).float() / 255.0
        return online_jitter(x, rng), torch.from_numpy(self.labels[idx])


#: Share of training samples blurred online, and the largest blur (sigma, model pixels).
#: Real Chinese crops are read 7 points worse (81 -> 74% right province) after a 0.7 px
#: blur: the plates the camera blurs most are where the province character is lost.
BLUR_SHARE, BLUR_MAX = 0.4, 1.6


def online_blur(x: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """Gaussian blur of a random sigma (0.4..BLUR_MAX) on BLUR_SHARE of the samples."""
    n = x.shape[0]
    chosen = rng.random(n) < BLUR_SHARE
    sigma = rng.uniform(0.4, BLUR_MAX, n)[chosen]  # drawn for all, so the stream is as before
    m = len(sigma)
    if m == 0:
        return x
    t = np.arange(-3, 4, dtype=np.float32)
    k = np.exp(-(t[None, :] ** 2) / (2 * sigma[:, None] ** 2))
    k = torch.from_numpy((k / k.sum(1, keepdims=True)).astype(np.float32))  # (m, 7)
    idx = torch.from_numpy(np.flatnonzero(chosen))
    y = x[idx].reshape(1, m, *x.shape[2:])
    y = F.conv2d(F.pad(y, (3, 3, 0, 0), mode="replicate"), k.view(m, 1, 1, 7), groups=m)
    y = F.conv2d(F.pad(y, (0, 0, 3, 3), mode="replicate"), k.view(m, 1, 7, 1), groups=m)
    out = x.clone()
    out[idx] = y.reshape(m, *x.shape[1:])
    return out


def online_jitter(x: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """Cheap per-sample blur, contrast, gamma, noise and shift, so reused shards look fresh."""
    x = online_blur(x, rng)
    n = x.shape[0]
    gain = torch.from_numpy(rng.uniform(0.7, 1.3, (n, 1, 1, 1)).astype(np.float32))
    bias = torch.from_numpy(rng.uniform(-0.15, 0.15, (n, 1, 1, 1)).astype(np.float32))
    gamma = torch.from_numpy(rng.uniform(0.7, 1.4, (n, 1, 1, 1)).astype(np.float32))
    x = ((x * gain + bias).clamp(0, 1) ** gamma)
    x = x + torch.randn_like(x) * float(rng.uniform(0, 0.04))
    if rng.random() < 0.5:
        x = torch.roll(x, shifts=(int(rng.integers(-2, 3)), int(rng.integers(-4, 5))), dims=(2, 3))
    return x.clamp(0, 1)


def lr_at(step: int, total: int, peak: float, warmup: int = 500) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    t = min(1.0, (step - warmup) / max(1, total - warmup))
    return 5e-5 + (peak - 5e-5) * 0.5 * (1 + math.cos(math.pi * t))


@torch.no_grad()
def evaluate(model: PlateOCR, images: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    model.eval()
    preds = []
    for i in range(0, len(images), 256):
        x = torch.from_numpy(images[i : i + 256]).unsqueeze(1).float() / 255.0
        preds.append(greedy_slots(model(x).softmax(-1)).argmax(-1).numpy())
    model.train()
    p = np.concatenate(preds)
    return float((p == labels).all(1).mean()), float((p == labels).mean())


def init_weights(ckpt: Path, calibration: np.ndarray) -> dict[str, torch.Tensor]:
    """A checkpoint's weights; an exported ``.onnx`` (the shipped model) is imported back
    (``onnx_import``, BN statistics measured on ``calibration``)."""
    if ckpt.suffix == ".onnx":
        return onnx_import.ocr_from_onnx(ckpt, calibration).state_dict()
    return torch.load(ckpt, weights_only=False)["model"]


def init_from(model: PlateOCR, ckpt: Path, calibration: np.ndarray) -> None:
    """Warm start from another run's weights, the same or a narrower backbone
    (``widen_from``: the wider model starts computing exactly what the old one did)."""
    weights = init_weights(ckpt, calibration)
    copied = widen_from(model, weights)
    print(f"initialised {copied}/{len(model.state_dict())} tensors from {ckpt} "
          f"(channels {channels_of(weights)} -> {model.channels})", flush=True)


def build_model(last: Path, channels: str | None, init: Path | None) -> PlateOCR:
    """The model to train: a resumed run keeps its checkpoint's channels; a new one takes
    ``channels``, else those of the ``init`` checkpoint, else the shipped model's."""
    if last.exists():
        return PlateOCR(channels_of(torch.load(last, weights_only=False)["model"]))
    if channels:
        return PlateOCR(tuple(int(c) for c in channels.split(",")))
    if init and init.suffix == ".onnx":
        return PlateOCR(onnx_import.onnx_channels(init))
    if init:
        return PlateOCR(channels_of(torch.load(init, weights_only=False)["model"]))
    return PlateOCR()


def ctc_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    logp = logits.log_softmax(-1).transpose(0, 1)  # T, N, C
    lengths = (y != BLANK).sum(1)
    targets = y[y != BLANK]
    t = torch.full((y.shape[0],), logp.shape[0], dtype=torch.long)
    return F.ctc_loss(logp, targets, t, lengths, blank=BLANK, zero_infinity=True)


#: First alphabet index of the Chinese characters (digits and Latin letters come first).
FIRST_HANZI = next(i for i, c in enumerate(ALPHABET) if not c.isascii())


class Teacher:
    """Learning without forgetting: a frozen earlier model whose per-frame outputs on the
    Vietnamese samples the student is held to (KL divergence), so a fine-tune aimed at the
    Chinese province characters does not drift on the Vietnamese plates it already reads."""

    def __init__(self, ckpt: Path, weight: float) -> None:
        weights = torch.load(ckpt, weights_only=False)["model"]
        self.model = PlateOCR(channels_of(weights))
        self.model.load_state_dict(weights)
        self.model.eval()
        self.weight = weight

    def loss(self, logits: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        vn = y[:, 0] < FIRST_HANZI  # Vietnamese labels start with a digit
        if not bool(vn.any()):
            return logits.new_zeros(())
        with torch.no_grad():
            target = self.model(x[vn]).log_softmax(-1)
        student = logits[vn].log_softmax(-1)
        kl = F.kl_div(student, target, log_target=True, reduction="none").sum(-1)
        return self.weight * kl.mean()


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=Path("/work/cache/anpr/ocr"))
    ap.add_argument("--ckpt", type=Path, default=Path("/work/cache/anpr/ocr_ckpt"))
    ap.add_argument("--total-steps", type=int, default=60_000)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-shards", type=int, default=120)
    ap.add_argument("--save-every", type=int, default=500)
    ap.add_argument("--val-every", type=int, default=2000)
    ap.add_argument("--init", type=Path, help="warm start from this checkpoint (same or narrower), "
                    "or from an exported model such as models/plate_ocr.onnx")
    ap.add_argument("--teacher", type=Path, help="checkpoint (.pt) the student is held to on "
                    "Vietnamese samples (learning without forgetting)")
    ap.add_argument("--teacher-weight", type=float, default=1.0)
    ap.add_argument("--channels", help="backbone channels of a new run, e.g. 24,48,64,64,96")
    ap.add_argument("--freeze-bn", action="store_true",
                    help="keep every BatchNorm's statistics and affine fixed (fine-tuning)")
    return ap.parse_args()


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    args.ckpt.mkdir(parents=True, exist_ok=True)
    last = args.ckpt / "last.pt"
    model = build_model(last, args.channels, args.init)
    set_mode(model, args.freeze_bn)
    opt = torch.optim.AdamW(trainable(model), lr=args.lr, weight_decay=1e-4)
    resumed = checkpoint.resume(last, model, opt)
    val_x, val_y = load_npz(args.data / "val.npz")
    if resumed is None and args.init:
        init_from(model, args.init, val_x[:512])
    step, elapsed = resumed or (0, 0.0)
    teacher = Teacher(args.teacher, args.teacher_weight) if args.teacher else None
    pool = ShardPool(args.data, args.max_shards)
    rng = np.random.default_rng(step)
    progress = Progress(100, args.batch, "samples", elapsed)
    while step < args.total_steps:
        if step % 1000 == 0 or len(pool.images) == 0:
            pool.refresh()
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.total_steps, args.lr)
        x, y = pool.batch(rng, args.batch)
        logits = model(x)
        loss = ctc_loss(logits, y)
        if teacher:
            loss = loss + teacher.loss(logits, x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        progress.update(step, loss.item(), f"lr {opt.param_groups[0]['lr']:.2e} ")
        if step % args.save_every == 0 or step == args.total_steps:
            checkpoint.save(last, model, opt, step, progress.elapsed)
        if step % args.val_every == 0 or step == args.total_steps:
            acc, char = evaluate(model, val_x, val_y)
            set_mode(model, args.freeze_bn)
            print(f"VAL step {step} plate {acc:.4f} char {char:.4f}", flush=True)
            export_ocr(model, args.ckpt / "ocr.onnx")


if __name__ == "__main__":
    main()
