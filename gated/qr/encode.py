"""Rendering a pass text as a QR image (commissioning, tests and the evaluation set)."""

from __future__ import annotations

import cv2
import numpy as np

_ECC = {
    "L": cv2.QRCODE_ENCODER_CORRECT_LEVEL_L,
    "M": cv2.QRCODE_ENCODER_CORRECT_LEVEL_M,
    "Q": cv2.QRCODE_ENCODER_CORRECT_LEVEL_Q,
    "H": cv2.QRCODE_ENCODER_CORRECT_LEVEL_H,
}


def modules(text: str, ecc: str = "M", quiet: int = 4) -> np.ndarray:
    """The code as uint8, one pixel per module (0 dark, 255 light), with a quiet zone."""
    params = cv2.QRCodeEncoder.Params()
    params.correction_level = _ECC[ecc]
    img = cv2.QRCodeEncoder.create(params).encode(text)
    if img is None or img.size == 0:
        raise ValueError("text too long for a QR code")
    return cv2.copyMakeBorder(img, quiet, quiet, quiet, quiet, cv2.BORDER_CONSTANT, value=255)


def bitmap(text: str, px: int = 8, ecc: str = "M") -> np.ndarray:
    """The code scaled to ``px`` pixels per module, sharp edges."""
    mods = modules(text, ecc)
    return cv2.resize(
        mods, (mods.shape[1] * px, mods.shape[0] * px), interpolation=cv2.INTER_NEAREST
    )
