"""Building the lane's devices from the config and wiring them to the runtime.

Each device sits behind a supervised link (``gated.devices.link``) that reports its health
to the runtime, which turns it into ``device.fault`` / ``device.recovered``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any, Coroutine

from gated.config.schema import LaneConfig, SimIoSection
from gated.daemon.qr_feed import QrFeed
from gated.daemon.runtime import LaneRuntime
from gated.devices import modbus, serial
from gated.devices.fakes import FakeBoard, FakeIo
from gated.devices.interfaces import DeviceError, IoModule, LaneOutputs
from gated.devices.link import BoardLink, Health, HealthReporter, IoLink, ScannerLink
from gated.qr import Keyring
from gated.sim.lane import SimLane

#: A loop that has not reported progress for this long is considered stuck.
MAX_QUIET_S = 30.0


@dataclass
class Devices:
    io_link: IoLink
    qr: QrFeed
    board_link: BoardLink | None = None
    scanner_link: ScannerLink | None = None
    sim: SimLane | None = None
    extra_loops: list[tuple[str, Coroutine]] = field(default_factory=list)

    def loops(self) -> list[tuple[str, Coroutine[Any, Any, None]]]:
        out: list[tuple[str, Coroutine]] = [("io", self.io_link.run())]
        for name, link in (("board", self.board_link), ("scanner", self.scanner_link)):
            if link is not None:
                out.append((name, link.run()))
        if self.sim is not None:
            out.append(("sim", self.sim.run()))
        return out + self.extra_loops

    def healths(self) -> list[Health]:
        links = [self.io_link, self.board_link, self.scanner_link]
        return [link.reporter.health for link in links if link is not None]

    def stale(self, now: float) -> list[str]:
        """Polling links that stopped making progress (a silent scanner is normal)."""
        links = {"io": self.io_link, "board": self.board_link}
        return [n for n, link in links.items() if link and now - link.alive_at > MAX_QUIET_S]

    async def close(self, safe: LaneOutputs) -> None:
        module = self.io_link.module
        with contextlib.suppress(DeviceError):
            if self.io_link.connected:
                await module.write_outputs(safe)
        with contextlib.suppress(DeviceError):
            await module.close()


def _reporter(rt: LaneRuntime, name: str, kind: str) -> HealthReporter:
    down, up = rt.device_callbacks(kind)
    return HealthReporter(Health(name, kind), down, up)


def _io_module(cfg: LaneConfig) -> tuple[IoModule, float]:
    if isinstance(cfg.io, SimIoSection):
        return FakeIo("io"), cfg.io.poll_interval_s
    module = modbus.build(cfg.io)
    return module, module.poll_interval_s


def build_devices(cfg: LaneConfig, rt: LaneRuntime) -> Devices:
    module, poll_s = _io_module(cfg)
    reporter = HealthReporter(Health(module.name, "io"), rt.on_io_fault, rt.on_io_recovered)
    io_link = IoLink(module, reporter, rt.on_inputs, poll_interval_s=poll_s)
    rt.drive_outputs = io_link.write
    keyring = Keyring.from_config([k.model_dump(exclude_none=True) for k in cfg.qr.trusted_keys])
    devices = Devices(io_link, QrFeed(rt, keyring, cfg.qr.repeat_quiet_s))
    board = cfg.board
    if board.driver != "none":
        device = FakeBoard("board") if board.driver == "sim" else serial.build_board(board)
        devices.board_link = BoardLink(device, _reporter(rt, device.name, "board"))
        rt.show_board = devices.board_link.show
    if cfg.scanner is not None:
        scanner = serial.build_scanner(cfg.scanner)
        on_code = devices.qr.on_code
        devices.scanner_link = ScannerLink(
            scanner, _reporter(rt, scanner.name, "scanner"),
            lambda text: on_code(text, scanner.name),
        )
    if cfg.sim is not None and isinstance(module, FakeIo):
        devices.sim = SimLane(cfg.sim, module, rt.submit_nowait, devices.qr.on_code)
    return devices
