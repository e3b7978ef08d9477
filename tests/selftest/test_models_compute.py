"""The self-test's compute step on real model files with onnxruntime (gated.selftest.models)."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from gated.anpr.models import models_dir
from gated.selftest import models


@pytest.mark.parametrize("name", ["plate_det.onnx", "plate_ocr.onnx", "plate_ocr_cn.onnx", "plate_province.onnx"])
def test_every_shipped_model_computes_what_its_graph_says_on_this_cpu(name):
    result = models.compute_result(models_dir() / name)
    assert (result.status, result.step) == ("pass", "compute"), result
    assert result.value is not None and result.value <= models.COMPUTE_TOLERANCE


def test_the_probe_input_fits_each_model_and_is_black_and_white():
    for name, shape in [("plate_det.onnx", (1, 128, 128, 3)), ("plate_ocr.onnx", (2, 64, 128, 1))]:
        feed = models.probe_input(models.session(models_dir() / name))
        (x,) = feed.values()
        assert x.shape == shape and x.dtype == np.uint8 and set(np.unique(x)) == {0, 255}


def test_a_model_that_does_not_run_fails_with_a_reason(tmp_path):
    bad = tmp_path / "plate_ocr.onnx"
    bad.write_bytes(b"not a model")
    result = models.compute_result(bad)
    assert (result.status, result.figure) == ("fail", "error") and "does not run" in result.remedy
    assert result.detail


def test_the_compute_step_reuses_the_session_the_load_step_built(monkeypatch):
    built = []
    real = models.session

    def counting(path, optimise=True):
        built.append(optimise)
        return real(path, optimise)

    monkeypatch.setattr(models, "session", counting)
    results = []

    async def emit(result):
        results.append((result.step, result.status))

    asyncio.run(models.load_and_compute(models_dir() / "plate_province.onnx", emit))
    assert results == [("load", "pass"), ("compute", "pass")]
    assert built == [True, False]  # one optimised session (load), one reference (compute)
