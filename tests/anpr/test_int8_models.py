"""The shipped int8 models compute the same on every x86 CPU.

onnxruntime runs a quantized Conv with fused uint8 x int8 kernels; on a CPU without VNNI
(AVX2 only) they add pairs of products in 16 bits, which saturate with 8-bit weights and
large activations (the shipped Chinese models once read 89.1% of the real Chinese crops on
a VNNI CPU and 80.2% on an AVX2 one). With graph optimisations off, onnxruntime computes
the same graph in float instead (DequantizeLinear, float Conv, QuantizeLinear): exact, and
what a VNNI CPU computes. The two must agree on whatever CPU runs this test.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from gated.anpr.models import OCR_CN_FILE, PROVINCE_FILE, models_dir
from gated.anpr.province import model_input
from gated.selftest.models import session
from tests.anpr.conftest import needs_fonts
from tests.anpr.helpers import rendered_crops

INT8_MODELS = [OCR_CN_FILE, PROVINCE_FILE]


def stress_crops(n: int, seed: int) -> list[np.ndarray]:
    """Black-and-white bars and blocks: the largest activations a grey crop can make."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        cells = rng.integers(0, 2, size=(rng.integers(2, 9), rng.integers(4, 33)), dtype=np.uint8) * 255
        out.append(np.kron(cells, np.ones((64 // cells.shape[0] + 1, 128 // cells.shape[1] + 1), np.uint8)))
    return out


@needs_fonts
@pytest.mark.parametrize("name", INT8_MODELS)
def test_fused_int8_kernels_compute_what_the_float_graph_does(name):
    crops = rendered_crops("cn1", 24, seed=5)[0] + rendered_crops("cn2", 8, seed=6)[0] + stress_crops(16, seed=7)
    fused, exact = session(models_dir() / name), session(models_dir() / name, optimise=False)
    feed = {"input": model_input(crops, (64, 128))}
    names = [o.name for o in fused.get_outputs()]
    for out, a, b in zip(names, fused.run(None, feed), exact.run(None, feed)):
        a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
        if out == "ctc":  # log-probabilities: compare as probabilities
            a, b = np.exp(a), np.exp(b)
        assert np.abs(a - b).max() < 0.02, f"{name} output {out!r}: fused int8 differs from the float graph"
        if a.ndim >= 2:
            assert (a.argmax(-1) == b.argmax(-1)).mean() > 0.99, f"{name} output {out!r}: different choices"


def test_stress_crops_are_crops():
    crops = stress_crops(3, seed=random.Random(1).randrange(100))
    assert all(c.dtype == np.uint8 and c.shape[0] >= 64 and c.shape[1] >= 128 for c in crops)
    assert all(set(np.unique(c)) <= {0, 255} for c in crops)
