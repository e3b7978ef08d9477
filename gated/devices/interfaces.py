"""The hardware boundary: small interfaces every driver implements.

The lane controller never sees a driver; the runtime polls drivers and turns what they
report into controller inputs (``gated.core.inputs``), and turns controller outputs into
driver calls. Each interface has an in-memory fake in ``gated.devices.fakes`` used by unit
tests and by the simulated demo lane; real drivers live in their own modules.

A driver signals a broken link by raising :class:`DeviceError` with a short reason; the
runtime turns that into ``device.fault`` and reconnects with backoff.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

import numpy as np

BarrierCommand = Literal["open", "close", "hold"]
Light = Literal["red", "green", "off"]


class DeviceError(Exception):
    """A device could not be reached or answered garbage. ``str(exc)`` is the reason."""


@dataclass(frozen=True, slots=True)
class LaneInputs:
    """One consistent reading of the lane's digital inputs (after polarity)."""

    presence: bool
    safety: bool
    open_limit: bool
    closed_limit: bool


@dataclass(frozen=True, slots=True)
class LaneOutputs:
    """What the lane's outputs should be. Drivers map this onto coils (pulse or hold)."""

    barrier: BarrierCommand = "hold"
    light: Light = "red"


class IoModule(Protocol):
    """Barrier, lights, loops and limit switches (a Modbus I/O module or PLC)."""

    name: str

    async def connect(self) -> None: ...

    async def read_inputs(self) -> LaneInputs: ...

    async def write_outputs(self, outputs: LaneOutputs) -> None: ...

    async def close(self) -> None: ...


class MessageBoard(Protocol):
    """The LED board facing the driver."""

    name: str

    async def connect(self) -> None: ...

    async def show(self, text: str) -> None: ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded camera frame. ``image`` is BGR uint8 (OpenCV convention)."""

    camera: str
    index: int
    monotonic: float  # time.monotonic() when the frame was grabbed
    image: np.ndarray = field(repr=False, compare=False)


class FrameSource(Protocol):
    """A camera: always offers its latest frame, never a backlog."""

    name: str

    async def start(self) -> None: ...

    def latest(self) -> Frame | None: ...

    async def stop(self) -> None: ...


@dataclass(frozen=True, slots=True)
class PlateRead:
    """One plate found in one frame: normalised text, confidence 0..1, pixel box."""

    text: str
    confidence: float
    box: tuple[int, int, int, int]


@runtime_checkable
class PlateReader(Protocol):
    """Detection + OCR on one frame (CPU bound; the runtime calls it off the event loop)."""

    def read(self, image: np.ndarray) -> list[PlateRead]: ...


class QrSource(Protocol):
    """Yields raw QR text as scanned (a serial scanner, or codes decoded from a camera)."""

    name: str

    def codes(self) -> AsyncIterator[str]: ...
