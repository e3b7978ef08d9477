"""The province classifier: which of the 31 Chinese provinces a Chinese plate crop starts with.

The CTC specialist reads the province character worst of all (on the real Chinese crops
about two thirds of its misreads are the province alone). This network has the specialist's
backbone (warm-started from it) on the left half of the OCR input only (64x64: the province
of a one-row plate sits at the left, that of a two-row plate at the top left of centre) and
a per-province map pooled over the crop, trained on the province alone.

Exported input: ``input`` uint8 NHWC grey 64x128 (the OCR's own input, so the same
preprocessing serves both); output ``province`` probabilities (N, 31), CN_PROVINCES order.
"""

from __future__ import annotations

import torch
from torch import nn

from gated.core.plates import CN_PROVINCES

from .ocr_model import PlateOCR

#: The classifier sees the left LEFT_W columns of the 64x128 OCR input.
LEFT_W = 64


class ProvinceNet(nn.Module):
    def __init__(self, channels: tuple[int, ...]) -> None:
        super().__init__()
        self.channels = tuple(channels)
        self.backbone = PlateOCR(channels).backbone
        self.classify = nn.Sequential(nn.Conv2d(channels[4], 128, 3, 1, 1), nn.ReLU(inplace=True),
                                      nn.Conv2d(128, len(CN_PROVINCES), 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: float (N, 1, 64, 128) 0..1 -> logits (N, 31)."""
        f = self.classify(self.backbone(x[..., :LEFT_W]))
        return torch.logsumexp(f.flatten(2), -1)


class ProvinceExport(nn.Module):
    """uint8 NHWC in, probabilities out."""

    def __init__(self, model: ProvinceNet) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x.permute(0, 3, 1, 2).float() / 255.0).softmax(-1)
