"""Model files: present, matching the release's checksums, loading in reasonable time.

The folder is the first of ANPR's model folders that exists
(:func:`gated.field.anpr_bridge.model_dirs`). With a ``MANIFEST.json``
(:mod:`gated.selftest.manifest`) every listed file is checked against it; without one the
ONNX files found are only loaded, with a warning that nothing was verified.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from gated.field import anpr_bridge
from gated.selftest import manifest as mf
from gated.selftest.context import Context, Emit
from gated.selftest.report import Result, failed, passed, warned

C = "models"
SLOW_LOAD_S = 5.0
REINSTALL = "reinstall gated (scripts/install.sh) to restore the shipped models"


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


def load_onnx(path: Path) -> float:
    """Seconds to load ``path`` into an onnxruntime CPU session."""
    import onnxruntime as ort

    t0 = time.monotonic()
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    return time.monotonic() - t0


def load_result(path: Path) -> Result:
    try:
        seconds = load_onnx(path)
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types
        return failed(C, path.name, "load", f"the model does not load: {REINSTALL}", "error",
                      detail=f"{type(exc).__name__}: {exc}"[:300])
    figure = f"{seconds:.2f} s"
    if seconds > SLOW_LOAD_S:
        return warned(C, path.name, "load", "slow to load: is the CPU overloaded or the disk "
                      "failing?", figure, seconds, "s")
    return passed(C, path.name, "load", figure, seconds, "s")


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
            await emit(await asyncio.to_thread(load_result, path))
        return
    await emit(passed(C, "", "manifest", f"{len(entries)} file(s)", len(entries), "files",
                      str(folder)))
    for e in entries:
        result = await asyncio.to_thread(check_file, folder, e)
        await emit(result)
        if result.status == "pass" and e.load == "onnx":
            await emit(await asyncio.to_thread(load_result, folder / e.file))
