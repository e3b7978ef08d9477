"""The metrics endpoint: prometheus-client's HTTP server on a loopback address.

It runs on its own thread; each scrape asks the daemon's event loop for a fresh telemetry
snapshot (bounded wait) and answers with the last good one if the loop is too busy.
Only loopback addresses are accepted (the config refuses others): the figures are for
the lane PC's own agent, not the network.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from gated.core.netaddr import is_loopback
from gated.metrics.exposition import families

log = structlog.get_logger()
Snapshot = Callable[[], Awaitable[dict[str, Any]]]
SCRAPE_WAIT_S = 2.0


class TelemetryCollector:
    def __init__(self, snapshot: Snapshot, loop: asyncio.AbstractEventLoop) -> None:
        self.snapshot, self.loop = snapshot, loop
        self.last: dict[str, Any] = {}

    def collect(self) -> list[Metric]:
        future = asyncio.run_coroutine_threadsafe(self.snapshot(), self.loop)
        try:
            self.last = future.result(SCRAPE_WAIT_S)
        except FutureTimeout:
            future.cancel()
            log.warning("metrics.stale", reason=f"no snapshot in {SCRAPE_WAIT_S} s")
        except Exception as exc:  # noqa: BLE001 - a scrape must never take gated down
            log.warning("metrics.snapshot_failed", error=repr(exc))
        return families(self.last)


class ProcessFigures:
    """gated's own memory, CPU time and open files, from /proc/self only: the unit's
    ProcSubset=pid hides /proc/stat, which prometheus-client's ProcessCollector needs."""

    def collect(self) -> list[Metric]:
        out: list[Metric] = [CounterMetricFamily("gated_process_cpu_seconds",
                                                 "user + system CPU seconds of gated",
                                                 value=sum(os.times()[:2]))]
        try:
            pages = int(Path("/proc/self/statm").read_text().split()[1])
            out.append(GaugeMetricFamily("gated_process_resident_memory_bytes",
                                         "resident memory of gated",
                                         value=pages * os.sysconf("SC_PAGE_SIZE")))
            out.append(GaugeMetricFamily("gated_process_open_fds", "open file descriptors",
                                         value=len(os.listdir("/proc/self/fd"))))
        except (OSError, ValueError, IndexError):
            pass
        return out


class MetricsServer:
    def __init__(self, listen: str, port: int, snapshot: Snapshot) -> None:
        if not is_loopback(listen):
            raise ValueError(f"metrics listen address {listen!r} is not a loopback address")
        self.listen, self.port, self.snapshot = listen, port, snapshot
        self._server: Any = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Listen now; raises OSError if the port is taken."""
        registry = CollectorRegistry(auto_describe=False)
        registry.register(TelemetryCollector(self.snapshot, loop))
        registry.register(ProcessFigures())
        self._server, _ = start_http_server(self.port, self.listen, registry)
        log.info("metrics.listening", address=f"http://{self.listen}:{self.port}/metrics")

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
