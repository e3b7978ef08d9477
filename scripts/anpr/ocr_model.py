"""The plate OCR network: a small CNN read as two rows of 32 columns with CTC.

The feature map is pooled to two rows (top, bottom) of 32 columns; the sequence is the top
row then the bottom row, so a two-line plate is read top line first and a one-line plate
in whichever row the network prefers. Trained with CTC (blank = the pad character).

The exported graph does the greedy CTC decoding itself and packs the characters into
fixed slots, which is what fast-plate-ocr's ``LicensePlateRecognizer`` expects: input
``input`` uint8 NHWC grey, output ``plate`` probabilities (N, SLOTS, len(ALPHABET)),
unused slots = the pad character with probability 1.

(The first version used one spatial-attention slot per character; it repeated and
dropped characters on long one-line plates. Its backbone warm-starts this one.)
"""

from __future__ import annotations

import torch
from torch import nn

from gated.core.plates import CN_PROVINCES

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" + CN_PROVINCES + "挂" + "_"
PAD = "_"
BLANK = ALPHABET.index(PAD)
SLOTS = 10
IMG_H, IMG_W = 64, 128
ROWS, COLS = 2, IMG_W // 4


def encode(label: str) -> list[int]:
    if len(label) > SLOTS:
        raise ValueError(f"label too long: {label}")
    return [ALPHABET.index(c) for c in label.ljust(SLOTS, PAD)]


def decode(indices: list[int]) -> str:
    return "".join(ALPHABET[i] for i in indices).rstrip(PAD)


def _conv(cin: int, cout: int, stride: int | tuple[int, int] = 1, k: int | tuple[int, int] = 3,
          pad: int | tuple[int, int] = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, pad, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


#: Backbone channels of the shipped model (run 1 onwards).
CHANNELS = (16, 32, 48, 64, 96)


class PlateOCR(nn.Module):
    def __init__(self, channels: tuple[int, ...] = CHANNELS) -> None:
        super().__init__()
        c = self.channels = tuple(channels)
        self.backbone = nn.Sequential(
            _conv(1, c[0], 2),  # 32x64
            _conv(c[0], c[1], 2),  # 16x32
            _conv(c[1], c[2]),
            _conv(c[2], c[3], (2, 1)),  # 8x32: a column per 4 px
            _conv(c[3], c[4]),
            _conv(c[4], c[4]),
        )
        self.rows = _conv(c[4], 128, (4, 1), (4, 1), 0)  # 2x32
        self.context = nn.Sequential(_conv(128, 128, 1, (1, 3), (0, 1)), _conv(128, 128, 1, (1, 5), (0, 2)))
        self.classify = nn.Conv2d(128, len(ALPHABET), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: float (N, 1, H, W) 0..1 -> logits (N, ROWS * COLS, len(ALPHABET)), top row first."""
        f = self.classify(self.context(self.rows(self.backbone(x))))
        return f.flatten(2).transpose(1, 2)


def channels_of(state: dict[str, torch.Tensor]) -> tuple[int, ...]:
    """The backbone channels a saved state dict was trained with."""
    return tuple(int(state[f"backbone.{i}.0.weight"].shape[0]) for i in (0, 1, 2, 3, 4))


def widen_from(model: PlateOCR, state: dict[str, torch.Tensor]) -> int:
    """Warm-start a model at least as wide as ``state``'s, computing the same function:
    every old tensor goes into the leading slice of the new one; the weights from new
    input channels into old output channels are zeroed, new output channels keep their
    fresh initialisation (their outgoing weights are zero, so they start silent and learn).
    Returns how many tensors were copied; a narrower model than ``state``'s is an error."""
    if any(a < b for a, b in zip(model.channels, channels_of(state))):
        raise ValueError(f"cannot narrow {channels_of(state)} to {model.channels}")
    own = model.state_dict()
    copied = 0
    with torch.no_grad():
        for name, old in state.items():
            new = own.get(name)
            if new is None or new.dim() != old.dim() or any(a < b for a, b in zip(new.shape, old.shape)):
                continue
            if new.dim() == 0:
                new.copy_(old)
            elif new.dim() == 1:
                new[: old.shape[0]] = old
            else:
                new[: old.shape[0], old.shape[1] :] = 0.0
                new[: old.shape[0], : old.shape[1], ...] = old
            copied += 1
    return copied


def greedy_slots(probs: torch.Tensor) -> torch.Tensor:
    """CTC greedy decoding packed into slots: (N, T, C) probabilities -> (N, SLOTS, C)."""
    idx = probs.argmax(-1)
    prev = torch.cat([torch.full_like(idx[:, :1], -1), idx[:, :-1]], 1)
    keep = ((idx != BLANK) & (idx != prev)).float()
    pos = torch.cumsum(keep, 1) - 1
    slots = torch.arange(SLOTS, dtype=pos.dtype).view(1, 1, SLOTS)
    assign = keep.unsqueeze(-1) * (pos.unsqueeze(-1) == slots).float()  # N, T, S
    out = torch.matmul(assign.transpose(1, 2), probs)  # N, S, C
    empty = 1.0 - assign.sum(1)  # N, S
    pad = torch.zeros(probs.shape[-1], dtype=probs.dtype)
    pad[BLANK] = 1.0
    return out + empty.unsqueeze(-1) * pad


class ExportWrapper(nn.Module):
    """uint8 NHWC in; out: slot probabilities (the fast-plate-ocr contract) and the
    per-column log-probabilities (N, ROWS * COLS, len(ALPHABET)) that gated's
    format-constrained decoding reads when the greedy read is not a valid plate."""

    def __init__(self, model: PlateOCR) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = x.permute(0, 3, 1, 2).float() / 255.0
        log_probs = self.model(x).log_softmax(-1)
        return greedy_slots(log_probs.exp()), log_probs
