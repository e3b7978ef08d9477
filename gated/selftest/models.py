"""Model files: present, matching the release's checksums, loading in reasonable time, and
computing on this CPU what their graphs say.

The folder is the first of ANPR's model folders that exists
(:func:`gated.field.anpr_bridge.model_dirs`). With a ``MANIFEST.json``
(:mod:`gated.selftest.manifest`) every listed file is checked against it; without one the
ONNX files found are only loaded, with a warning that nothing was verified.

The compute step runs each model on a fixed high-contrast input twice: as onnxruntime runs
it in the lane (optimised, fused kernels) and with graph optimisations off (the reference:
quantized layers computed in float). They must agree. A CPU whose kernels compute a model
wrongly fails here instead of misreading plates quietly: int8 weights saturated
onnxruntime's kernels on CPUs without VNNI and cost the Chinese plates 9 points
(models/plate_province.md) until the weights were stored as uint8.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import numpy as np

from gated.field import anpr_bridge
from gated.selftest import manifest as mf
from gated.selftest.context import Context, Emit
from gated.selftest.report import Result, failed, passed, warned

C = "models"
SLOW_LOAD_S = 5.0
REINSTALL = "reinstall gated (scripts/install.sh) to restore the shipped models"
#: Largest difference allowed between the optimised and the reference run, relative to the
#: reference's largest output (probabilities: absolute). Sound models differ by < 1e-5; the
#: saturating int8 models differed by 0.04-0.87.
COMPUTE_TOLERANCE = 0.01


def find_dir() -> Path | None:
    for d in anpr_bridge.model_dirs():
        if d.is_dir() and any(d.glob("*.onnx")):
            return d
    return None


def check_file(folder: Path, e: mf.Entry) -> Result:
    """Blocking: size and checksum of one listed file."""
    path = folder / e.file
    if not path.is_file():
        return failed(C, e.file, "present", REINSTALL, "missing", detail=str(path))
    size = path.stat().st_size
    if size != e.bytes or mf.sha256_of(path) != e.sha256:
        return failed(C, e.file, "checksum", f"the file differs from the release: {REINSTALL}",
                      "mismatch", size, "bytes", f"{size} bytes, expected {e.bytes}")
    return passed(C, e.file, "checksum", f"{size / 1e6:.1f} MB", size, "bytes", e.role)


def session(path: Path, optimise: bool = True):
    """An onnxruntime CPU session of ``path``, one thread; ``optimise=False``: the reference."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.intra_op_num_threads = 1
    if not optimise:
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def load_onnx(path: Path):
    """(seconds to load ``path`` into an onnxruntime CPU session, the session)."""
    t0 = time.monotonic()
    sess = session(path)
    return time.monotonic() - t0, sess


def probe_input(sess) -> dict[str, np.ndarray]:
    """Black-and-white 8x8 blocks (the largest activations), deterministic, for every input;
    a dynamic batch is 2, other dynamic sizes 128."""
    rng, feed = np.random.default_rng(0), {}
    for i in sess.get_inputs():
        shape = [d if isinstance(d, int) else (2 if k == 0 else 128) for k, d in enumerate(i.shape)]
        x = rng.integers(0, 2, size=[shape[0]] + [-(-d // 8) for d in shape[1:]]) * 255
        for axis in range(1, len(shape)):
            x = np.repeat(x, 8, axis=axis) if shape[axis] > 1 else x
        feed[i.name] = x[tuple(slice(0, d) for d in shape)].astype(np.uint8 if "uint8" in i.type else np.float32)
    return feed


def compute_gap(path: Path, fused=None) -> float:
    """Largest relative difference between the optimised run of ``path`` (``fused``, the session
    the load step built, or a new one) and the reference run on ``probe_input``; outputs with no
    positive value are log-probabilities, compared as probabilities."""
    fused, reference = fused or session(path), session(path, optimise=False)
    feed = probe_input(fused)
    gap = 0.0
    for a, b in zip(fused.run(None, feed), reference.run(None, feed)):
        a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
        if b.size and b.max() <= 0:
            a, b = np.exp(a), np.exp(b)
        gap = max(gap, float(np.abs(a - b).max(initial=0.0)) / max(1.0, float(np.abs(b).max(initial=0.0))))
    return gap


def measured(path: Path, step: str, verb: str, measure) -> tuple[Any, Result | None]:
    """(``measure(path)``, None), or (None, the failed step saying the model does not ``verb``;
    onnxruntime raises its own exception types)."""
    try:
        return measure(path), None
    except Exception as exc:  # noqa: BLE001
        return None, failed(C, path.name, step, f"the model does not {verb}: {REINSTALL}", "error",
                           detail=f"{type(exc).__name__}: {exc}"[:300])


def compute_result(path: Path, fused=None) -> Result:
    gap, error = measured(path, "compute", "run", lambda p: compute_gap(p, fused))
    return error or judge_compute(path.name, gap)


def judge_compute(name: str, gap: float) -> Result:
    """The compute step's verdict on ``compute_gap``'s figure."""
    if gap > COMPUTE_TOLERANCE:
        return failed(C, name, "compute", "onnxruntime's kernels compute this model wrongly on this "
                      "CPU: install the release's models (scripts/install.sh) and report the CPU model "
                      "(lscpu) to the ANPR maintainers", f"{gap:.3f}", gap, "rel",
                      "optimised and reference runs differ (int8 kernels saturating?)")
    return passed(C, name, "compute", f"{gap:.1e}", gap, "rel", "optimised = reference run")


def load_result(path: Path) -> tuple[Result, Any]:
    """The load step's result, and the session it built (None when it failed)."""
    loaded, error = measured(path, "load", "load", load_onnx)
    if error:
        return error, None
    seconds, sess = loaded
    figure = f"{seconds:.2f} s"
    if seconds > SLOW_LOAD_S:
        return warned(C, path.name, "load", "slow to load: is the CPU overloaded or the disk "
                      "failing?", figure, seconds, "s"), sess
    return passed(C, path.name, "load", figure, seconds, "s"), sess


async def run(ctx: Context, emit: Emit) -> None:
    folder = await asyncio.to_thread(find_dir)
    if folder is None:
        if anpr_bridge.installed():
            await emit(failed(C, "", "present", REINSTALL, "no models", detail="looked in " +
                              ", ".join(str(d) for d in anpr_bridge.model_dirs())))
        else:
            await emit(warned(C, "", "present", "install gated with ANPR (models included)",
                              "none", detail=anpr_bridge.NOT_INSTALLED))
        return
    try:
        entries = mf.load(folder)
    except mf.ManifestError as exc:
        await emit(warned(C, "", "manifest", "checksums not verified: ship models with a "
                          "MANIFEST.json (python -m gated.selftest.manifest)", "none",
                          detail=str(exc)))
        for path in sorted(folder.glob("*.onnx")):
            await load_and_compute(path, emit)
        return
    await emit(passed(C, "", "manifest", f"{len(entries)} file(s)", len(entries), "files",
                      str(folder)))
    for e in entries:
        result = await asyncio.to_thread(check_file, folder, e)
        await emit(result)
        if result.status == "pass" and e.load == "onnx":
            await load_and_compute(folder / e.file, emit)


async def load_and_compute(path: Path, emit: Emit) -> None:
    loaded, sess = await asyncio.to_thread(load_result, path)
    await emit(loaded)
    if loaded.status != "fail":
        await emit(await asyncio.to_thread(compute_result, path, sess))
