"""Passes as the central platform defines them, and an immutable in-memory index.

A pass is what an enterprise's declaration becomes: the plate (and trailer) allowed
through, the direction, the lanes, a validity window and whether it is single use.
``PassBook`` is the lane's read-only view of its synced passes, rebuilt by the shell when
the store changes, and handed to the pure decision engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gated.core import plates

PassStatus = Literal["active", "used", "revoked"]
Direction = Literal["in", "out", "any"]


class Pass(BaseModel):
    """One pass, validated. Extra fields from central are kept (the contract may grow)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str = Field(min_length=1, max_length=64)
    plate: str = Field(min_length=1, max_length=plates.MAX_PLATE_LEN + 8)
    trailer_plate: str | None = None
    kind: str = "vehicle"
    direction: Direction = "any"
    lanes: list[str] | None = None
    valid_from: datetime
    valid_to: datetime
    single_use: bool = True
    status: PassStatus = "active"
    company: str | None = None
    declaration: str | None = None
    display: str | None = None

    @field_validator("plate", "trailer_plate")
    @classmethod
    def _normalise(cls, v: str | None) -> str | None:
        return plates.normalise(v) if v is not None else None

    @field_validator("valid_from", "valid_to")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("timestamp needs an explicit offset (RFC 3339)")
        return v

    def window_contains(self, wall: float) -> bool:
        return self.valid_from.timestamp() <= wall <= self.valid_to.timestamp()

    def serves_lane(self, lane: str) -> bool:
        return self.lanes is None or lane in self.lanes

    def serves_direction(self, direction: str) -> bool:
        return self.direction == "any" or self.direction == direction


@dataclass(frozen=True)
class PassBook:
    """Passes indexed by id, by plate, by OCR-confusion key and by near key. Immutable."""

    version: int = 0
    by_id: Mapping[str, Pass] = field(default_factory=dict)
    by_plate: Mapping[str, tuple[Pass, ...]] = field(default_factory=dict)
    by_key: Mapping[str, tuple[Pass, ...]] = field(default_factory=dict)
    by_near: Mapping[str, tuple[Pass, ...]] = field(default_factory=dict)

    @classmethod
    def build(cls, passes: list[Pass] | tuple[Pass, ...], version: int = 0) -> PassBook:
        by_id = {p.id: p for p in passes}
        by_plate: dict[str, list[Pass]] = {}
        by_key: dict[str, list[Pass]] = {}
        by_near: dict[str, list[Pass]] = {}
        for p in by_id.values():
            by_plate.setdefault(p.plate, []).append(p)
            by_key.setdefault(plates.confusion_key(p.plate), []).append(p)
            by_near.setdefault(plates.near_key(p.plate), []).append(p)
        return cls(version, by_id, *({k: tuple(v) for k, v in index.items()}
                                     for index in (by_plate, by_key, by_near)))

    def __len__(self) -> int:
        return len(self.by_id)

    def get(self, pass_id: str) -> Pass | None:
        return self.by_id.get(pass_id)

    def exact(self, plate: str) -> tuple[Pass, ...]:
        return self.by_plate.get(plate, ())

    def fuzzy(self, plate: str) -> tuple[Pass, ...]:
        """Passes whose plate reads the same as ``plate`` up to OCR confusions, excluding exact."""
        return tuple(p for p in self.by_key.get(plates.confusion_key(plate), ()) if p.plate != plate)

    def near(self, plate: str) -> tuple[Pass, ...]:
        """Passes that only a near miss links to ``plate``: a Chinese plate with another
        province character (and the rest equal up to OCR confusions). Excludes ``fuzzy``."""
        key = plates.confusion_key(plate)
        return tuple(p for p in self.by_near.get(plates.near_key(plate), ())
                     if plates.confusion_key(p.plate) != key)

    def with_pass(self, p: Pass) -> PassBook:
        """A copy with ``p`` inserted or replaced (used for single-use bookkeeping)."""
        others = [q for q in self.by_id.values() if q.id != p.id]
        return PassBook.build([*others, p], self.version)
