"""Detection + OCR on one frame: the project's :class:`PlateReader`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from gated.core.plates import is_valid
from gated.devices.interfaces import PlateRead

from .detector import Detection, PlateDetector, clip_box
from .models import DETECTOR_FILE, OCR_CONFIG_FILE, OCR_FILE, AnprError, models_dir
from .ocr import PlateOCR


@dataclass(frozen=True, slots=True)
class ReaderConfig:
    input_width: int = 512  # detector input width (frames are scaled to it)
    det_threshold: float = 0.3
    min_confidence: float = 0.3  # reads below are dropped
    valid_only: bool = True  # drop reads that are no Vietnamese or Chinese plate format
    margins: tuple[float, ...] = (0.08, 0.35)  # crop margins tried in turn until a plate is read
    whole_image_fallback: bool = True  # nothing detected: read the whole image as a crop


def expand(box: tuple[int, int, int, int], margin: float, w: int, h: int) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = box
    mx, my = (x2 - x1) * margin, (y2 - y1) * margin
    return clip_box((int(x1 - mx), int(y1 - my), int(x2 + mx), int(y2 + my)), w, h)


class AnprReader:
    """Implements :class:`gated.devices.interfaces.PlateReader`. Not thread-safe; one per worker."""

    def __init__(self, model_dir: Path | None = None, config: ReaderConfig | None = None) -> None:
        d = model_dir or models_dir()
        self.config = config or ReaderConfig()
        self.detector = PlateDetector(d / DETECTOR_FILE, self.config.input_width, self.config.det_threshold)
        self.ocr = PlateOCR(d / OCR_FILE, d / OCR_CONFIG_FILE)

    def read(self, image: np.ndarray) -> list[PlateRead]:
        image = as_bgr(image)
        h, w = image.shape[:2]
        boxes = [d.box for d in self.detector.detect(image)]
        boxes = [b for b in boxes if b[2] - b[0] >= 6 and b[3] - b[1] >= 3]
        reads = self._read_boxes(image, boxes + joined_neighbours(boxes))
        if not reads and self.config.whole_image_fallback:
            reads = self._accept([(0, 0, w, h)], self.ocr.read([image]))
        return reads

    def read_crop(self, image: np.ndarray) -> PlateRead:
        """Read an image known to be a plate crop (no detection, no filtering)."""
        image = as_bgr(image)
        text, conf = self.ocr.read([image])[0]
        return PlateRead(text, conf, (0, 0, image.shape[1], image.shape[0]))

    def _read_boxes(self, image: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> list[PlateRead]:
        """OCR each box with a tight margin; boxes that give no plate are retried looser."""
        h, w = image.shape[:2]
        reads: list[PlateRead] = []
        pending = boxes
        for margin in self.config.margins:
            if not pending:
                break
            crops_at = [expand(b, margin, w, h) for b in pending]
            got = self._accept(pending, self.ocr.read([image[y1:y2, x1:x2] for x1, y1, x2, y2 in crops_at]))
            done = {r.box for r in got}
            reads += got
            pending = [b for b in pending if b not in done]
        return dedupe(reads)

    def _accept(self, boxes: list[tuple[int, int, int, int]], results: list[tuple[str, float]]) -> list[PlateRead]:
        out = []
        for box, (text, conf) in zip(boxes, results):
            if conf >= self.config.min_confidence and (is_valid(text) or not self.config.valid_only):
                out.append(PlateRead(text, round(conf, 3), box))
        return out


def joined_neighbours(boxes: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Unions of side-by-side boxes on one text line: a close-up plate is sometimes found
    as two halves. The union is read as one more candidate."""
    out = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            left, right = (a, b) if a[0] <= b[0] else (b, a)
            ha, hb = a[3] - a[1], b[3] - b[1]
            v_overlap = min(a[3], b[3]) - max(a[1], b[1])
            gap = right[0] - left[2]
            if v_overlap > 0.5 * min(ha, hb) and gap < 0.6 * max(ha, hb) and max(ha, hb) < 2 * min(ha, hb):
                out.append((left[0], min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])))
    return out


def dedupe(reads: list[PlateRead]) -> list[PlateRead]:
    """One read per text (the most confident)."""
    best: dict[str, PlateRead] = {}
    for r in reads:
        if r.text not in best or r.confidence > best[r.text].confidence:
            best[r.text] = r
    return list(best.values())


def check_image(image: object) -> None:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim not in (2, 3):
        raise AnprError("expected a uint8 image array (BGR or grey)")
    if image.shape[0] < 8 or image.shape[1] < 8:
        raise AnprError(f"image too small: {image.shape[1]}x{image.shape[0]}")
    if image.ndim == 3 and image.shape[2] not in (1, 3, 4):
        raise AnprError(f"unsupported channel count: {image.shape[2]}")


def as_bgr(image: np.ndarray) -> np.ndarray:
    """Validate and convert grey/BGRA images to BGR."""
    check_image(image)
    if image.ndim == 2 or image.shape[2] == 1:
        return cv2.cvtColor(image.reshape(image.shape[:2]), cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


__all__ = ["AnprReader", "Detection", "ReaderConfig", "check_image", "expand"]
