"""scripts/anpr/quantize.py on a small real ONNX model: 8-bit convolutions whose weights are
stored as uint8 (onnxruntime's non-saturating kernels), and ``--unsigned`` converting a model
quantized with int8 weights without changing what it computes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnxruntime.quantization import QuantFormat, QuantType, quantize_static  # noqa: E402

from gated.selftest.models import session  # noqa: E402
from scripts.anpr import quantize  # noqa: E402


def float_model(path: Path, seed: int = 0) -> None:
    """uint8 NHWC grey (N, 64, 128, 1) as the OCR models take it -> two 3x3 convs with biases."""
    rng = np.random.default_rng(seed)
    weights = [numpy_helper.from_array(rng.normal(0, 0.3, (8, 1, 3, 3)).astype(np.float32), "w1"),
               numpy_helper.from_array(rng.normal(0, 0.1, 8).astype(np.float32), "b1"),
               numpy_helper.from_array(rng.normal(0, 0.2, (8, 8, 3, 3)).astype(np.float32), "w2"),
               numpy_helper.from_array(rng.normal(0, 0.1, 8).astype(np.float32), "b2")]
    nodes = [helper.make_node("Cast", ["input"], ["f"], to=TensorProto.FLOAT),
             helper.make_node("Transpose", ["f"], ["x"], perm=[0, 3, 1, 2]),
             helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"]),
             helper.make_node("Conv", ["r1", "w2", "b2"], ["out"], pads=[1, 1, 1, 1])]
    graph = helper.make_graph(nodes, "convs", [helper.make_tensor_value_info("input", TensorProto.UINT8,
                                                                             ["n", 64, 128, 1])],
                              [helper.make_tensor_value_info("out", TensorProto.FLOAT, None)], weights)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))


def shard(path: Path, n: int = 64, seed: int = 1) -> Path:
    """A build_ocr_dataset-like shard: high-contrast grey crops (the largest activations, where
    int8 weights saturate the 16-bit sums of onnxruntime's uint8 x int8 AVX2 kernels)."""
    rng = np.random.default_rng(seed)
    images = (rng.integers(0, 2, (n, 8, 16)) * 255).astype(np.uint8).repeat(8, axis=1).repeat(8, axis=2)
    np.savez(path, images=images)
    return path


def run(path: Path, x: np.ndarray, optimise: bool = True) -> np.ndarray:
    return session(path, optimise).run(None, {"input": x})[0]


def weights(path: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """(values, zero point) of every 8-bit initializer a DequantizeLinear reads."""
    model = onnx.load(str(path))
    init = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    return [(init[n.input[0]], init[n.input[2]]) for n in model.graph.node
            if n.op_type == "DequantizeLinear" and n.input[0] in init and init[n.input[0]].dtype.itemsize == 1]


def int8_weights(tmp_path: Path) -> Path:
    """The float model quantized as the models shipped until 2026-12-07 were: int8 weights."""
    src, dst = tmp_path / "float.onnx", tmp_path / "q8.onnx"
    float_model(src)
    quantize_static(str(src), str(dst), quantize.ShardSamples(shard(tmp_path / "s.npz"), 64),
                    quant_format=QuantFormat.QDQ, per_channel=True, activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8, op_types_to_quantize=["Conv"])
    return dst


def test_unsigned_stores_the_same_weights_as_uint8_and_computes_the_same(tmp_path):
    q8 = int8_weights(tmp_path)
    before = weights(q8)
    assert [w.dtype for w, _ in before] == [np.int8] * 2 and all(not z.any() for _, z in before)
    assert quantize.save_unsigned(q8, tmp_path / "u8.onnx") == 2
    after = weights(tmp_path / "u8.onnx")
    assert all(w.dtype == np.uint8 and (z == quantize.WEIGHT_ZERO).all() for w, z in after)
    assert all(np.array_equal(a.astype(int) - 128, b.astype(int)) for (a, _), (b, _) in zip(after, before))
    x = np.load(tmp_path / "s.npz")["images"][:16, ..., None]
    exact = run(q8, x, optimise=False)  # the int8 graph computed in float: what it means
    fused = run(tmp_path / "u8.onnx", x)  # onnxruntime's fused uint8 kernels
    assert np.abs(fused - exact).max() <= 1e-4 * np.abs(exact).max()


def test_unsigned_leaves_a_converted_model_alone(tmp_path):
    quantize.save_unsigned(int8_weights(tmp_path), tmp_path / "u8.onnx")
    assert quantize.save_unsigned(tmp_path / "u8.onnx", tmp_path / "again.onnx") == 0
    assert weights(tmp_path / "again.onnx")[0][0].dtype == np.uint8


def test_quantize_writes_uint8_weights(tmp_path):
    pytest.importorskip("sympy", reason="quant_pre_process needs sympy (training environment, with torch)")
    float_model(tmp_path / "float.onnx")
    quantize.quantize(tmp_path / "float.onnx", tmp_path / "q.onnx", shard(tmp_path / "s.npz"), samples=64)
    assert [(w.dtype, int(z.min())) for w, z in weights(tmp_path / "q.onnx")] == [(np.uint8, 128)] * 2
    x = np.load(tmp_path / "s.npz")["images"][:8, ..., None]
    fused, exact = run(tmp_path / "q.onnx", x), run(tmp_path / "q.onnx", x, optimise=False)
    assert np.abs(fused - exact).max() <= 1e-4 * np.abs(exact).max()


def test_the_command_line_needs_a_shard_unless_converting(tmp_path, monkeypatch, capsys):
    float_model(tmp_path / "float.onnx")
    monkeypatch.setattr("sys.argv", ["quantize", str(tmp_path / "float.onnx"), str(tmp_path / "q.onnx")])
    with pytest.raises(SystemExit):
        quantize.main()
    assert "--shard is required" in capsys.readouterr().err and not (tmp_path / "q.onnx").exists()


def test_asymmetric_int8_weights_are_refused_with_a_reason(tmp_path, monkeypatch, capsys):
    q8 = int8_weights(tmp_path)
    model = onnx.load(str(q8))
    init = {i.name: i for i in model.graph.initializer}
    dq = next(n for n in model.graph.node if n.op_type == "DequantizeLinear" and n.input[0] in init
              and init[n.input[0]].data_type == TensorProto.INT8)
    zero = numpy_helper.to_array(init[dq.input[2]]).copy()
    zero[...] = 3
    init[dq.input[2]].CopyFrom(numpy_helper.from_array(zero, dq.input[2]))
    onnx.save(model, str(tmp_path / "asym.onnx"))
    monkeypatch.setattr("sys.argv", ["quantize", "--unsigned", str(tmp_path / "asym.onnx"),
                                     str(tmp_path / "out.onnx")])
    with pytest.raises(SystemExit):
        quantize.main()
    assert "zero point other than 0" in capsys.readouterr().err and not (tmp_path / "out.onnx").exists()
