"""Plate OCR: fast-plate-ocr's recogniser with the project's own model and config.

A greedy read that is not a valid plate even after ``repair`` gets a second chance: the
model's ``ctc`` output (per-column log-probabilities) is searched for the most likely
valid plate (``constrained``), accepted only when it is at most ``constrained.MAX_DROP``
(natural log) less likely than the greedy read. Models without that output simply skip it.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
from fast_plate_ocr import LicensePlateRecognizer
from fast_plate_ocr.core.process import preprocess_image, resize_image

from gated.core.plates import CN_PROVINCES, normalise, one_row_shaped, plausible

from .constrained import Decoder
from .repair import repair

#: Greedy reads this long are worth a constrained search; shorter or longer ones are
#: rarely a plate (a sign, a sticker) and the search costs ~7 ms.
SEARCH_LENGTHS = range(6, 12)


def grey_crops(crops: list[np.ndarray]) -> list[np.ndarray]:
    """BGR or grey crops -> grey, as the OCR models take them."""
    return [c if c.ndim == 2 else cv2.cvtColor(c, cv2.COLOR_BGR2GRAY) for c in crops]


class _KeepingOutputs:
    """The recogniser's onnxruntime session, keeping the outputs of its last run: fast-plate-ocr
    returns only each slot's best character, the province classifier (``province.combine``)
    needs the first slot's whole distribution, and a second run would cost the model again."""

    def __init__(self, session: ort.InferenceSession) -> None:
        self.session, self.last = session, {}

    def run(self, names: list[str] | None, feeds: dict[str, np.ndarray], *args: object,
            **kwargs: object) -> list[np.ndarray]:
        outputs = self.session.run(names, feeds, *args, **kwargs)
        self.last = dict(zip(names or [o.name for o in self.session.get_outputs()], outputs))
        return outputs

    def __getattr__(self, name: str) -> object:
        return getattr(self.session, name)


class PlateOCR:
    def __init__(self, model_path: Path, config_path: Path, threads: int = 1) -> None:
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self.recognizer = LicensePlateRecognizer(
            onnx_model_path=str(model_path), plate_config_path=str(config_path), device="cpu",
            providers=["CPUExecutionProvider"], sess_options=opts)
        self.recognizer.model = self.session = _KeepingOutputs(self.recognizer.model)
        cfg = self.recognizer.config
        self.provinces = [cfg.alphabet.index(c) for c in CN_PROVINCES if c in cfg.alphabet]
        outputs = {o.name for o in self.recognizer.model.get_outputs()}
        self.decoder = (Decoder(cfg.alphabet, cfg.alphabet.index(cfg.pad_char), cfg.max_plate_slots)
                        if "ctc" in outputs else None)

    def read(self, crops: list[np.ndarray], search: bool = False) -> list[tuple[str, float]]:
        """(normalised, format-repaired text, confidence) per BGR or grey crop.

        Confidence = the weakest character's probability. ``search``: a read of 6-11
        characters that is no valid plate, or one the crop's shape cannot show (``plausible``), gets
        the format-constrained search (~7 ms each; on a one-row-shaped crop without the
        two-row Vietnamese shapes)."""
        return self.read_with_provinces(crops, search)[0]

    def read_with_provinces(self, crops: list[np.ndarray], search: bool = False
                            ) -> tuple[list[tuple[str, float]], np.ndarray]:
        """As ``read``, and per crop the first character's probabilities over the 31 provinces
        (``CN_PROVINCES`` order; zeros for a model whose alphabet lacks them)."""
        first = np.zeros((len(crops), len(CN_PROVINCES)), np.float32)
        if not crops:
            return [], first
        grey = grey_crops(crops)
        preds = self.recognizer.run(grey, return_confidence=True)
        if len(self.provinces) == len(CN_PROVINCES):
            first[:] = np.asarray(self.session.last[self.recognizer.plate_output_name])[:, 0, self.provinces]
        out = []
        for crop, p in zip(grey, preds):
            text = repair(normalise(p.plate))
            probs = np.asarray(p.char_probs).reshape(-1)[: max(1, len(p.plate))]
            read = (text, float(probs.min()) if text else 0.0)
            searchable = search and self.decoder and len(text) in SEARCH_LENGTHS
            if searchable and not plausible(text, crop.shape[1], crop.shape[0]):
                read = self.search(crop) or read
            out.append(read)
        return out, first

    def search(self, grey: np.ndarray) -> tuple[str, float] | None:
        """The most likely valid plate in this grey crop's columns, if likely enough (or None;
        also None for a model without the ``ctc`` output). Runs the model once more: fast-plate-ocr
        fetches only its ``plate`` output."""
        if self.decoder is None:
            return None
        cfg = self.recognizer.config
        x = preprocess_image(resize_image(grey, cfg.img_height, cfg.img_width, cfg.image_color_mode,
                                          cfg.keep_aspect_ratio, cfg.interpolation, cfg.padding_color))
        (log_probs,) = self.recognizer.model.run(["ctc"], {"input": x})
        found = self.decoder.decode(log_probs[0], one_row=one_row_shaped(grey.shape[1], grey.shape[0]))
        return (found.text, found.confidence) if found else None
