"""A Chinese-plate specialist behind the general OCR.

The general model reads every crop. A crop it reads in a Chinese format (the first
character a province) is read again by the specialist, whose read replaces it when it is
Chinese too. So Vietnamese plates are read exactly as by the general model alone, and the
specialist can be trained on Chinese plates without costing the Vietnamese ones anything;
the extra OCR runs only on Chinese plates.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from gated.core.plates import CN_PROVINCES


class Reads(Protocol):
    def read(self, crops: list[np.ndarray], search: bool = False) -> list[tuple[str, float]]: ...


def is_chinese(text: str) -> bool:
    """Starts with a province: a Chinese read, valid or not (``plates.country_of`` would
    send only valid ones; an invalid Chinese read is one the specialist may mend)."""
    return bool(text) and text[0] in CN_PROVINCES


class RoutedOCR:
    """``general`` reads all; ``chinese`` (None: no specialist shipped) re-reads Chinese reads."""

    def __init__(self, general: Reads, chinese: Reads | None) -> None:
        self.general, self.chinese = general, chinese

    def read(self, crops: list[np.ndarray], search: bool = False) -> list[tuple[str, float]]:
        """As ``PlateOCR.read``; Chinese reads come from the specialist when it agrees they are Chinese."""
        return self.reread(crops, self.general.read(crops, search), search)

    def reread(self, crops: list[np.ndarray], reads: list[tuple[str, float]], search: bool = False
               ) -> list[tuple[str, float]]:
        """``reads`` (the general model's, one per crop) with each Chinese one replaced by the
        specialist's read of its crop when that is Chinese too."""
        reads = list(reads)
        again = [i for i, (text, _) in enumerate(reads) if is_chinese(text)]
        if again and self.chinese:
            for i, read in zip(again, self.chinese.read([crops[i] for i in again], search)):
                if is_chinese(read[0]):
                    reads[i] = read
        return reads
