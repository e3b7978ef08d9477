"""Train the plate detector on scenes rendered on the fly (scripts/anpr/scene_render.py).

    nohup nice -n 10 python scripts/train_detector.py --total-steps 6000 > LOG 2>&1 &

A DataLoader worker renders scenes (seeded per step, so a resumed run sees new scenes);
the main process trains on one thread. Resumable from ``--ckpt``/last.pt; every
validation exports ``det.onnx`` next to it.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from scripts.anpr import checkpoint, det_prune, onnx_import
from scripts.anpr.training import Progress, set_mode, trainable
from scripts.anpr.det_model import SLIM_WIDTHS, STRIDE, WIDTHS, DetExportWrapper, PlateDet
from scripts.anpr.onnx_export import export_detector
from scripts.anpr.scene_render import H, W, scene

FH, FW = H // STRIDE, W // STRIDE


def targets(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gaussian centre heatmap, box regression targets and their mask at stride 8."""
    heat = np.zeros((FH, FW), np.float32)
    reg = np.zeros((4, FH, FW), np.float32)
    mask = np.zeros((FH, FW), np.float32)
    ys, xs = np.mgrid[0:FH, 0:FW].astype(np.float32)
    for x1, y1, x2, y2 in boxes:
        cx, cy = (x1 + x2) / 2 / STRIDE, (y1 + y2) / 2 / STRIDE
        w, h = max(1.0, x2 - x1) / STRIDE, max(1.0, y2 - y1) / STRIDE
        sx, sy = max(0.5, w / 6), max(0.5, h / 6)
        g = np.exp(-((xs - cx + 0.5) ** 2 / (2 * sx**2) + (ys - cy + 0.5) ** 2 / (2 * sy**2)))
        np.maximum(heat, g, out=heat)
        ix, iy = min(FW - 1, int(cx)), min(FH - 1, int(cy))
        heat[iy, ix] = 1.0
        reg[:, iy, ix] = (cx - ix, cy - iy, np.log(w), np.log(h))
        mask[iy, ix] = 1.0
    return heat, reg, mask


class Scenes(torch.utils.data.IterableDataset):
    def __init__(self, seed: int, qr_share: float = 0.0, photo: bool = False) -> None:
        self.seed, self.qr_share, self.photo = seed, qr_share, photo

    def __iter__(self):
        rng = random.Random(self.seed)
        while True:
            img, boxes, _ = scene(rng, self.qr_share, self.photo)
            heat, reg, mask = targets(boxes)
            yield torch.from_numpy(img), torch.from_numpy(heat), torch.from_numpy(reg), torch.from_numpy(mask)


def calibration_scenes(n: int = 16, seed: int = 7_000) -> np.ndarray:
    """uint8 (n, H, W, 3) rendered scenes, no QR passes, a fixed seed (not a training seed):
    the BatchNorm statistics of a detector imported from ONNX (``--init-onnx``)."""
    rng = random.Random(seed)
    return np.stack([scene(rng, 0.0)[0] for _ in range(n)])


def build_model(last: Path, init_onnx: Path | None, slim: bool = False) -> tuple[PlateDet, PlateDet | None]:
    """A new detector, or the shipped one imported back (``onnx_import``) when ``init_onnx``
    is given and there is no checkpoint to resume (a resume loads ``last`` over it). ``slim``:
    the imported detector becomes the teacher of a slim one cut out of it (``det_prune``),
    which is returned first."""
    if init_onnx is None or (last.exists() and not slim):
        return PlateDet(SLIM_WIDTHS if slim else WIDTHS), None
    calibration = calibration_scenes()
    print(f"initialised from {init_onnx} (BN statistics of {len(calibration)} scenes)", flush=True)
    imported = onnx_import.det_from_onnx(init_onnx, calibration)
    if slim:
        return det_prune.prune(imported, SLIM_WIDTHS).train(), imported.eval().requires_grad_(False)
    return imported.train(), None


