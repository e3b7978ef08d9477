"""Export trained torch models to single-file ONNX (legacy exporter, dynamic batch)."""

from __future__ import annotations

import copy
from pathlib import Path

import torch

from .ocr_model import ALPHABET, IMG_H, IMG_W, PAD, SLOTS, ExportWrapper, PlateOCR
from .province_model import ProvinceExport


def export_ocr(model: PlateOCR, path: Path) -> None:
    """uint8 NHWC grey ``input`` -> ``plate`` probabilities (fast-plate-ocr contract) and
    ``ctc`` per-column log-probabilities (gated.anpr.constrained)."""
    _export(ExportWrapper(copy.deepcopy(model)).eval(), path, ["plate", "ctc"])


def _export(wrapper: torch.nn.Module, path: Path, outputs: list[str]) -> None:
    """A wrapper taking the OCR's uint8 (N, 64, 128, 1) ``input``, batch size dynamic,
    written to a temporary file and renamed (a kill mid-export leaves no truncated model)."""
    dummy = torch.zeros(1, IMG_H, IMG_W, 1, dtype=torch.uint8)
    tmp = path.with_suffix(".tmp.onnx")
    torch.onnx.export(wrapper, (dummy,), str(tmp), input_names=["input"], output_names=outputs,
                      dynamic_axes={name: {0: "n"} for name in ["input", *outputs]}, opset_version=17,
                      dynamo=False)
    tmp.rename(path)


def export_detector(model: torch.nn.Module, path: Path) -> None:
    """uint8 NHWC BGR ``image`` of any size (multiple of 32) -> ``heat`` and ``box`` maps."""
    model = copy.deepcopy(model).eval()
    dummy = torch.zeros(1, 256, 384, 3, dtype=torch.uint8)
    tmp = path.with_suffix(".tmp.onnx")
    torch.onnx.export(model, (dummy,), str(tmp), input_names=["image"], output_names=["heat", "box"],
                      dynamic_axes={"image": {1: "h", 2: "w"}, "heat": {2: "fh", 3: "fw"},
                                    "box": {2: "fh", 3: "fw"}}, opset_version=17, dynamo=False)
    tmp.rename(path)


def write_plate_config(path: Path) -> None:
    """fast-plate-ocr's plate_config.yaml for the OCR model (JSON is valid YAML)."""
    import json

    cfg = {"max_plate_slots": SLOTS, "alphabet": ALPHABET, "pad_char": PAD, "img_height": IMG_H,
           "img_width": IMG_W, "keep_aspect_ratio": False, "interpolation": "linear",
           "image_color_mode": "grayscale"}
    path.write_text("".join(f"{k}: {json.dumps(v, ensure_ascii=False)}\n" for k, v in cfg.items()),
                    encoding="utf-8")


def export_province(model: torch.nn.Module, path: Path) -> None:
    """uint8 NHWC grey ``input`` (the OCR's 64x128) -> ``province`` probabilities (N, 31)."""
    _export(ProvinceExport(copy.deepcopy(model)).eval(), path, ["province"])
