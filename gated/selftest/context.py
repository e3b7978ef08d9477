"""What every check family gets: the config, the options, and how to reach the devices.

Two modes, one set of checks:

* ``standalone`` -- gated is stopped; the checks open the devices themselves from the
  config (a Modbus connection, the serial ports, the store read-only, the cameras);
* ``daemon`` -- gated runs and owns its devices; the checks run inside it (control socket
  ``selftest`` command, or central's ``selftest.run``) and read the live links' health and
  readings instead of opening the devices a second time.

Cameras, the broker, the store (read-only), the clock and the model files are reached
the same way in both modes.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from gated.config.schema import LaneConfig
from gated.selftest.report import Result

Mode = Literal["standalone", "daemon"]
DEFAULT_CREDENTIALS = Path("/etc/gated/credentials")  # LoadCredential= sources in the unit


@dataclass(frozen=True)
class Options:
    yes: bool = False  # allowed to move hardware: barrier cycle and light sequence
    only: tuple[str, ...] = ()  # check families to run; empty: all
    scan_wait_s: float = 0.0  # standalone: wait this long for a code on the serial scanner
    out_dir: Path | None = None  # snapshots; default: <store dir>/selftest
    credentials_dir: Path = DEFAULT_CREDENTIALS  # standalone: MQTT secrets as installed

    def wants(self, family: str) -> bool:
        return not self.only or family in self.only


@dataclass
class Context:
    cfg: LaneConfig
    options: Options
    mode: Mode = "standalone"
    app: Any = None  # the running gated.daemon.app.Daemon in daemon mode
    shared: dict[str, Any] = field(default_factory=dict)  # between families (e.g. frames)

    @property
    def snapshot_dir(self) -> Path:
        return self.options.out_dir or Path(self.cfg.store.path).parent / "selftest"

    def with_options(self, **changes: Any) -> Context:
        return replace(self, options=replace(self.options, **changes))


Emit = Callable[[Result], Awaitable[None]]


class Recorder:
    """Hands a family's results on, each timed since the previous one of that family."""

    def __init__(self, emit: Emit) -> None:
        self._emit = emit
        self._last = time.monotonic()
        self.results: list[Result] = []

    def restart(self) -> None:
        self._last = time.monotonic()

    async def __call__(self, result: Result) -> None:
        now = time.monotonic()
        result = result.timed(now - self._last)
        self._last = now
        self.results.append(result)
        await self._emit(result)
