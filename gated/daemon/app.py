"""The daemon: builds the lane from its config, runs every loop, stops cleanly.

Start order follows safety rule 7: the store and passes first, then the I/O link (which
reads every input before any output is written), then the producers of lane inputs.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable

import structlog

from gated import __version__
from gated.config.load import LoadedConfig
from gated.control.handlers import register_all
from gated.control.server import ControlServer
from gated.core.ids import uuid7
from gated.core.lane.model import DeviceDown, LaneParams
from gated.core.passes import PassBook
from gated.core.timefmt import parse_offset, rfc3339
from gated.daemon.devices import Devices, build_devices
from gated.daemon.runtime import LaneRuntime
from gated.daemon.sdnotify import Notifier, watchdog_interval_s
from gated.devices.link import SAFE_OUTPUTS
from gated.field.snapshot import camera_jpeg
from gated.selftest import run_selftest
from gated.metrics import MetricsServer, snapshot_for
from gated.sim.lane import sim_passes
from gated.store import AsyncStore, Store, StoreError
from gated.sync.build import build_retention, build_uplink
from gated.sync.uplink import MqttUplink

log = structlog.get_logger()


def params_from(loaded: LoadedConfig) -> LaneParams:
    cfg = loaded.config
    t = cfg.timing
    return LaneParams(
        site=cfg.lane.site,
        lane=cfg.lane.id,
        direction=cfg.lane.direction,
        tz=parse_offset(cfg.lane.timezone),
        qr_mode=cfg.lane.qr_mode,
        clear_delay_s=t.clear_delay_s,
        tailgate_gap_s=t.tailgate_gap_s,
        identify_timeout_s=t.identify_timeout_s,
        qr_wait_s=t.qr_wait_s,
        open_timeout_s=t.open_timeout_s,
        close_timeout_s=t.close_timeout_s,
        pass_timeout_s=t.pass_timeout_s,
        leave_timeout_s=t.leave_timeout_s,
        command_skew_s=t.command_skew_s,
    )


class Daemon:
    def __init__(self, loaded: LoadedConfig) -> None:
        self.loaded = loaded
        self.cfg = cfg = loaded.config
        self.version = __version__
        self.boot_id = uuid7()
        self.started_at = time.time()
        self.params = params_from(loaded)
        self.store = Store(cfg.store.path, site=cfg.lane.site, lane=cfg.lane.id,
                           synchronous=cfg.store.synchronous)
        self.astore = AsyncStore(self.store)
        self.runtime = LaneRuntime(self.params, self.astore, PassBook())
        self.server = ControlServer(self, cfg.control.socket, cfg.control.group)
        register_all(self.server)
        self.notifier = Notifier()
        self.devices: Devices | None = None
        self.metrics: MetricsServer | None = None
        self._tasks: list[asyncio.Task] = []
        self.retention = build_retention(self)
        self.uplink: MqttUplink | None = None
        if cfg.mqtt.enabled:
            self.uplink = build_uplink(self, self.retention)
            self.runtime.bus.listeners.append(self.uplink.notify)

    # --------------------------------------------------------- uplink providers
    def on_keys(self, hook: Callable[[bytes], None]) -> None:
        """``hook(payload)`` gets every retained ``keys`` payload (the QR keyring's feed)."""
        if self.uplink is not None:
            self.uplink.key_hooks.append(hook)

    def register_provider(self, name: str, fn: Callable[..., Awaitable[Any]]) -> None:
        """``snapshot``: ``async fn(camera) -> JPEG bytes``; ``selftest``: ``async fn() -> dict``."""
        if name not in ("snapshot", "selftest"):
            raise ValueError(f"unknown provider {name!r}")
        if self.uplink is not None:
            setattr(self.uplink.commands.lane, name, fn)

    # ---------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        await self.server.start()  # first: refuses to start beside a running gated
        await self._open_store()
        self.devices = build_devices(self.cfg, self.runtime)
        if self.uplink is not None:  # one keyring for QR passes and signed commands
            qr = self.devices.qr
            self.on_keys(qr.on_keys)
            self.uplink.keyring = lambda: qr.keyring
        self.register_provider("selftest", lambda: run_selftest(self))
        self.register_provider("snapshot", lambda camera: camera_jpeg(self.cfg, camera))
        rt = self.runtime
        self._spawn(rt.run(), "lane")
        for name, coro in self.devices.loops():
            self._spawn(coro, name)
        self._spawn(rt.tick_forever(self.cfg.timing.tick_interval_s), "tick")
        self._spawn(rt.recover_store(self.store.ensure_writable), "store-probe")
        self._spawn(self.retention.run(self.cfg.store.retention_check_s), "retention")
        if self.uplink is not None:
            self._spawn(self.uplink.run(), "uplink")
        self._start_metrics()
        interval = watchdog_interval_s()
        if interval is not None:
            self._spawn(self._watchdog(interval), "watchdog")
        self.notifier.ready(f"lane {self.cfg.lane.site}/{self.cfg.lane.id} running")
        log.info("gated.started", version=self.version, boot_id=self.boot_id,
                 config=str(self.loaded.path), config_sha256=self.loaded.sha256)

    async def _open_store(self) -> None:
        rt = self.runtime
        try:
            await self.astore.run(self.store.open)
            if self.cfg.sim is not None and self.cfg.sim.passes:
                seeded = sim_passes(self.cfg.sim.passes, time.time())
                await self.astore.run(self.store.upsert_passes, seeded, 0, replace=True)
            passes, version = await self.astore.run(self.store.load_passes)
            rt.passes = PassBook.build(passes, version)
            rt.used = await self.astore.run(self.store.used_pass_ids)
            log.info("passes.loaded", count=len(passes), version=version)
        except StoreError as exc:  # keep the lane up; the probe keeps retrying
            log.error("store.unavailable", error=str(exc))
            rt.store_ok, rt.store_error = False, str(exc)
            rt.submit_nowait(DeviceDown("store", "store", str(exc)))

    def _start_metrics(self) -> None:
        """The Prometheus endpoint, if configured; a taken port is logged, not fatal."""
        m = self.cfg.metrics
        if not m.enabled:
            return
        server = MetricsServer(m.listen, m.port, snapshot_for(self))
        try:
            server.start(asyncio.get_running_loop())
        except OSError as exc:
            log.error("metrics.cannot_listen", port=m.port, error=str(exc))
            return
        self.metrics = server

    def _spawn(self, coro, name: str) -> None:
        self._tasks.append(asyncio.create_task(coro, name=name))

    async def wait(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set or a loop dies (then stop, so systemd restarts us)."""
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait([stopper, *self._tasks], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not stopper:
                error = None if task.cancelled() else task.exception()
                log.error("gated.loop_ended", loop=task.get_name(), error=repr(error))
        stopper.cancel()

    async def shutdown(self) -> None:
        """Finish writes, leave the lane safe (barrier held, light red), close everything."""
        self.notifier.stopping()
        log.info("gated.stopping")
        if self.uplink is not None:  # first: status offline/shutdown, no Will
            try:
                await asyncio.wait_for(self.uplink.stop(), 8.0)
            except (asyncio.TimeoutError, StoreError) as exc:
                log.warning("uplink.stop_incomplete", error=repr(exc))
        for task in self._tasks:
            if task.get_name() != "lane":
                task.cancel()
        deadline = time.monotonic() + 3.0
        while not self.runtime.idle() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)  # let queued inputs commit their events
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.devices is not None:
            await self.devices.close(SAFE_OUTPUTS)
        await self.server.stop()
        if self.metrics is not None:
            await asyncio.to_thread(self.metrics.stop)
        self.astore.shutdown()
        log.info("gated.stopped")

    # ------------------------------------------------------------------- health
    async def _watchdog(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            stale = self.stale_loops()
            if stale:
                log.error("watchdog.withheld", stale=stale)
            else:
                self.notifier.watchdog()

    def stale_loops(self) -> list[str]:
        """Loops that died or stopped making progress (the watchdog is withheld then)."""
        now = time.monotonic()
        stale = [t.get_name() for t in self._tasks if t.done()]
        if now - self.runtime.alive_at > 2.0:
            stale.append("lane")
        if self.devices is not None:
            stale += self.devices.stale(now)
        return stale

    def device_health(self) -> list[dict]:
        devices = self.devices
        rows = [h.to_dict() for h in devices.healths()] + devices.camera_rows() if devices else []
        known = {r["name"] for r in rows}
        for name, d in self.runtime.state.devices.items():  # barrier, store: seen by the lane
            if name not in known:
                rows.append({"name": name, "kind": d.kind, "ok": d.ok, "detail": d.reason,
                             "since": d.since, "faults": None})
                known.add(name)
        if "store" not in known:
            rt = self.runtime
            rows.append({"name": "store", "kind": "store", "ok": rt.store_ok,
                         "detail": rt.store_error or "ok", "since": None, "faults": None})
        return rows

    def figures(self) -> dict:
        """Telemetry extras measured by the devices: frame rates, ANPR latencies."""
        return self.devices.figures() if self.devices is not None else {}

    def uplink_status(self) -> dict:
        if self.uplink is None:
            return {"online": False, "detail": "no uplink configured: events wait in the store"}
        return {**self.uplink.status(), "disk": self.retention.status()}

    async def audit(self, **entry) -> None:
        ts = rfc3339(time.time(), self.params.tz)
        try:
            await self.astore.run(self.store.audit, ts=ts, **entry)
        except StoreError as exc:
            log.error("audit.failed", error=str(exc), **entry)
