"""Building the lane's devices from the config and wiring them to the runtime.

Each device sits behind a supervised link (``gated.devices.link``) that reports its health
to the runtime, which turns it into ``device.fault`` / ``device.recovered``.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any, Coroutine

from gated.anpr.reader import AnprReader, camera_config
from gated.anpr.stream import RtspCamera

from gated.config.schema import LaneConfig, SimIoSection
from gated.core.lane.model import DeviceDown, DeviceUp
from gated.daemon.anpr_feed import AnprFeed
from gated.daemon.qr_feed import QrFeed
from gated.daemon.runtime import LaneRuntime
from gated.devices import modbus, serial
from gated.devices.fakes import FakeBoard, FakeIo
from gated.devices.interfaces import DeviceError, IoModule, LaneOutputs
from gated.devices.link import BoardLink, Health, HealthReporter, IoLink, ScannerLink
from gated.qr import Keyring
from gated.qr.decode import make_decoder
from gated.qr.sources import CameraQrSource
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
    cameras: dict[str, RtspCamera] = field(default_factory=dict)
    anpr: dict[str, AnprFeed] = field(default_factory=dict)
    camera_qr: dict[str, CameraQrSource] = field(default_factory=dict)

    def loops(self) -> list[tuple[str, Coroutine[Any, Any, None]]]:
        out: list[tuple[str, Coroutine]] = [("io", self.io_link.run())]
        for name, link in (("board", self.board_link), ("scanner", self.scanner_link)):
            if link is not None:
                out.append((name, link.run()))
        if self.sim is not None:
            out.append(("sim", self.sim.run()))
        out += [(f"anpr-{name}", feed.run()) for name, feed in self.anpr.items()]
        out += [(f"qr-{name}", _scan(self.cameras[name], src, self.qr))
                for name, src in self.camera_qr.items()]
        return out

    def healths(self) -> list[Health]:
        links = [self.io_link, self.board_link, self.scanner_link]
        return [link.reporter.health for link in links if link is not None]

    def camera_rows(self) -> list[dict]:
        rows = []
        for name, cam in self.cameras.items():
            h, m = cam.health, cam.metrics()
            rows.append({"name": name, "kind": "camera", "ok": h.ok, "detail": h.reason,
                         "since": None, "faults": m.reconnects, "fps": round(m.fps, 1),
                         "frames": m.frames})
        return rows

    def figures(self) -> dict[str, dict[str, float]]:
        """Telemetry extras: frame rates per camera, ANPR latencies."""
        rates = {name: round(cam.metrics().fps, 2) for name, cam in self.cameras.items()}
        lat: dict[str, float] = {}
        for name, feed in self.anpr.items():
            lat[f"anpr_read_{name}"] = round(feed.metrics.read_ms, 1)
            if feed.metrics.last_decision_latency_s is not None:
                lat[f"plate_vote_{name}"] = round(feed.metrics.last_decision_latency_s * 1000, 1)
        return {"frame_rates": rates, "latencies_ms": lat}

    def stale(self, now: float) -> list[str]:
        """Polling loops that stopped making progress (a silent scanner is normal)."""
        loops: dict[str, Any] = {"io": self.io_link, "board": self.board_link,
                                 **{f"anpr-{n}": f for n, f in self.anpr.items()}}
        return [n for n, loop in loops.items() if loop and now - loop.alive_at > MAX_QUIET_S]

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
    return serial.with_barrier(module, cfg.barrier), module.poll_interval_s


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
    _build_cameras(cfg, rt, devices)
    return devices


def _build_cameras(cfg: LaneConfig, rt: LaneRuntime, devices: Devices) -> None:
    """RTSP cameras: plate cameras feed ANPR; the QR camera (``[qr] camera``) feeds QR."""
    loop = asyncio.get_running_loop()

    def down(name: str, reason: str) -> None:  # called from the grabber thread
        loop.call_soon_threadsafe(rt.submit_nowait, DeviceDown(name, "camera", reason))

    def up(name: str) -> None:
        loop.call_soon_threadsafe(rt.submit_nowait, DeviceUp(name, "camera"))

    for cam in cfg.cameras:
        if cam.driver != "rtsp" or cam.url is None:
            continue  # simulated cameras: the sim lane plays their votes
        camera = RtspCamera(cam.name, cam.url, on_fault=down, on_recovered=up)
        devices.cameras[cam.name] = camera
        if cam.role in ("front", "rear"):
            devices.anpr[cam.name] = AnprFeed(camera, AnprReader(config=camera_config(cam.close_up_pass)), rt, cam.role)
        if cam.name == cfg.qr.camera:
            devices.camera_qr[cam.name] = CameraQrSource(
                cam.name, camera, make_decoder(cfg.qr.decoder), cfg.qr.scan_interval_s,
                quiet_s=0.0)  # QrFeed debounces every source the same way


async def _scan(camera: RtspCamera, source: CameraQrSource, feed: QrFeed) -> None:
    await camera.start()  # idempotent: a camera may serve ANPR too
    try:
        async for text in source.codes():
            await feed.on_code(text, source.name)
    finally:
        await camera.stop()
