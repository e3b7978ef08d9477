"""Camera frames to QR codes: text and pixel box, QR only, never a guess.

Two backends behind one small interface: ``zxing`` (the ``zxing-cpp`` package) and
``zbar`` (``pyzbar`` over Debian's ``libzbar0``). Both are restricted to QR codes and
both only report a code whose Reed-Solomon error correction succeeded, so a frame with no
code yields nothing. :func:`make_decoder` builds the configured chain. The default
``auto`` is zxing alone (zbar only if zxing-cpp is not installed): on the evaluation set
zxing decodes every code zbar does and more (dark-mode phones, strong perspective) at a
twentieth of the CPU time, and zbar as a fallback added no code while costing ~90 ms on
every frame without one (README, "QR passes"). ``zxing+zbar`` remains available.

The backends are imported lazily: the verifier does not need them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import cv2
import numpy as np

#: Longest decoded text kept (the verifier bounds it again; this bounds memory and logs).
MAX_CODE_BYTES = 4096
BACKENDS = ("zxing", "zbar")


class DecoderUnavailable(RuntimeError):
    """A backend's library is not installed; the message says which package to install."""


@dataclass(frozen=True, slots=True)
class QrCode:
    """One decoded code: its text and axis-aligned box ``(x1, y1, x2, y2)`` in frame pixels."""

    text: str
    box: tuple[int, int, int, int]
    backend: str

    def as_json(self) -> dict[str, Any]:
        return {"text": self.text, "box": list(self.box)}


class Backend(Protocol):
    name: str

    def decode(self, gray: np.ndarray) -> list[QrCode]: ...


def _text(raw: bytes) -> str | None:
    if len(raw) > MAX_CODE_BYTES:
        return None
    return raw.decode("utf-8", errors="replace")


def _box(points: Sequence[tuple[float, float]]) -> tuple[int, int, int, int]:
    xs = [round(p[0]) for p in points]
    ys = [round(p[1]) for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def position_box(position: Any) -> tuple[int, int, int, int]:
    """The axis-aligned box ``(x1, y1, x2, y2)`` of a zxing-cpp result's ``position``."""
    corners = (position.top_left, position.top_right, position.bottom_right, position.bottom_left)
    return _box([(c.x, c.y) for c in corners])


class ZxingBackend:
    name = "zxing"

    def __init__(self) -> None:
        try:
            import zxingcpp
        except ImportError as exc:
            raise DecoderUnavailable("zxing backend needs the zxing-cpp package") from exc
        self._zx = zxingcpp

    def decode(self, gray: np.ndarray) -> list[QrCode]:
        zx = self._zx
        # try_invert: phones in dark mode show light-on-dark codes. try_downscale off:
        # at lane distances it found nothing more and cost a third of the time.
        found = zx.read_barcodes(
            gray, formats=zx.BarcodeFormat.QRCode, try_invert=True, try_downscale=False
        )
        out = []
        for r in found:
            text = _text(r.bytes) if r.valid else None
            if text is not None:
                out.append(QrCode(text, position_box(r.position), self.name))
        return out


class ZbarBackend:
    name = "zbar"

    def __init__(self) -> None:
        try:
            from pyzbar import pyzbar  # type: ignore[import-untyped]
        except (ImportError, OSError) as exc:  # OSError-ish when libzbar0 is missing
            raise DecoderUnavailable(
                "zbar backend needs the pyzbar package and Debian's libzbar0"
            ) from exc
        self._zbar = pyzbar

    def decode(self, gray: np.ndarray) -> list[QrCode]:
        zb = self._zbar
        out = []
        for r in zb.decode(gray, symbols=[zb.ZBarSymbol.QRCODE]):
            text = _text(r.data)
            if text is not None and r.type == "QRCODE":
                out.append(QrCode(text, _box([(p.x, p.y) for p in r.polygon]), self.name))
        return out


def to_gray(image: np.ndarray) -> np.ndarray:
    """A contiguous uint8 single-channel image from BGR, BGRA or grey input."""
    if image.dtype != np.uint8:
        raise ValueError(f"frame dtype {image.dtype}, expected uint8")
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    if image.ndim == 2:
        return np.ascontiguousarray(image)
    raise ValueError(f"frame shape {image.shape} is not an image")


class QrDecoder:
    """Backends tried in order; the next one runs only when the previous found nothing."""

    def __init__(self, backends: Sequence[Backend]) -> None:
        if not backends:
            raise ValueError("no QR backend")
        self.backends = tuple(backends)

    @property
    def name(self) -> str:
        return "+".join(b.name for b in self.backends)

    def decode(self, image: np.ndarray) -> list[QrCode]:
        gray = to_gray(image)
        for backend in self.backends:
            codes = backend.decode(gray)
            if codes:
                return _dedupe(codes)
        return []


def _dedupe(codes: list[QrCode]) -> list[QrCode]:
    seen: set[tuple[str, tuple[int, int, int, int]]] = set()
    out = []
    for c in codes:
        if (c.text, c.box) not in seen:
            seen.add((c.text, c.box))
            out.append(c)
    return out


def make_backend(name: str) -> Backend:
    if name == "zxing":
        return ZxingBackend()
    if name == "zbar":
        return ZbarBackend()
    raise ValueError(f"unknown QR backend {name!r}; choose from {', '.join(BACKENDS)}")


def make_decoder(spec: str = "auto") -> QrDecoder:
    """``auto`` (the first installed of zxing, zbar), or ``zxing``, ``zbar``, ``zxing+zbar``."""
    if spec == "auto":
        for name in BACKENDS:
            try:
                return QrDecoder([make_backend(name)])
            except DecoderUnavailable:
                continue
        raise DecoderUnavailable("no QR backend installed: pip install zxing-cpp")
    return QrDecoder([make_backend(n.strip()) for n in spec.split("+") if n.strip()])
