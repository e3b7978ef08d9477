"""The plate OCR network: a small CNN and one spatial attention map per character slot.

Each slot learns where its character sits (one-line or two-line layouts alike), pools the
feature map there and classifies. Fixed slots and argmax decoding, as fast-plate-ocr's
``LicensePlateRecognizer`` expects: input ``input`` uint8 NHWC grey, output ``plate``
probabilities (N, slots, alphabet).
"""

from __future__ import annotations

import torch
from torch import nn

from gated.core.plates import CN_PROVINCES

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" + CN_PROVINCES + "挂" + "_"
PAD = "_"
SLOTS = 10
IMG_H, IMG_W = 64, 128


def encode(label: str) -> list[int]:
    if len(label) > SLOTS:
        raise ValueError(f"label too long: {label}")
    return [ALPHABET.index(c) for c in label.ljust(SLOTS, PAD)]


def decode(indices: list[int]) -> str:
    return "".join(ALPHABET[i] for i in indices).rstrip(PAD)


def _conv(cin: int, cout: int, stride: int | tuple[int, int] = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class PlateOCR(nn.Module):
    def __init__(self, width: int = 1) -> None:
        super().__init__()
        c = [16 * width, 32 * width, 48 * width, 64 * width, 96 * width]
        self.backbone = nn.Sequential(
            _conv(1, c[0], 2),  # 32x64
            _conv(c[0], c[1], 2),  # 16x32
            _conv(c[1], c[2]),
            _conv(c[2], c[3], (2, 1)),  # 8x32: a column per ~4 px, enough for 10-glyph lines
            _conv(c[3], c[4]),
            _conv(c[4], c[4]),
        )
        fh, fw = IMG_H // 8, IMG_W // 4
        self.pos = nn.Parameter(torch.zeros(1, c[4], fh, fw))
        self.attn = nn.Conv2d(c[4], SLOTS, 1)
        self.slot_emb = nn.Parameter(torch.zeros(1, SLOTS, c[4]))
        self.head = nn.Sequential(nn.Linear(c[4], 128), nn.ReLU(inplace=True), nn.Dropout(0.1),
                                  nn.Linear(128, len(ALPHABET)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: float (N, 1, H, W) in 0..1 -> logits (N, SLOTS, len(ALPHABET))."""
        f = self.backbone(x) + self.pos
        a = self.attn(f).flatten(2).softmax(-1)  # N, S, HW
        pooled = torch.bmm(a, f.flatten(2).transpose(1, 2))  # N, S, C
        return self.head(pooled + self.slot_emb)


class ExportWrapper(nn.Module):
    """uint8 NHWC in, probabilities out: the fast-plate-ocr contract."""

    def __init__(self, model: PlateOCR) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 3, 1, 2).float() / 255.0
        return self.model(x).softmax(-1)
