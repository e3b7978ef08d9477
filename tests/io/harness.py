"""An :class:`IoLink` around a real driver, recording what the runtime would see."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from gated.devices.interfaces import LaneInputs
from gated.devices.link import Backoff, Health, HealthReporter, IoLink
from gated.devices.modbus import ModbusIoConfig, build
from gated.devices.serial import SerialBarrierConfig, with_barrier
from scripts.peers.processes import WAIT_S

FAST = Backoff(0.1, 2.0, 1.0)  # tests wait for recovery: keep the backoff short


@dataclass
class Seen:
    """What the runtime saw: readings, faults and recoveries, stamped with monotonic time."""

    inputs: list[tuple[float, LaneInputs]] = field(default_factory=list)
    faults: list[tuple[float, str]] = field(default_factory=list)
    recovered: list[float] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def on_inputs(self, inputs: LaneInputs) -> None:
        if not self.inputs or self.inputs[-1][1] != inputs:
            self.inputs.append((time.monotonic(), inputs))
            self._poke()

    async def on_fault(self, _name: str, reason: str) -> None:
        self.faults.append((time.monotonic(), reason))
        self._poke()

    async def on_recovered(self, _name: str) -> None:
        self.recovered.append(time.monotonic())
        self._poke()

    def _poke(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()

    @property
    def current(self) -> LaneInputs | None:
        return self.inputs[-1][1] if self.inputs else None

    async def until(self, pred: Callable[[], object], timeout: float = WAIT_S, what: str = "") -> object:
        deadline = time.monotonic() + timeout
        while not (result := pred()):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {what or pred}; inputs={self.current} "
                                     f"faults={self.faults} recovered={self.recovered}")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(left, 0.1)):
                    await self.changed.wait()
        return result


def modbus_cfg(**kw) -> ModbusIoConfig:
    return ModbusIoConfig.model_validate({"driver": "modbus", **kw})


@contextlib.asynccontextmanager
async def running_link(cfg: ModbusIoConfig, backoff: Backoff = FAST,
                       barrier: SerialBarrierConfig | None = None):
    """Start an IoLink over the real driver for ``cfg`` (and the ``barrier`` controller if
    given, as the daemon does); yields (link, seen)."""
    seen = Seen()
    module = with_barrier(build(cfg), barrier)
    reporter = HealthReporter(Health(cfg.name, "io"), seen.on_fault, seen.on_recovered)
    link = IoLink(module, reporter, seen.on_inputs, poll_interval_s=module.poll_interval_s,
                  backoff=backoff)
    task = asyncio.create_task(link.run())
    try:
        yield link, seen
    finally:
        await stop_task(task)
        await module.close()


async def stop_task(task: asyncio.Task) -> None:
    """Cancel a link's task and make sure it ended (a test must never hang here)."""
    task.cancel()
    await asyncio.wait({task}, timeout=WAIT_S)
    assert task.done(), "the link did not stop when cancelled"
    if not task.cancelled() and task.exception() is not None:
        raise task.exception()
