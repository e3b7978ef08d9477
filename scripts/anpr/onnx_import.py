"""The shipped OCR model back into torch, so a training run can warm-start from it.

Training checkpoints live outside the repository (``/work/cache``) and do not survive a
new machine; ``models/plate_ocr.onnx`` does. Its exporter folded every BatchNorm into the
convolution before it (weight and bias), so the torch model is rebuilt with each BN set
to reproduce the folded convolution exactly in eval mode, and with batch statistics
measured on calibration images, so that in train mode (BN on batch statistics) the
network also starts from the shipped function instead of a rescaled one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .ocr_model import PlateOCR


def _folded_convs(path: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """(weight, bias) of every Conv node of the ONNX graph, in graph order."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    return [(inits[n.input[1]], inits[n.input[2]]) for n in graph.node if n.op_type == "Conv"]


def _channels(convs: list[tuple[np.ndarray, np.ndarray]]) -> tuple[int, ...]:
    return tuple(int(w.shape[0]) for w, _ in convs[:5])


def onnx_channels(path: Path) -> tuple[int, ...]:
    """The backbone channels of an exported OCR model."""
    return _channels(_folded_convs(path))


def _conv_bn_blocks(model: PlateOCR) -> list[torch.nn.Sequential]:
    return [*model.backbone, model.rows, *model.context]


@torch.no_grad()
def ocr_from_onnx(path: Path, calibration: np.ndarray) -> PlateOCR:
    """A ``PlateOCR`` computing what ``path`` computes; ``calibration``: uint8 (N, H, W)
    model inputs whose statistics become the BatchNorm running statistics."""
    convs = _folded_convs(path)
    model = PlateOCR(_channels(convs))
    blocks = _conv_bn_blocks(model)
    if len(convs) != len(blocks) + 1:
        raise ValueError(f"{path}: {len(convs)} convolutions, expected {len(blocks) + 1}")
    for (w, b), block in zip(convs, blocks):
        conv, bn = block[0], block[1]
        conv.weight.copy_(torch.from_numpy(np.array(w)))
        bn.weight.fill_(1.0)
        bn.bias.copy_(torch.from_numpy(np.array(b)))
        bn.running_mean.zero_()
        bn.running_var.fill_(1.0 - bn.eps)
    model.classify.weight.copy_(torch.from_numpy(np.array(convs[-1][0])))
    model.classify.bias.copy_(torch.from_numpy(np.array(convs[-1][1])))
    _calibrate(model, blocks, calibration)
    return model.eval()


def _calibrate(model: PlateOCR, blocks: list[torch.nn.Sequential], images: np.ndarray) -> None:
    """Set each BN to the batch statistics of its convolution's output without changing the
    eval-mode function: gamma = std, beta = folded bias + mean (exact for any mean/std)."""
    stats: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def hook(i: int):
        def record(_m, _inp, out: torch.Tensor) -> None:
            stats[i] = (out.mean((0, 2, 3)), out.var((0, 2, 3), unbiased=False))
        return record

    handles = [block[0].register_forward_hook(hook(i)) for i, block in enumerate(blocks)]
    model.eval()
    model(torch.from_numpy(images).unsqueeze(1).float() / 255.0)
    for h in handles:
        h.remove()
    for i, block in enumerate(blocks):
        bn = block[1]
        mean, var = stats[i]
        bn.bias.add_(mean)
        bn.weight.copy_(torch.sqrt(var + bn.eps))
        bn.running_mean.copy_(mean)
        bn.running_var.copy_(var)
