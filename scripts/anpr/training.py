"""What the trainers (detector, OCR, province) share besides checkpoints: the progress line
and the train mode (optionally with every BatchNorm frozen, for fine-tuning)."""

from __future__ import annotations

import time

import torch


class Progress:
    """A running loss and the time trained (carried over a resume), printed every ``every`` steps."""

    def __init__(self, every: int, batch: int, unit: str, elapsed: float = 0.0) -> None:
        self.every, self.batch, self.unit, self.elapsed = every, batch, unit, elapsed
        self.t0, self.loss = time.time(), 0.0

    def update(self, step: int, loss: float, note: str = "") -> None:
        """Fold in this step's ``loss``; every ``every`` steps print the line (``note`` in it)."""
        self.loss = 0.98 * self.loss + 0.02 * loss
        if step % self.every:
            return
        now = time.time()
        self.elapsed += now - self.t0
        rate = self.every * self.batch / max(1e-9, now - self.t0)
        print(f"step {step} loss {self.loss:.4f} {note}{rate:.1f} {self.unit}/s "
              f"elapsed {self.elapsed / 60:.1f} min", flush=True)
        self.t0 = now


def set_mode(model: torch.nn.Module, freeze_bn: bool) -> None:
    """Train mode; with ``freeze_bn`` every BatchNorm stays in eval mode with its statistics and
    affine fixed (fine-tuning without moving the features' normalisation)."""
    model.train()
    if freeze_bn:
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.eval()
                m.requires_grad_(False)


def trainable(model: torch.nn.Module) -> list[torch.nn.Parameter]:
    """The parameters an optimiser should move (not those ``set_mode`` froze)."""
    return [p for p in model.parameters() if p.requires_grad]
