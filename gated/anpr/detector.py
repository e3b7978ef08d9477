"""Plate detector: the shipped ONNX heatmap model run with onnxruntime on one thread."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

STRIDE = 8


@dataclass(frozen=True, slots=True)
class Detection:
    box: tuple[int, int, int, int]  # x1, y1, x2, y2 in the frame's pixels
    score: float


def session(path: Path, threads: int = 1) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def letterbox(image: np.ndarray, width: int) -> tuple[np.ndarray, float]:
    """Resize to ``width`` (keeping aspect), pad bottom/right to multiples of 32."""
    h, w = image.shape[:2]
    scale = width / w
    nh = scaled_height(h, scale)
    src = image
    while src.shape[1] >= 2 * width:  # exact 2x area steps are fast; arbitrary-ratio INTER_AREA is not
        src = cv2.resize(src, (src.shape[1] // 2, src.shape[0] // 2), interpolation=cv2.INTER_AREA)
    resized = cv2.resize(src, (width, nh), interpolation=cv2.INTER_LINEAR)
    ph = -(-nh // 32) * 32
    out = np.zeros((ph, width, 3), np.uint8)
    out[:nh] = resized
    return out, scale


def scaled_height(h: int, scale: float) -> int:
    """Rows of a ``letterbox`` output that hold the image (the rest is padding)."""
    return max(32, int(round(h * scale)))


def decode(heat: np.ndarray, box: np.ndarray, scale: float, threshold: float, max_plates: int
           ) -> list[Detection]:
    """Peaks of the heatmap (3x3 local maxima above ``threshold``) to boxes in frame pixels."""
    peaks = (heat == cv2.dilate(heat, np.ones((3, 3), np.uint8))) & (heat >= threshold)
    ys, xs = np.nonzero(peaks)
    order = np.argsort(-heat[ys, xs])[:max_plates]
    out = []
    for y, x in zip(ys[order], xs[order]):
        dx, dy = 1 / (1 + np.exp(-box[0, y, x])), 1 / (1 + np.exp(-box[1, y, x]))
        cx, cy = (x + dx) * STRIDE, (y + dy) * STRIDE
        bw, bh = np.exp(box[2, y, x]) * STRIDE, np.exp(box[3, y, x]) * STRIDE
        b = ((cx - bw / 2) / scale, (cy - bh / 2) / scale, (cx + bw / 2) / scale, (cy + bh / 2) / scale)
        out.append(Detection(tuple(int(round(v)) for v in b), float(heat[y, x])))
    return suppress(out, max_plates)


def suppress(dets: list[Detection], max_plates: int) -> list[Detection]:
    """Best first, drop every box that overlaps a better one (``overlap`` >= 0.3): one box
    per plate."""
    out: list[Detection] = []
    for det in sorted(dets, key=lambda d: -d.score):
        if len(out) < max_plates and all(overlap(det.box, o.box) < 0.3 for o in out):
            out.append(det)
    return out


def add_coarse(fine: list[Detection], coarse: list[Detection], max_plates: int) -> list[Detection]:
    """The first pass's boxes, then each coarse box that is no first-pass box again (IoU
    < 0.5 with all of them): a plate the first pass missed, or the whole of a plate it
    found as halves. A box found at both scales keeps the finer, tighter one."""
    extra = [c for c in coarse if all(iou(c.box, f.box) < 0.5 for f in fine)]
    return (fine + extra)[:max_plates]


def _area(a: tuple[float, ...]) -> float:
    return (a[2] - a[0]) * (a[3] - a[1])


def _intersection(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    return max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Intersection over union of two x1, y1, x2, y2 boxes (0 when both are empty)."""
    inter = _intersection(a, b)
    union = _area(a) + _area(b) - inter
    return inter / union if union > 0 else 0.0


def overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Intersection over the smaller box (catches a box nested in another)."""
    small = min(_area(a), _area(b))
    return _intersection(a, b) / small if small > 0 else 0.0


class PlateDetector:
    """``input_width``: frames are scaled to it. ``coarse_width`` (0 = off): a second pass
    at this smaller width, for plates too large or too blurred for the first one (the
    network was trained on plates up to ~57% of its input's width; a close-up plate at the
    first scale is found as two halves); the coarse boxes join by ``add_coarse``."""

    def __init__(self, model_path: Path, input_width: int = 512, threshold: float = 0.3,
                 max_plates: int = 8, threads: int = 1, coarse_width: int = 0) -> None:
        self.session = session(model_path, threads)
        self.input_width, self.threshold, self.max_plates = input_width, threshold, max_plates
        self.coarse_width = coarse_width

    def detect(self, image: np.ndarray) -> list[Detection]:
        """Plates in a BGR frame, best first, boxes clipped to the frame."""
        h, w = image.shape[:2]
        inp, scale = letterbox(image, self.input_width)
        dets = self._run(inp, scale)
        if self.coarse_width:  # scaled down from the first pass's input: a 1080p resize costs more
            small, f = letterbox(inp[: scaled_height(h, scale)], self.coarse_width)
            dets = add_coarse(dets, self._run(small, scale * f), self.max_plates)
        return [Detection(clip_box(d.box, w, h), d.score) for d in dets]

    def _run(self, inp: np.ndarray, scale: float) -> list[Detection]:
        heat, box = self.session.run(None, {"image": inp[None]})
        return decode(heat[0, 0], box[0], scale, self.threshold, self.max_plates)


def clip_box(box: tuple[int, int, int, int], w: int, h: int) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = box
    return max(0, x1), max(0, y1), min(w, x2), min(h, y2)
