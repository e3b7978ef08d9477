"""Quantize an exported OCR-input model (the OCR, its Chinese specialist, the province
classifier) to 8-bit convolutions, calibrated on rendered training samples.

    python -m scripts.anpr.quantize SRC.onnx DST.onnx --shard /work/cache/anpr/ocr16c/shard_0800.npz
    python -m scripts.anpr.quantize --unsigned QDQ.onnx DST.onnx   # int8 weights -> uint8, lossless

Static QDQ quantization (onnxruntime.quantization): symmetric per-channel weights, uint8
activations with ranges measured on ``--samples`` crops of one training shard. Only the
``Conv`` nodes are quantized: the exported OCR graphs end in CTC decoding (argmax, cumsum,
matmul into slots) that must stay exact.

The weights are stored as **uint8 with zero point 128**, not int8 with zero point 0: the same
255 levels, dequantized to the same values. onnxruntime picks its kernel by the weights'
type, and its uint8 x int8 kernels on a CPU without VNNI (AVX2 only, as many lane PCs are)
add pairs of products in 16 bits, which saturate when large weights meet large activations
(255 x 127 x 2 > 32,767): the Chinese models shipped with int8 weights read 89.0% of the real
Chinese crops on an AVX-512 VNNI CPU and 80.2% on an AVX2 one (models/plate_province.md).
Its uint8 x uint8 kernels do not saturate, so every CPU computes what the graph says.
``--unsigned`` converts a model quantized with int8 weights (no float model or calibration
needed); quantizing writes uint8 weights directly.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

#: The zero point of the uint8 weights: int8 value q is stored as q + 128.
WEIGHT_ZERO = 128


class ShardSamples(CalibrationDataReader):
    """The first ``n`` crops of a training shard, in batches of 32, as the model's ``input``."""

    def __init__(self, shard: Path, n: int) -> None:
        with np.load(shard) as z:
            images = z["images"][:n][..., None]
        self.batches = iter([{"input": images[i : i + 32]} for i in range(0, len(images), 32)])

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self.batches, None)


def quantize(src: Path, dst: Path, shard: Path, samples: int = 512) -> None:
    """Static QDQ quantization of ``src``'s Conv nodes (symmetric per-channel weights, then
    stored ``unsigned``)."""
    with tempfile.TemporaryDirectory() as tmp:
        pre = Path(tmp) / "pre.onnx"
        quant_pre_process(str(src), str(pre))
        quantize_static(str(pre), str(dst), ShardSamples(shard, samples), quant_format=QuantFormat.QDQ,
                        per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        op_types_to_quantize=["Conv"])
    save_unsigned(dst, dst)


def save_unsigned(src: Path, dst: Path) -> int:
    """``unsigned`` the model in ``src`` and save it to ``dst``; the number of weights changed."""
    model = onnx.load(str(src))
    changed = unsigned(model)
    onnx.save(model, str(dst))
    return changed


def unsigned(model: onnx.ModelProto) -> int:
    """Store, in place, every int8 initializer that a DequantizeLinear reads with zero point 0
    as uint8 ``q + WEIGHT_ZERO`` with zero point ``WEIGHT_ZERO``: the same values once
    dequantized, read by onnxruntime's non-saturating uint8 x uint8 kernels. Returns how many
    changed (0 for a model converted already)."""
    init = {i.name: i for i in model.graph.initializer}
    changed = 0
    for node in model.graph.node:
        if node.op_type != "DequantizeLinear" or len(node.input) < 3 or node.input[0] not in init:
            continue
        q, zero = numpy_helper.to_array(init[node.input[0]]), numpy_helper.to_array(init[node.input[2]])
        if q.dtype != np.int8:
            continue
        if zero.any():
            raise ValueError(f"{node.input[0]}: int8 weights with a zero point other than 0 (not symmetric)")
        _store(init[node.input[0]], (q.astype(np.int16) + WEIGHT_ZERO).astype(np.uint8))
        _store(init[node.input[2]], np.full(zero.shape, WEIGHT_ZERO, np.uint8))
        changed += 1
    return changed


def _store(tensor: onnx.TensorProto, value: np.ndarray) -> None:
    tensor.CopyFrom(numpy_helper.from_array(value, tensor.name))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("src", type=Path)
    ap.add_argument("dst", type=Path)
    ap.add_argument("--shard", type=Path, help="a build_ocr_dataset shard (.npz); needed unless --unsigned")
    ap.add_argument("--samples", type=int, default=512)
    ap.add_argument("--unsigned", action="store_true",
                    help="src is quantized with int8 weights already: store them as uint8 (lossless)")
    args = ap.parse_args()
    if args.unsigned:
        try:
            print(f"{save_unsigned(args.src, args.dst)} weights stored as uint8")
        except ValueError as exc:  # nothing written
            ap.error(f"{args.src}: {exc}")
    elif args.shard is None:
        ap.error("--shard is required to quantize a float model (or give --unsigned)")
    else:
        quantize(args.src, args.dst, args.shard, args.samples)
    print(f"{args.dst}: {args.dst.stat().st_size} bytes")


if __name__ == "__main__":
    main()
