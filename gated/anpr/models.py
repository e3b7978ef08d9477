"""Where the shipped ANPR models are: ``models/`` of the source tree or the installed share.

Nothing is downloaded: a missing model is an :class:`AnprError` with the paths tried.
``GATED_MODELS_DIR`` overrides the search.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DETECTOR_FILE = "plate_det.onnx"
OCR_FILE = "plate_ocr.onnx"
#: Optional Chinese-plate specialist (``routed``); without it the general model reads all.
OCR_CN_FILE = "plate_ocr_cn.onnx"
OCR_CONFIG_FILE = "plate_config.yaml"
#: Optional province classifier behind the specialist (``province``).
PROVINCE_FILE = "plate_province.onnx"


class AnprError(Exception):
    """A clear, technician-facing ANPR problem (missing model, unreadable image, ...)."""


def candidate_dirs() -> list[Path]:
    env = os.environ.get("GATED_MODELS_DIR")
    dirs = [Path(env)] if env else []
    dirs += [Path(__file__).resolve().parents[2] / "models", Path(sys.prefix) / "share" / "gated" / "models"]
    return dirs


def models_dir() -> Path:
    for d in candidate_dirs():
        if (d / OCR_FILE).exists() and (d / DETECTOR_FILE).exists():
            return d
    tried = ", ".join(str(d) for d in candidate_dirs())
    raise AnprError(f"ANPR models not found (looked in {tried}); reinstall gated or set GATED_MODELS_DIR")
