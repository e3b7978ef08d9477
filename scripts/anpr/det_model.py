"""The plate detector: a tiny CNN with a CenterNet-style head at stride 8.

Outputs per stride-8 cell: ``heat`` (plate-centre probability) and ``box`` = (dx, dy,
log w, log h): the centre's offset inside the cell and the box size in cells. Exported
with uint8 NHWC BGR input of any size that is a multiple of 32.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

STRIDE = 8


def _conv(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, dilation, dilation=dilation, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


#: Channels of the shipped detector: stem, stride-4, stride-8, stride-16 widths.
WIDTHS = (16, 24, 48, 64)
#: A slimmer detector (``prune``): about half the multiply-adds.
SLIM_WIDTHS = (16, 16, 32, 48)


class PlateDet(nn.Module):
    def __init__(self, widths: tuple[int, int, int, int] = WIDTHS) -> None:
        super().__init__()
        c0, c4, c8, c16 = widths
        self.widths = tuple(widths)
        self.s8 = nn.Sequential(_conv(3, c0, 2), _conv(c0, c4, 2), _conv(c4, c4), _conv(c4, c8, 2),
                                _conv(c8, c8))
        self.s16 = nn.Sequential(_conv(c8, c16, 2), _conv(c16, c16, dilation=2), _conv(c16, c16))
        self.lateral = nn.Conv2d(c16, c8, 1)
        self.merge = _conv(c8, c8)
        self.heat = nn.Conv2d(c8, 1, 1)
        self.box = nn.Conv2d(c8, 4, 1)
        nn.init.constant_(self.heat.bias, -4.0)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x: float (N, 3, H, W) 0..1 -> heat logits (N,1,H/8,W/8), box (N,4,H/8,W/8)."""
        f8 = self.s8(x)
        f16 = self.s16(f8)
        f = self.merge(f8 + F.interpolate(self.lateral(f16), size=f8.shape[2:], mode="nearest"))
        return self.heat(f), self.box(f)


class DetExportWrapper(nn.Module):
    def __init__(self, model: PlateDet) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        heat, box = self.model(x.permute(0, 3, 1, 2).float() / 255.0)
        return heat.sigmoid(), box
