"""The shipped OCR model and detector imported back into torch (training warm start,
scripts/anpr/onnx_import.py).

Needs the training environment (torch, onnx: docs/anpr.md); skipped without it.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="training environment only (torch)")
pytest.importorskip("onnx", reason="training environment only (onnx)")
ort = pytest.importorskip("onnxruntime")

from gated.anpr.models import DETECTOR_FILE, OCR_FILE, models_dir  # noqa: E402
from scripts.anpr.det_model import DetExportWrapper  # noqa: E402
from scripts.anpr.ocr_model import ExportWrapper, PlateOCR, widen_from  # noqa: E402
from scripts.anpr.onnx_import import det_from_onnx, ocr_from_onnx, onnx_channels  # noqa: E402
from scripts.train_detector import calibration_scenes  # noqa: E402


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


@pytest.fixture(scope="module")
def detector():
    calibration = calibration_scenes(8)
    return det_from_onnx(models_dir() / DETECTOR_FILE, calibration), calibration


def test_imported_detector_computes_what_the_shipped_onnx_computes(detector):
    model, calibration = detector
    session = ort.InferenceSession(str(models_dir() / DETECTOR_FILE))
    scene = calibration_scenes(1, seed=1)  # not a calibration scene
    heat, box = session.run(None, {"image": scene})
    with torch.no_grad():
        heat_t, box_t = DetExportWrapper(model.eval())(torch.from_numpy(scene))
    assert heat.max() > 0.3  # the scene has a plate the shipped detector finds
    assert np.abs(heat - heat_t.numpy()).max() < 1e-3
    assert np.abs(box - box_t.numpy()).max() < 1e-3


def test_imported_detector_in_train_mode_starts_from_the_same_function(detector):
    model, calibration = detector
    model = copy.deepcopy(model)  # a train-mode forward moves the running statistics
    x = torch.from_numpy(calibration)
    with torch.no_grad():
        heat_e, box_e = DetExportWrapper(model.eval())(x)
        heat_t, box_t = DetExportWrapper(model.train())(x)  # BN on the batch's statistics
    assert not torch.allclose(model.s8[2][1].running_mean, torch.zeros(24))
    assert (heat_t - heat_e).abs().max() < 1e-3
    assert (box_t - box_e).abs().max() < 1e-3


def test_a_frozen_bn_fine_tune_step_moves_the_convolutions_and_no_batchnorm(detector):
    from scripts.anpr.training import set_mode
    from scripts.train_detector import Scenes, step_loss

    model = copy.deepcopy(detector[0])
    set_mode(model, freeze_bn=True)
    before = copy.deepcopy(model.state_dict())
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    batch = next(iter(torch.utils.data.DataLoader(Scenes(seed=3, qr_share=0.3), batch_size=2)))
    step_loss(model, batch).backward()
    opt.step()
    after = model.state_dict()
    bn_modules = [n for n, m in model.named_modules() if isinstance(m, torch.nn.BatchNorm2d)]
    bn = [k for k in before if k.rsplit(".", 1)[0] in bn_modules]
    assert bn and all(torch.equal(before[k], after[k]) for k in bn)
    assert not torch.equal(before["s8.0.0.weight"], after["s8.0.0.weight"])
    set_mode(model, freeze_bn=False)
    assert model.s8[0][1].training


def test_the_quantized_province_classifier_imports_dequantized():
    """models/plate_province.onnx has uint8 weights (QDQ): they come back as floats, and the
    imported network answers as the shipped graph computed exactly (optimisations off)."""
    from gated.anpr.models import PROVINCE_FILE
    from gated.selftest.models import session
    from scripts.anpr.onnx_import import province_from_onnx
    from scripts.anpr.province_model import ProvinceExport

    path = models_dir() / PROVINCE_FILE
    model = province_from_onnx(path, _inputs(64, 0))
    x = _inputs(16, 2)[..., None]
    (ref,) = session(path, optimise=False).run(None, {"input": x})
    with torch.no_grad():
        got = ProvinceExport(model)(torch.from_numpy(x)).numpy()
    assert np.abs(got - ref).max() < 0.2  # the graph also rounds activations to 8 bits
    assert (got.argmax(1) == ref.argmax(1)).mean() >= 0.9
