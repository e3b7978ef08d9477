"""Plate OCR: fast-plate-ocr's recogniser with the project's own model and config."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
from fast_plate_ocr import LicensePlateRecognizer

from gated.core.plates import normalise

from .repair import repair


class PlateOCR:
    def __init__(self, model_path: Path, config_path: Path, threads: int = 1) -> None:
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self.recognizer = LicensePlateRecognizer(
            onnx_model_path=str(model_path), plate_config_path=str(config_path), device="cpu",
            providers=["CPUExecutionProvider"], sess_options=opts)

    def read(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """(normalised, format-repaired text, confidence) per BGR or grey crop.

        Confidence = the weakest character's probability."""
        if not crops:
            return []
        grey = [c if c.ndim == 2 else cv2.cvtColor(c, cv2.COLOR_BGR2GRAY) for c in crops]
        preds = self.recognizer.run(grey, return_confidence=True)
        out = []
        for p in preds:
            text = repair(normalise(p.plate))
            probs = np.asarray(p.char_probs).reshape(-1)[: max(1, len(p.plate))]
            out.append((text, float(probs.min()) if text else 0.0))
        return out
