"""A QR pass held up in the windscreen is not a plate.

The lane's front camera sees the cab window, where drivers show their QR pass (the spec's
camera-scanned QR). The plate detector was trained on scenes without QR codes and now and
then boxes a patch of one — its dense black-and-white modules look like characters — and the
OCR reads that patch as some plate at low confidence (0.31-0.45 measured). Two such reads of a
pass held still were enough for the voter to decide a passage on a plate nobody showed.

So a read whose box lies on a QR code is dropped. The check looks for a QR code (zxing-cpp,
already the lane's QR decoder) in a region around the box — the box is a patch *inside* the
code, so the region reaches ``REACH`` box-sizes beyond it — decimated to at most
``MAX_SIDE`` pixels. A code that is found but fails its error correction still counts: it is
the finder patterns that say "QR", not the payload; a light-on-dark code (a phone in dark
mode) counts too. The check costs ~0.45 ms per read on this machine (region 0.13 ms, zxing
0.19 ms, its light-on-dark try 0.13 ms), so only reads below ``CHECK_BELOW`` are: the OCR,
never trained on QR codes, reads a patch of one with every character unsure (0.31-0.45 in
all 14 misfires found), while a plate it reads whole is mostly above 0.9.

A distant code is not found (the demo's passes below ~120 px wide, ~1.5 pixels per module;
tests/anpr/test_qr_guard.py checks down to 0.6 of the stop-line size, ~200 px), so this
narrows the problem rather than closing it; a detector trained with QR cards in its scenes
would close it (``scripts/train_detector.py --qr-share``).
"""

from __future__ import annotations

import numpy as np
import zxingcpp

from gated.qr.decode import position_box

Box = tuple[int, int, int, int]

REACH = 2.0  # the region searched: the box's longer side this many times beyond each edge
MAX_SIDE = 800  # the region is decimated to this, at most (pixels, longer side)
ON_CODE = 0.1  # a box whose centre lies within a code's box grown by this share is on it
CHECK_BELOW = 0.8  # reads at or above this confidence are not checked (see the docstring)


def _region(image: np.ndarray, box: Box) -> tuple[np.ndarray, int, int, int]:
    """The region around ``box`` as one grey channel, its top-left corner and the step it
    was decimated by. Every ``step``-th pixel of the green channel: a code is black on white
    in every channel, its modules are several pixels wide where the detector can box a patch
    of them, and this is a third of the time of a grey conversion (0.13 vs 0.36 ms for a
    1500x1080 region)."""
    h, w = image.shape[:2]
    x1, y1, x2, y2 = box
    pad = int(REACH * max(x2 - x1, y2 - y1))
    rx1, ry1, rx2, ry2 = max(0, x1 - pad), max(0, y1 - pad), min(w, x2 + pad), min(h, y2 + pad)
    step = -(-max(ry2 - ry1, rx2 - rx1) // MAX_SIDE)
    region = image[ry1:ry2:step, rx1:rx2:step]
    if region.ndim == 3:
        region = region[:, :, 1]
    return np.ascontiguousarray(region), rx1, ry1, step


def qr_boxes_near(image: np.ndarray, box: Box) -> list[Box]:
    """Boxes (frame pixels) of the QR codes found around ``box``, decodable or not."""
    region, ox, oy, step = _region(image, box)
    if min(region.shape[:2]) < 21:  # smaller than a version-1 code at one pixel per module
        return []
    found = zxingcpp.read_barcodes(region, formats=zxingcpp.BarcodeFormat.QRCode,
                                   try_rotate=False, try_downscale=False, try_invert=True,
                                   return_errors=True)  # invert: phones in dark mode
    boxes = [position_box(code.position) for code in found]
    return [(ox + x1 * step, oy + y1 * step, ox + x2 * step, oy + y2 * step) for x1, y1, x2, y2 in boxes]


def lies_on(box: Box, code: Box) -> bool:
    """Whether ``box``'s centre lies within ``code`` grown by ``ON_CODE`` on every side."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    gx, gy = ON_CODE * (code[2] - code[0]), ON_CODE * (code[3] - code[1])
    return code[0] - gx <= cx <= code[2] + gx and code[1] - gy <= cy <= code[3] + gy


def on_a_qr(image: np.ndarray, box: Box) -> bool:
    """Whether the plate box ``box`` is a patch of a QR code in ``image``."""
    return any(lies_on(box, code) for code in qr_boxes_near(image, box))


def suspect(confidence: float) -> bool:
    """Whether a read this unsure is checked with :func:`on_a_qr`."""
    return confidence < CHECK_BELOW