def focal_loss(logits: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    p = logits.sigmoid().clamp(1e-4, 1 - 1e-4)
    pos = gt.eq(1).float()
    pos_loss = -torch.log(p) * (1 - p) ** 2 * pos
    neg_loss = -torch.log(1 - p) * p**2 * (1 - gt) ** 4 * (1 - pos)
    return (pos_loss.sum() + neg_loss.sum()) / pos.sum().clamp(min=1)


def step_loss(model: PlateDet, batch: tuple[torch.Tensor, ...], teacher: PlateDet | None = None) -> torch.Tensor:
    """Focal loss on the heatmap and L1 on the boxes; with a ``teacher``, plus how far the
    model's heatmap and boxes are from the teacher's on the same scenes (distillation)."""
    img, heat, reg, mask = batch
    x = img.permute(0, 3, 1, 2).float() / 255.0
    h_logit, box = model(x)
    m = mask.unsqueeze(1)
    reg_loss = (F.l1_loss(_decoded(box), reg, reduction="none") * m).sum() / m.sum().clamp(min=1)
    loss = focal_loss(h_logit[:, 0], heat) + reg_loss
    if teacher is not None:
        with torch.no_grad():
            t_logit, t_box = teacher(x)
        t_heat = t_logit.sigmoid()
        n = mask.sum().clamp(min=1)
        loss = loss + F.binary_cross_entropy_with_logits(h_logit, t_heat, reduction="sum") / n
        sure = (t_heat > 0.3).float()
        loss = loss + (F.l1_loss(_decoded(box), _decoded(t_box), reduction="none") * sure).sum() / sure.sum().clamp(min=1)
    return loss


def _decoded(box: torch.Tensor) -> torch.Tensor:
    """Box outputs as the decoder reads them: centre offsets through a sigmoid, log sizes as they are."""
    return torch.cat([box[:, :2].sigmoid(), box[:, 2:]], 1)


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", type=Path, default=Path("/work/cache/anpr/det_ckpt"))
    ap.add_argument("--total-steps", type=int, default=6000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--save-every", type=int, default=200)
    ap.add_argument("--export-every", type=int, default=500)
    ap.add_argument("--qr-share", type=float, default=0.0,
                    help="share of vehicles showing a QR pass in the windscreen (a negative)")
    ap.add_argument("--photo-scenes", action="store_true",
                    help="scenes in the photograph-like style (scene_render.scene photo=True)")
    ap.add_argument("--init-onnx", type=Path, default=None,
                    help="warm start from an exported detector (models/plate_det.onnx) "
                         "when --ckpt holds no checkpoint yet")
    ap.add_argument("--slim", action="store_true",
                    help="train a slim detector (det_model.SLIM_WIDTHS) cut out of --init-onnx, "
                         "distilled from it")
    ap.add_argument("--ema", type=float, default=0.0,
                    help="export an exponential moving average of the weights and BatchNorm "
                         "statistics, this decay per step (e.g. 0.999; 0 = off): a single step's "
                         "weights carry step-to-step noise (+-2-4 real scenes between exports)")
    ap.add_argument("--freeze-bn", action="store_true",
                    help="keep every BatchNorm's statistics and affine fixed (fine-tuning)")
    return ap.parse_args()


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    args.ckpt.mkdir(parents=True, exist_ok=True)
    last = args.ckpt / "last.pt"
    model, teacher = build_model(last, args.init_onnx, args.slim)
    set_mode(model, args.freeze_bn)
    opt = torch.optim.AdamW(trainable(model), lr=args.lr, weight_decay=1e-4)
    average = moving_average(model, args.ema)
    step, elapsed = checkpoint.resume(last, model, opt, average) or (0, 0.0)
    loader = torch.utils.data.DataLoader(Scenes(10_000 + step, args.qr_share, args.photo_scenes),
                                         batch_size=args.batch, num_workers=1)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, args.lr, total_steps=args.total_steps + 1,
                                                pct_start=0.05, last_epoch=step - 1 if step else -1)
    progress = Progress(50, args.batch, "scenes", elapsed)
    for batch in loader:
        if step >= args.total_steps:
            break
        loss = step_loss(model, batch, teacher)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if average is not None:
            average.update_parameters(model)
        step += 1
        progress.update(step, loss.item())
        if step % args.save_every == 0 or step == args.total_steps:
            checkpoint.save(last, model, opt, step, progress.elapsed, average)
        if step % args.export_every == 0 or step == args.total_steps:
            export(average.module if average is not None else model, args.ckpt, step)
            set_mode(model, args.freeze_bn)


def moving_average(model: PlateDet, decay: float) -> AveragedModel | None:
    """The exported weights when ``decay`` > 0: an exponential average over the steps, of the
    BatchNorm statistics too (``use_buffers``). The decay warms up as (1 + n) / (10 + n) after
    n updates, so the first steps' weights (a freshly cut slim detector's, far from the final
    ones) are forgotten: at a fixed 0.998 they kept ~14% of the average after 1,000 steps."""
    if decay <= 0:
        return None

    def blend(averaged: torch.Tensor, current: torch.Tensor, n: torch.Tensor) -> torch.Tensor:
        d = min(decay, (1 + int(n)) / (10 + int(n)))
        return averaged * d + current * (1 - d)

    return AveragedModel(model, avg_fn=blend, use_buffers=True)


def export(model: PlateDet, ckpt: Path, step: int) -> None:
    """``det.onnx`` (the latest) and ``det_STEP.onnx`` (kept, to compare the steps afterwards)."""
    export_detector(DetExportWrapper(model), ckpt / "det.onnx")
    shutil.copyfile(ckpt / "det.onnx", ckpt / f"det_{step}.onnx")


if __name__ == "__main__":
    main()
