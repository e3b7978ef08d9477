"""The shipped OCR model and detector back into torch, so a training run can warm-start
from them.

Training checkpoints live outside the repository (``/work/cache``) and do not survive a
new machine; ``models/plate_ocr.onnx``, ``models/plate_det.onnx`` and the quantized
``models/plate_province.onnx`` do (quantized weights are read back dequantized). Their exporter
folded every BatchNorm into the convolution before it (weight and bias), so the torch
model is rebuilt with each BN set to reproduce the folded convolution exactly in eval
mode, and with batch statistics measured on calibration images, so that in train mode
(BN on batch statistics) the network also starts from the shipped function instead of a
rescaled one.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import numpy as np
import torch
from torch import nn

from .det_model import PlateDet
from .ocr_model import PlateOCR
from .province_model import ProvinceNet

M = TypeVar("M", bound=nn.Module)


def _folded_convs(path: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """(weight, bias) of every Conv node of the ONNX graph, in graph order: initializers,
    Constant or Identity nodes, or (a quantized QDQ graph) dequantized initializers."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    made_by = {o: n for n in graph.node for o in n.output}

    def value(name: str) -> np.ndarray:
        if name in inits:
            return inits[name]
        dq = made_by[name]  # a Constant, an Identity (equal tensors the exporter shared), or
        if dq.op_type == "Constant":  # DequantizeLinear(q, scale, zero point) of initializers
            return numpy_helper.to_array(dq.attribute[0].t)
        if dq.op_type == "Identity":
            return value(dq.input[0])
        q, scale = inits[dq.input[0]].astype(np.float64), inits[dq.input[1]].astype(np.float64)
        zero = inits[dq.input[2]].astype(np.float64) if len(dq.input) > 2 else np.zeros_like(scale)
        shape = (-1,) + (1,) * (q.ndim - 1) if scale.ndim else ()
        return ((q - zero.reshape(shape)) * scale.reshape(shape)).astype(np.float32)

    return [(value(n.input[1]), value(n.input[2])) for n in graph.node if n.op_type == "Conv"]


def _channels(convs: list[tuple[np.ndarray, np.ndarray]]) -> tuple[int, ...]:
    return tuple(int(w.shape[0]) for w, _ in convs[:5])


def onnx_channels(path: Path) -> tuple[int, ...]:
    """The backbone channels of an exported OCR model."""
    return _channels(_folded_convs(path))


def _conv_bn_blocks(model: PlateOCR) -> list[nn.Sequential]:
    return [*model.backbone, model.rows, *model.context]


@torch.no_grad()
def ocr_from_onnx(path: Path, calibration: np.ndarray) -> PlateOCR:
    """A ``PlateOCR`` computing what ``path`` computes; ``calibration``: uint8 (N, H, W)
    model inputs whose statistics become the BatchNorm running statistics."""
    convs = _folded_convs(path)
    model = PlateOCR(_channels(convs))
    x = torch.from_numpy(calibration).unsqueeze(1).float() / 255.0
    return _rebuild(model, [*_conv_bn_blocks(model), model.classify], convs, x, path)


@torch.no_grad()
def province_from_onnx(path: Path, calibration: np.ndarray) -> ProvinceNet:
    """A ``ProvinceNet`` computing what ``path`` (``export_province``'s graph, float or
    quantized) computes; ``calibration`` as for ``ocr_from_onnx``."""
    convs = _folded_convs(path)
    model = ProvinceNet(_channels(convs))
    x = torch.from_numpy(calibration).unsqueeze(1).float() / 255.0
    return _rebuild(model, [*model.backbone, model.classify[0], model.classify[2]], convs, x, path)


@torch.no_grad()
def det_from_onnx(path: Path, calibration: np.ndarray) -> PlateDet:
    """A ``PlateDet`` computing what ``path`` (``export_detector``'s graph: uint8 NHWC in,
    the /255 kept as a Div node, sigmoid heat) computes; ``calibration``: uint8 (N, H, W, 3)
    scenes whose statistics become the BatchNorm running statistics."""
    model = PlateDet()
    # graph order = forward order (lateral before merge; checked by shape in _rebuild)
    targets = [*model.s8, *model.s16, model.lateral, model.merge, model.heat, model.box]
    x = torch.from_numpy(calibration).permute(0, 3, 1, 2).float() / 255.0
    return _rebuild(model, targets, _folded_convs(path), x, path)


@torch.no_grad()
def _rebuild(model: M, targets: list[nn.Module], convs: list[tuple[np.ndarray, np.ndarray]],
             x: torch.Tensor, path: Path) -> M:
    """Load the graph's convolutions into ``targets`` (conv+BN blocks or plain biased convs,
    in graph order), then calibrate the BNs on the float model input ``x``."""
    if len(convs) != len(targets):
        raise ValueError(f"{path}: {len(convs)} convolutions, expected {len(targets)}")
    blocks = [t for t in targets if isinstance(t, nn.Sequential)]
    for (w, b), target in zip(convs, targets):
        conv = target[0] if isinstance(target, nn.Sequential) else target
        if tuple(conv.weight.shape) != w.shape:
            raise ValueError(f"{path}: conv {tuple(w.shape)} where the model has "
                             f"{tuple(conv.weight.shape)}")
        conv.weight.copy_(torch.from_numpy(np.array(w)))
        if isinstance(target, nn.Sequential):
            _folded_bn(target[1], b)
        else:
            conv.bias.copy_(torch.from_numpy(np.array(b)))
    _calibrate(model, blocks, x)
    return model.eval()


def _folded_bn(bn: nn.BatchNorm2d, bias: np.ndarray) -> None:
    """A BN that only adds the folded bias in eval mode (calibrated next)."""
    bn.weight.fill_(1.0)
    bn.bias.copy_(torch.from_numpy(np.array(bias)))
    bn.running_mean.zero_()
    bn.running_var.fill_(1.0 - bn.eps)


def _calibrate(model: nn.Module, blocks: list[nn.Sequential], x: torch.Tensor) -> None:
    """Set each BN to the batch statistics of its convolution's output on ``x`` without
    changing the eval-mode function: gamma = std, beta = folded bias + mean (exact for any
    mean/std), so train mode on ``x`` (BN on batch statistics) computes the same too."""
    stats: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def hook(i: int):
        def record(_m, _inp, out: torch.Tensor) -> None:
            stats[i] = (out.mean((0, 2, 3)), out.var((0, 2, 3), unbiased=False))
        return record

    handles = [block[0].register_forward_hook(hook(i)) for i, block in enumerate(blocks)]
    model.eval()
    model(x)
    for h in handles:
        h.remove()
    for i, block in enumerate(blocks):
        bn = block[1]
        mean, var = stats[i]
        bn.bias.add_(mean)
        bn.weight.copy_(torch.sqrt(var + bn.eps))
        bn.running_mean.copy_(mean)
        bn.running_var.copy_(var)
