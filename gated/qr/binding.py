"""Binding a verified pass to the vehicle in front of the barrier.

A valid QR pass proves that central issued it for plate ``plt``; it does not prove that
the truck showing it is that truck. :func:`bind` compares the pass's plate with the plate
ANPR read for this passage and turns a valid verdict into ``qr_plate_mismatch`` or
``plate_unread`` when they do not match exactly.

**No fuzzy matching.** Both sides are normalised (contract "Plates") and must be equal.
OCR-confusion matching (``8``/``B``, ``0``/``D``, ...) is deliberately not applied here:
``29C12345`` and ``29C12845`` are different trucks, and a pass is a bearer token that can
be photographed and shown by anyone. A near miss (:func:`is_near_miss`) is still a
mismatch; the decision engine may send it to an operator, never auto-grant it.
"""

from __future__ import annotations

from dataclasses import replace

from gated.core import plates
from gated.qr.verdict import QrVerdict


def is_near_miss(pass_plate: str | None, plate_read: str | None) -> bool:
    """True when the two plates differ but read the same up to OCR confusions (and, on
    Chinese plates, the province character): :func:`gated.core.plates.is_near_miss`."""
    if not pass_plate or not plate_read:
        return False
    return plates.is_near_miss(plates.normalise(pass_plate), plates.normalise(plate_read))


def bind(
    verdict: QrVerdict, plate_read: str | None, *, trailer_read: str | None = None
) -> QrVerdict:
    """Apply the plate binding to a verdict from :func:`gated.qr.verify`. Pure.

    * A rejected verdict is returned unchanged (its reason stands).
    * No plate read (``None`` or blank): ``plate_unread``.
    * Normalised plate read != the pass's plate: ``qr_plate_mismatch``.
    * When the pass names a trailer and a trailer plate was read (rear camera), they must
      match too (``qr_plate_mismatch``); with no trailer read, only the tractor is bound.
    """
    if not verdict.ok:
        return verdict
    read = plates.normalise(plate_read) if plate_read is not None else ""
    if not read:
        return verdict.rejected("plate_unread", "no plate read to bind the pass to")
    if read != verdict.plate:
        near = " (OCR-confusable: operator check)" if is_near_miss(verdict.plate, read) else ""
        return verdict.rejected(
            "qr_plate_mismatch", f"pass is for {verdict.plate}, plate read {read}{near}"
        )
    trailer = plates.normalise(trailer_read) if trailer_read else ""
    if trailer and verdict.trailer_plate and trailer != verdict.trailer_plate:
        return verdict.rejected(
            "qr_plate_mismatch", f"pass trailer {verdict.trailer_plate}, trailer read {trailer}"
        )
    return replace(verdict, detail=f"valid, bound to plate {read}")
