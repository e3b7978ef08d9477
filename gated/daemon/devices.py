"""Building the lane's devices from the config and wiring them to the runtime.

Each device sits behind a link (``gated.devices.link``) that reports its health to the
runtime, which turns it into ``device.fault`` / ``device.recovered``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Coroutine

from gated.config.schema import LaneConfig
from gated.daemon.runtime import LaneRuntime
from gated.devices.fakes import FakeBoard, FakeIo
from gated.devices.interfaces import DeviceError, LaneOutputs
from gated.devices.link import BoardLink, Health, HealthReporter, IoLink
from gated.sim.lane import SimLane

#: A loop that has not reported progress for this long is considered stuck.
MAX_QUIET_S = 30.0


@dataclass
class Devices:
    io_link: IoLink
    board_link: BoardLink | None = None
    sim: SimLane | None = None
    extra_loops: list[tuple[str, Coroutine]] = field(default_factory=list)

    def loops(self) -> list[tuple[str, Coroutine[Any, Any, None]]]:
        out: list[tuple[str, Coroutine]] = [("io", self.io_link.run())]
        if self.board_link is not None:
            out.append(("board", self.board_link.run()))
        if self.sim is not None:
            out.append(("sim", self.sim.run()))
        return out + self.extra_loops

    def healths(self) -> list[Health]:
        links = [self.io_link, self.board_link]
        return [link.reporter.health for link in links if link is not None]

    def stale(self, now: float) -> list[str]:
        links = {"io": self.io_link, "board": self.board_link}
        return [n for n, link in links.items() if link and now - link.alive_at > MAX_QUIET_S]

    async def close(self, safe: LaneOutputs) -> None:
        module = self.io_link.module
        if self.io_link.connected:
            try:
                await module.write_outputs(safe)
            except DeviceError:
                pass
        try:
            await module.close()
        except DeviceError:
            pass


def build_devices(cfg: LaneConfig, rt: LaneRuntime) -> Devices:
    io = FakeIo("io")
    reporter = HealthReporter(Health("io", "io"), rt.on_io_fault, rt.on_io_recovered)
    io_link = IoLink(io, reporter, rt.on_inputs, poll_interval_s=cfg.io.poll_interval_s)
    rt.drive_outputs = io_link.write
    devices = Devices(io_link)
    if cfg.board.driver == "sim":
        board = FakeBoard("board")
        down, up = rt.device_callbacks("board")
        devices.board_link = BoardLink(board, HealthReporter(Health("board", "board"), down, up))
        rt.show_board = devices.board_link.show
    if cfg.sim is not None:
        devices.sim = SimLane(cfg.sim, io, rt.submit_nowait)
    return devices
