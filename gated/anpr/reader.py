"""Detection + OCR on one frame: the project's :class:`PlateReader`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from gated.core.plates import continuations, is_valid, plausible
from gated.devices.interfaces import PlateRead

from .detector import Detection, PlateDetector, clip_box
from .models import DETECTOR_FILE, OCR_CN_FILE, OCR_CONFIG_FILE, OCR_FILE, PROVINCE_FILE, AnprError, models_dir
from .ocr import PlateOCR
from .province import ProvinceClassifier
from .qr_guard import on_a_qr, suspect
from .routed import RoutedOCR, is_chinese
from .voting import agreement, consensus


#: Detector width of the coarse pass a close-up camera gets (``close_up_pass`` in its config).
CLOSE_UP_WIDTH = 320


@dataclass(frozen=True, slots=True)
class ReaderConfig:
    input_width: int = 512  # detector input width (frames are scaled to it)
    coarse_width: int = 0  # a second detector pass at this width (0 = off), see PlateDetector
    det_threshold: float = 0.3
    min_confidence: float = 0.3  # reads below are dropped
    valid_only: bool = True  # drop reads that are no Vietnamese or Chinese plate format
    # Crop margins (share of the box) tried in turn until a plate is read. The OCR was trained
    # on crops from 4% inside to 12% outside the plate: 3% first keeps the plate's printed
    # border out of the crop (at 8% it was often read as a leading "1"), 12% and 35% recover
    # boxes shorter than the plate.
    margins: tuple[float, ...] = (0.03, 0.12, 0.35)
    # No box read: read the whole image as one crop (a file may be a plate crop). Off for
    # cameras (``camera_config``): on lane frames it never read a plate, and cost a 1080p
    # OCR read on ~1 frame in 5.
    whole_image_fallback: bool = True
    # Also read the union of two side-by-side boxes on one text line (``joined_neighbours``):
    # a close-up plate is sometimes found as two halves. On for cameras (``camera_config``):
    # across a stream's frames it reads a split close-up. Off for files: on the real crops read
    # as files a union's valid misread came before the whole-image read (54 of 2,553 lost).
    join_halves: bool = False
    qr_guard: bool = True  # drop reads of boxes that lie on a QR code (qr_guard.py)


def camera_config(close_up_pass: bool) -> ReaderConfig:
    """The reader's settings for a camera: a close-up camera adds the coarse detector pass; a
    camera frame is a scene, never a plate crop, so no whole-image fallback; side-by-side boxes
    are read joined too (the voter pools the frames that split a plate)."""
    return ReaderConfig(coarse_width=CLOSE_UP_WIDTH if close_up_pass else 0, whole_image_fallback=False,
                        join_halves=True)


def expand(box: tuple[int, int, int, int], margin: float, w: int, h: int) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = box
    mx, my = (x2 - x1) * margin, (y2 - y1) * margin
    return clip_box((int(x1 - mx), int(y1 - my), int(x2 + mx), int(y2 + my)), w, h)


def open_ocr(d: Path) -> RoutedOCR:
    """The folder's OCR, with its Chinese specialist (and the specialist's province classifier)
    behind it when the folder has them."""
    chinese = PlateOCR(d / OCR_CN_FILE, d / OCR_CONFIG_FILE) if (d / OCR_CN_FILE).exists() else None
    province = ProvinceClassifier(d / PROVINCE_FILE) if chinese and (d / PROVINCE_FILE).exists() else None
    return RoutedOCR(PlateOCR(d / OCR_FILE, d / OCR_CONFIG_FILE), chinese, province)


class AnprReader:
    """Implements :class:`gated.devices.interfaces.PlateReader`. Not thread-safe; one per worker."""

    def __init__(self, model_dir: Path | None = None, config: ReaderConfig | None = None) -> None:
        d = model_dir or models_dir()
        self.config = config or ReaderConfig()
        self.detector = PlateDetector(d / DETECTOR_FILE, self.config.input_width, self.config.det_threshold,
                                      coarse_width=self.config.coarse_width)
        self.ocr = open_ocr(d)

    def read(self, image: np.ndarray) -> list[PlateRead]:
        return self.read_detected(image)[0]

    def read_detected(self, image: np.ndarray) -> tuple[list[PlateRead], list[Detection]]:
        """``read``, and every box the detector found (for an evaluation that scores both)."""
        image = as_bgr(image)
        h, w = image.shape[:2]
        detections = self.detector.detect(image)
        boxes = [b for b in (d.box for d in detections) if b[2] - b[0] >= 6 and b[3] - b[1] >= 3]
        reads = self._read_boxes(image, boxes + (joined_neighbours(boxes) if self.config.join_halves else []))
        if not reads and self.config.whole_image_fallback:
            whole = self._accept((0, 0, w, h), self.ocr.read([image])[0])
            reads = [whole] if whole else []
        if self.config.qr_guard:
            reads = [r for r in reads if not (suspect(r.confidence) and on_a_qr(image, r.box))]
        return reads, detections

    def read_crop(self, image: np.ndarray, vote: bool = False) -> PlateRead:
        """Read an image known to be a plate crop (no detection, no filtering).

        ``vote``: read six slightly trimmed copies and vote, as the voter does over the frames
        of a stream — for a still image, which has no other frames (``gatectl anpr --crop``).
        Six times the OCR time (~10 ms)."""
        image = as_bgr(image)
        if vote:
            text, conf = vote_reads(self.ocr.read(trimmed_copies(image), search=True))
        else:
            text, conf = self.ocr.read([image], search=True)[0]
        return PlateRead(text, conf, (0, 0, image.shape[1], image.shape[0]))

    def _read_boxes(self, image: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> list[PlateRead]:
        """Read each box (``_first_pass``); boxes that give no plate are retried at the
        remaining, looser margins in turn.

        No format-constrained search here (``read_crop`` has it): on the real and rendered
        scenes it read not one more plate as a last resort, and cost ~7 ms per box that is
        no plate (a sign, a grille), of which a lane frame has a few. The voter's next
        frames are a frame's second chance."""
        first = self._first_pass(image, boxes)
        reads = [r for r in first if r is not None]
        pending = [b for b, r in zip(boxes, first) if r is None]
        for margin in self.config.margins[2:]:
            if not pending:
                break
            got = self._read_at(image, pending, margin)
            reads += [r for r in got if r is not None]
            pending = [b for b, r in zip(pending, got) if r is None]
        return dedupe(reads)

    def _first_pass(self, image: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> list[PlateRead | None]:
        """Each box cropped at the first margin and read by the general OCR in one batch; the
        boxes whose read is not ``_settled`` cropped at the second margin too, in a second
        batch; per box the crop ``pick_margin`` keeps, if Chinese, is read again by the
        specialist (one specialist read per Chinese box, not one per margin), then accepted or not."""
        options = [[one] for one in self._read_crops(margin_crops(image, boxes, self.config.margins[:1]))]
        for margin in self.config.margins[1:2]:
            again = [i for i, (box, [(_, read)]) in enumerate(zip(boxes, options)) if not self._settled(read, box)]
            crops = margin_crops(image, [boxes[i] for i in again], (margin,))
            for i, one in zip(again, self._read_crops(crops)):
                options[i].append(one)
        picked = [pick_margin([read for _, read in opts], lambda t, c, box=box: self._acceptable(t, c, box))
                  for opts, box in zip(options, boxes)]
        chosen = [opts[k] for opts, k in zip(options, picked) if k is not None]
        final = iter(self.ocr.reread([crop for crop, _ in chosen], [read for _, read in chosen]))
        return [self._accept(box, next(final)) if k is not None else None for box, k in zip(boxes, picked)]

    def _read_crops(self, crops: list[np.ndarray]) -> list[tuple[np.ndarray, tuple[str, float]]]:
        """(crop, the general model's read) per crop, in one batch (none for no crops)."""
        return list(zip(crops, self.ocr.general.read(crops))) if crops else []

    def _settled(self, read: tuple[str, float], box: tuple[int, int, int, int]) -> bool:
        """A read no looser crop can improve on: acceptable, and no longer plate that fits the
        box starts with it (``whole_index`` keeps a looser read only when it extends this one).
        About 40% of the boxes of a lane frame: one OCR read each instead of two."""
        text, conf = read
        return self._acceptable(text, conf, box) and not any(
            self._acceptable(t, conf, box) for t in continuations(text))

    def _read_at(self, image: np.ndarray, boxes: list[tuple[int, int, int, int]],
                 margin: float) -> list[PlateRead | None]:
        """One accepted read (or None) per box cropped with ``margin`` around it, in one OCR batch."""
        reads = self.ocr.read(margin_crops(image, boxes, (margin,)))
        return [self._accept(box, read) for box, read in zip(boxes, reads)]

    def _acceptable(self, text: str, conf: float, box: tuple[int, int, int, int] | None = None) -> bool:
        if conf < self.config.min_confidence:
            return False
        if not self.config.valid_only:
            return True
        if box is None:
            return is_valid(text)
        x1, y1, x2, y2 = box
        return plausible(text, x2 - x1, y2 - y1)

    def _accept(self, box: tuple[int, int, int, int], read: tuple[str, float]) -> PlateRead | None:
        text, conf = read
        return PlateRead(text, round(conf, 3), box) if self._acceptable(text, conf, box) else None


def margin_crops(image: np.ndarray, boxes: list[tuple[int, int, int, int]],
                 margins: tuple[float, ...]) -> list[np.ndarray]:
    """Every box cropped at each margin in turn: all boxes at ``margins[0]``, then at the next."""
    h, w = image.shape[:2]
    return [image[y1:y2, x1:x2] for m in margins for x1, y1, x2, y2 in (expand(b, m, w, h) for b in boxes)]


def pick_margin(reads: list[tuple[str, float]], acceptable: Callable[[str, float], bool]) -> int | None:
    """Which of one box's crops (tightest first) to keep, from the general model's reads:
    the acceptable read ``whole_index`` keeps; with none, the first Chinese one (its
    specialist may mend it); else None (the box goes on to the looser margins)."""
    ok = [k for k, (t, c) in enumerate(reads) if acceptable(t, c)]
    best = whole_index([reads[k][0] for k in ok])
    if best is not None:
        return ok[best]
    return next((k for k, (t, _) in enumerate(reads) if is_chinese(t)), None)


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


def trimmed_copies(image: np.ndarray) -> list[np.ndarray]:
    """The crop, and five copies trimmed by 2% of the width / 4% of the height: all sides,
    left, right, top, bottom — the small shifts between the frames of a stream."""
    h, w = image.shape[:2]
    dx, dy = max(1, round(w * 0.02)), max(1, round(h * 0.04))
    return [image, image[dy : h - dy, dx : w - dx], image[:, dx:], image[:, : w - dx], image[dy:], image[: h - dy]]


def vote_reads(reads: list[tuple[str, float]]) -> tuple[str, float]:
    """Consensus of several reads of one plate (valid reads only, when there are any), with
    its ``agreement`` over all the reads."""
    valid = [(t, c) for t, c in reads if is_valid(t)] or reads
    text = consensus(valid)
    return text, round(agreement(reads, text), 3)


def whole_index(texts: list[str]) -> int | None:
    """The first (tightest) read, unless a later one extends it: a box shorter than the plate
    cuts its last characters, and the cut plate is often still a valid, shorter plate
    (``65SV4759`` for ``65SV47593``)."""
    if not texts:
        return None
    best = 0
    for k, text in enumerate(texts[1:], 1):
        if len(text) > len(texts[best]) and text.startswith(texts[best]):
            best = k
    return best


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
