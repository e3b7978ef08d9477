"""The shipped OCR model imported back into torch (training warm start, scripts/anpr/onnx_import.py).

Needs the training environment (torch, onnx: docs/anpr.md); skipped without it.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="training environment only (torch)")
pytest.importorskip("onnx", reason="training environment only (onnx)")
ort = pytest.importorskip("onnxruntime")

from gated.anpr.models import OCR_FILE, models_dir  # noqa: E402
from scripts.anpr.ocr_model import ExportWrapper, PlateOCR, widen_from  # noqa: E402
from scripts.anpr.onnx_import import ocr_from_onnx, onnx_channels  # noqa: E402


def _inputs(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (n, 8, 16)).astype(np.uint8)  # smooth-ish blobs, not pure noise
    return np.stack([np.kron(b, np.ones((8, 8), np.uint8)) for b in base])


def test_imported_model_computes_what_the_shipped_onnx_computes():
    path = models_dir() / OCR_FILE
    model = ocr_from_onnx(path, _inputs(64, 0))
    assert model.channels == onnx_channels(path)
    x = _inputs(8, 1)[..., None]
    plate, ctc = ort.InferenceSession(str(path)).run(None, {"input": x})
    with torch.no_grad():
        plate_t, ctc_t = ExportWrapper(model)(torch.from_numpy(x))
    assert np.abs(ctc - ctc_t.numpy()).max() < 1e-3
    assert (plate.argmax(-1) == plate_t.numpy().argmax(-1)).all()


def test_batchnorm_statistics_come_from_the_calibration_images():
    model = ocr_from_onnx(models_dir() / OCR_FILE, _inputs(64, 0))
    bn = model.backbone[2][1]
    assert not torch.allclose(bn.running_mean, torch.zeros_like(bn.running_mean))
    assert torch.all(bn.weight > 0)  # gamma = the measured standard deviation
    # and the imported weights widen like a checkpoint's
    wide = PlateOCR(tuple(c + 8 for c in model.channels))
    assert widen_from(wide, model.state_dict()) == len(model.state_dict())
