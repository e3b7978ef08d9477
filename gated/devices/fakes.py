"""In-memory fakes of every hardware interface, for unit tests and the simulated lane.

They behave like the real thing at the interface: they can be told to fail
(``fail_with``) and then raise :class:`DeviceError` exactly as a broken link would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from gated.devices.interfaces import DeviceError, LaneInputs, LaneOutputs


class _Failable:
    def __init__(self) -> None:
        self.fail_with: str | None = None  # set to a reason to simulate a broken link

    def _check(self) -> None:
        if self.fail_with is not None:
            raise DeviceError(self.fail_with)


class FakeIo(_Failable):
    """An I/O module whose inputs are set by the test (or the simulator)."""

    def __init__(self, name: str = "io", inputs: LaneInputs | None = None) -> None:
        super().__init__()
        self.name = name
        self.inputs = inputs or LaneInputs(False, False, False, True)
        self.outputs = LaneOutputs()
        self.writes: list[LaneOutputs] = []
        self.connected = False

    async def connect(self) -> None:
        self._check()
        self.connected = True

    async def read_inputs(self) -> LaneInputs:
        self._check()
        return self.inputs

    async def write_outputs(self, outputs: LaneOutputs) -> None:
        self._check()
        self.outputs = outputs
        self.writes.append(outputs)

    async def close(self) -> None:
        self.connected = False


class FakeBoard(_Failable):
    """A message board that remembers what it showed."""

    def __init__(self, name: str = "board") -> None:
        super().__init__()
        self.name = name
        self.shown: list[str] = []

    async def connect(self) -> None:
        self._check()

    async def show(self, text: str) -> None:
        self._check()
        self.shown.append(text)

    async def close(self) -> None:
        return None


class FakeQrSource:
    """A QR scanner fed by ``scan(text)``."""

    def __init__(self, name: str = "scanner") -> None:
        self.name = name
        self._queue: asyncio.Queue[str] = asyncio.Queue()

    def scan(self, text: str) -> None:
        self._queue.put_nowait(text)

    async def codes(self) -> AsyncIterator[str]:
        while True:
            yield await self._queue.get()
