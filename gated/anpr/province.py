"""The province classifier: a second opinion on a Chinese plate's first character.

The Chinese specialist misreads the province more than all other characters together (on
the real Chinese crops, 117 of its 181 misread plates were the province alone): the hanzi
is ~10x18 px on a 94x24 plate and the CTC reader shares its capacity with the rest of the
plate. ``plate_province.onnx`` sees only the left half of the same 64x128 grey input and
answers one question, which of the 31 provinces. The two opinions are independent enough
that their product is right more often than either (``combine``).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

from gated.core.plates import CN_PROVINCES

from .ocr import grey_crops

#: The specialist's read stands without the classifier when its first character's probability
#: is at least this: on 1,907 rendered validation plates the classifier then runs on 49% of
#: them (the degraded ones) with exactly the accuracy of running on all, and a clean plate
#: costs nothing extra (models/plate_province.md).
SURE = 0.95

def model_input(crops: list[np.ndarray], size: tuple[int, int]) -> np.ndarray:
    """BGR or grey crops -> uint8 (N, height, width, 1), resized as fast-plate-ocr resizes for
    the OCR (plate_config.yaml: grey, no aspect kept, linear)."""
    height, width = size
    return np.stack([cv2.resize(g, (width, height), interpolation=cv2.INTER_LINEAR)
                     for g in grey_crops(crops)])[..., None]


class ProvinceClassifier:
    """``probs(crops)``: (N, 31) probabilities in ``CN_PROVINCES`` order."""

    def __init__(self, model_path: Path, threads: int = 1) -> None:
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(model_path), opts, providers=["CPUExecutionProvider"])
        _, height, width, _ = self.session.get_inputs()[0].shape
        self.size = (int(height), int(width))  # the model's own input (the OCR's, 64x128)

    def probs(self, crops: list[np.ndarray]) -> np.ndarray:
        if not crops:
            return np.zeros((0, len(CN_PROVINCES)), np.float32)
        (out,) = self.session.run(["province"], {"input": model_input(crops, self.size)})
        return out


def unsure(reader: np.ndarray) -> bool:
    """Whether the reader's first-character probabilities over the provinces leave room for doubt."""
    return bool(reader.max(initial=0.0) < reader.dtype.type(SURE))


#: Weight of the reader's opinion against the classifier's in ``combine`` (an exponent on its
#: probabilities): 0.5 read the rendered Chinese provinces 87.7 / 78.3 / 78.7 / 81.0% (cn1 / cn2 /
#: trailer / new energy) where 1.0 read 86.7 / 78.3 / 77.0 / 78.7% and 0.25 88.0 / 76.7 / 75.7 / 82.0%.
READER_WEIGHT = 0.5


def combine(text: str, reader: np.ndarray, classifier: np.ndarray) -> str:
    """``text`` (a Chinese read) with its province replaced by the most likely one under both
    opinions: the reader's first-character probabilities over the provinces (to the power
    ``READER_WEIGHT``) times the classifier's. Only the first character can change."""
    best = CN_PROVINCES[int(np.argmax((reader + 1e-4) ** READER_WEIGHT * classifier))]
    return best + text[1:]
