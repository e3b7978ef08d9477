"""The province classifier's training side (scripts/train_province.py, province_model,
export). Needs the training environment (torch: docs/anpr.md); skipped without it."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="training environment only (torch)")

from gated.anpr.province import ProvinceClassifier  # noqa: E402
from gated.core.plates import CN_PROVINCES  # noqa: E402
from scripts.anpr.ocr_model import PlateOCR, encode  # noqa: E402
from scripts.anpr.onnx_export import export_province  # noqa: E402
from scripts.anpr.province_model import LEFT_W, ProvinceNet  # noqa: E402
from scripts.train_province import province_targets, warm_start  # noqa: E402

CHANNELS = (8, 8, 8, 8, 8)


def test_targets_are_the_province_and_other_plates_are_ignored():
    y = torch.tensor([encode("桂A1234挂"), encode("29C12345"), encode("皖AH712X")])
    assert province_targets(y).tolist() == [CN_PROVINCES.index("桂"), -100, CN_PROVINCES.index("皖")]


def test_the_classifier_looks_at_the_left_half_only():
    torch.manual_seed(0)
    model = ProvinceNet(CHANNELS).eval()
    x = torch.rand(2, 1, 64, 128)
    y = x.clone()
    y[..., LEFT_W:] = torch.rand(2, 1, 64, 128 - LEFT_W)
    with torch.no_grad():
        assert model(x).shape == (2, len(CN_PROVINCES))
        assert torch.allclose(model(x), model(y))


def test_warm_start_takes_the_ocr_backbone(tmp_path):
    torch.manual_seed(1)
    ocr = PlateOCR(CHANNELS)
    torch.save({"model": ocr.state_dict()}, tmp_path / "ocr.pt")
    model = ProvinceNet(CHANNELS)
    warm_start(model, tmp_path / "ocr.pt")
    for name, tensor in ocr.backbone.state_dict().items():
        assert torch.equal(model.backbone.state_dict()[name], tensor)


def test_the_exported_model_gives_the_torch_probabilities(tmp_path):
    torch.manual_seed(2)
    model = ProvinceNet(CHANNELS).eval()
    export_province(model, tmp_path / "province.onnx")
    images = np.random.default_rng(0).integers(0, 256, (3, 64, 128), np.uint8)
    onnx = ProvinceClassifier(tmp_path / "province.onnx").probs(list(images))
    with torch.no_grad():
        ref = model(torch.from_numpy(images).unsqueeze(1).float() / 255.0).softmax(-1).numpy()
    assert np.allclose(onnx, ref, atol=1e-5)


def test_int8_export_keeps_the_interface_and_the_answer(tmp_path):
    pytest.importorskip("onnx", reason="quantization needs the onnx package (training environment)")
    from scripts.anpr.quantize import quantize

    torch.manual_seed(3)
    model = ProvinceNet(CHANNELS).eval()
    export_province(model, tmp_path / "province.onnx")
    images = np.random.default_rng(1).integers(0, 256, (64, 64, 128), np.uint8)
    np.savez(tmp_path / "shard.npz", images=images, labels=np.array(["桂A12345"] * 64))
    quantize(tmp_path / "province.onnx", tmp_path / "int8.onnx", tmp_path / "shard.npz", samples=64)
    import onnx

    ops = {n.op_type for n in onnx.load(str(tmp_path / "int8.onnx")).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear", "Conv"} <= ops
    float_probs = ProvinceClassifier(tmp_path / "province.onnx").probs(list(images[:8]))
    int8_probs = ProvinceClassifier(tmp_path / "int8.onnx").probs(list(images[:8]))
    assert int8_probs.shape == float_probs.shape and np.allclose(int8_probs.sum(1), 1.0, atol=1e-4)
    assert np.abs(int8_probs - float_probs).max() < 0.05


def test_fine_tuning_starts_from_an_exported_classifier(tmp_path, monkeypatch):
    """--init-onnx: the whole classifier (backbone and head) comes from an exported model."""
    pytest.importorskip("onnx", reason="the import reads the graph with the onnx package")
    from scripts import train_province

    torch.manual_seed(4)
    model = ProvinceNet(CHANNELS).eval()
    export_province(model, tmp_path / "province.onnx")
    data = tmp_path / "data"
    data.mkdir()
    rng = np.random.default_rng(2)
    labels = np.array(["桂A12345", "皖AH712X", "29C12345", "云A1234挂"] * 16)
    for name in ("val.npz", "shard_0000.npz"):
        np.savez(data / name, images=rng.integers(0, 256, (64, 64, 128), np.uint8), labels=labels)
    monkeypatch.setattr("sys.argv", ["train_province", "--data", str(data), "--ckpt", str(tmp_path / "ck"),
                                     "--init-onnx", str(tmp_path / "province.onnx"), "--total-steps", "2",
                                     "--batch", "8", "--val-every", "2"])
    train_province.main()
    state = torch.load(tmp_path / "ck" / "last.pt", weights_only=False)["model"]
    moved = state["classify.2.weight"] - model.state_dict()["classify.2.weight"]
    assert 0 < moved.abs().max() < 0.05  # started from the exported head, then trained
    assert (tmp_path / "ck" / "province.onnx").exists()
