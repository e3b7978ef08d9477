"""A slimmer detector cut out of a trained one: the channels whose BatchNorm scale is
largest are kept, every other weight dropped, so the slim network starts close to the
trained one's function and a short distillation (``train_detector.py --slim``) recovers it.

Layout (``det_model.PlateDet``): a chain of conv+BN blocks, then the stride-8 features and
the lateral projection of the stride-16 ones are added, so the last stride-8 block, the
lateral conv and the merge block's input share one channel selection.
"""

from __future__ import annotations

import torch
from torch import nn

from .det_model import PlateDet


def _strongest(block: nn.Sequential, n: int) -> torch.Tensor:
    """Indices of the ``n`` output channels of a conv+BN block with the largest |BN scale|."""
    return torch.sort(block[1].weight.detach().abs().argsort(descending=True)[:n]).values


@torch.no_grad()
def _copy_block(src: nn.Sequential, dst: nn.Sequential, keep_in: torch.Tensor, keep_out: torch.Tensor) -> None:
    dst[0].weight.copy_(src[0].weight[keep_out][:, keep_in])
    for name in ("weight", "bias", "running_mean", "running_var"):
        getattr(dst[1], name).copy_(getattr(src[1], name)[keep_out])


@torch.no_grad()
def _copy_conv(src: nn.Conv2d, dst: nn.Conv2d, keep_in: torch.Tensor, keep_out: torch.Tensor) -> None:
    dst.weight.copy_(src.weight[keep_out][:, keep_in])
    dst.bias.copy_(src.bias[keep_out])


def prune(model: PlateDet, widths: tuple[int, int, int, int]) -> PlateDet:
    """A ``PlateDet`` of ``widths`` holding the strongest channels of ``model``."""
    slim = PlateDet(widths)
    every = torch.arange(3)
    chain = [*model.s8, *model.s16]
    keeps = [_strongest(b, s[0].out_channels) for b, s in zip(chain, [*slim.s8, *slim.s16])]
    for i, (src, dst) in enumerate(zip(chain, [*slim.s8, *slim.s16])):
        _copy_block(src, dst, every if i == 0 else keeps[i - 1], keeps[i])
    f8, f16 = keeps[len(model.s8) - 1], keeps[-1]
    _copy_conv(model.lateral, slim.lateral, f16, f8)
    merged = _strongest(model.merge, slim.merge[0].out_channels)
    _copy_block(model.merge, slim.merge, f8, merged)
    _copy_conv(model.heat, slim.heat, merged, torch.arange(1))
    _copy_conv(model.box, slim.box, merged, torch.arange(4))
    return slim
