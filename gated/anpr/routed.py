"""A Chinese-plate specialist behind the general OCR.

The general model reads every crop. A crop it reads in a Chinese format (the first
character a province) is read again by the specialist, whose read replaces it when it is
Chinese too. So Vietnamese plates are read exactly as by the general model alone, and the
specialist can be trained on Chinese plates without costing the Vietnamese ones anything;
the extra OCR runs only on Chinese plates.

A province classifier (``province``), when shipped, gives a second opinion on the first
character of each Chinese read the specialist makes (``province.combine``). Both read the
crop straightened first (``deslant``): real Chinese crops lean more than their training
plates did.
"""

from __future__ import annotations

from typing import Callable, Protocol

import numpy as np

from gated.core.plates import CN_PROVINCES, is_valid

from .deslant import straighten
from .province import combine, unsure


class Reads(Protocol):
    def read(self, crops: list[np.ndarray], search: bool = False) -> list[tuple[str, float]]: ...

    def read_with_provinces(self, crops: list[np.ndarray], search: bool = False
                            ) -> tuple[list[tuple[str, float]], np.ndarray]: ...


class Classifies(Protocol):
    def probs(self, crops: list[np.ndarray]) -> np.ndarray: ...


#: A Chinese read of the general model this sure (its weakest character) and a valid plate is
#: kept as it is: on the rendered Chinese sets the specialist changed none of them (0.97: one
#: for the worse); the specialist is spared for ~8-28% of the Chinese crops.
GENERAL_SURE = 0.99


def is_chinese(text: str) -> bool:
    """Starts with a province: a Chinese read, valid or not (``plates.country_of`` would
    send only valid ones; an invalid Chinese read is one the specialist may mend)."""
    return bool(text) and text[0] in CN_PROVINCES


class RoutedOCR:
    """``general`` reads all; ``chinese`` (None: no specialist shipped) re-reads Chinese reads;
    ``province`` (None: none shipped) re-judges the province of the specialist's Chinese reads;
    ``prepare`` turns a crop into what those two read (default: ``deslant.straighten``)."""

    def __init__(self, general: Reads, chinese: Reads | None, province: Classifies | None = None,
                 prepare: Callable[[np.ndarray], np.ndarray] = straighten) -> None:
        self.general, self.chinese, self.province, self.prepare = general, chinese, province, prepare

    def read(self, crops: list[np.ndarray], search: bool = False) -> list[tuple[str, float]]:
        """As ``PlateOCR.read``; Chinese reads come from the specialist when it agrees they are Chinese."""
        return self.reread(crops, self.general.read(crops, search), search)

    def reread(self, crops: list[np.ndarray], reads: list[tuple[str, float]], search: bool = False
               ) -> list[tuple[str, float]]:
        """``reads`` (the general model's, one per crop) with each Chinese one replaced by the
        specialist's read of its crop when that is Chinese too; a valid Chinese read the general
        model is sure of (``GENERAL_SURE``) is kept without asking the specialist."""
        reads = list(reads)
        again = [i for i, (text, conf) in enumerate(reads)
                 if is_chinese(text) and not (conf >= GENERAL_SURE and is_valid(text))]
        if not again or not self.chinese:
            return reads
        straight = [self.prepare(crops[i]) for i in again]
        for i, read in zip(again, self._specialist(self.chinese, straight, search)):
            if is_chinese(read[0]):
                reads[i] = read
        return reads

    def _specialist(self, chinese: Reads, crops: list[np.ndarray], search: bool) -> list[tuple[str, float]]:
        """The specialist's reads of ``crops``; with a province classifier, the province of each
        Chinese one the specialist is ``unsure`` of is the two opinions' ``combine`` (the
        classifier runs on those crops only)."""
        if self.province is None:
            return chinese.read(crops, search)
        reads, first = chinese.read_with_provinces(crops, search)
        judged = [k for k, (text, _) in enumerate(reads) if is_chinese(text) and unsure(first[k])]
        for k, opinion in zip(judged, self.province.probs([crops[k] for k in judged])):
            text, conf = reads[k]
            reads[k] = (combine(text, first[k], opinion), conf)
        return reads
