"""Export the latest checkpoints into the shipped model files.

    python -m scripts.anpr.export_models --out models/

Writes plate_ocr.onnx + plate_config.yaml (fast-plate-ocr contract) and plate_det.onnx.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from .det_model import DetExportWrapper, PlateDet
from .ocr_model import PlateOCR, channels_of
from .onnx_export import export_detector, export_ocr, write_plate_config


def load(model: torch.nn.Module, ckpt: Path) -> int:
    state = torch.load(ckpt, weights_only=False, map_location="cpu")
    model.load_state_dict(state["model"])
    model.eval()
    return int(state["step"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=Path("models"))
    ap.add_argument("--ocr-ckpt", type=Path, default=Path("/work/cache/anpr/ocr_ckpt/last.pt"))
    ap.add_argument("--det-ckpt", type=Path, default=Path("/work/cache/anpr/det_ckpt/last.pt"))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.ocr_ckpt.exists():
        ocr = PlateOCR(channels_of(torch.load(args.ocr_ckpt, weights_only=False, map_location="cpu")["model"]))
        step = load(ocr, args.ocr_ckpt)
        export_ocr(ocr, args.out / "plate_ocr.onnx")
        write_plate_config(args.out / "plate_config.yaml")
        print(f"OCR exported from step {step}")
    if args.det_ckpt.exists():
        det = PlateDet()
        step = load(det, args.det_ckpt)
        export_detector(DetExportWrapper(det), args.out / "plate_det.onnx")
        print(f"detector exported from step {step}")


if __name__ == "__main__":
    main()
