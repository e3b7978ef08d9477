"""The telemetry figures for the metrics endpoint: exactly the MQTT ``telemetry`` message.

With the uplink configured, its own gatherer is used (``uplink.telemetry``, set by
``gated.sync.build``): Prometheus and central then read one function. Without an uplink
the same pure :func:`gated.sync.telemetry.telemetry` shapes the same figures (queue from
the store, disk from the retention's last pass, uplink offline).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from gated.store import StoreError
from gated.sync.telemetry import telemetry

Snapshot = Callable[[], Awaitable[dict[str, Any]]]


async def lane_telemetry(app: Any) -> dict[str, Any]:
    rt, store = app.runtime, app.store
    try:
        queue = await app.astore.run(lambda: {"last_seq": store.last_seq(),
                                              "acked_upto": store.acked_upto()})
    except StoreError:
        queue = {}
    now = time.time()
    return telemetry(now=now, tz=rt.params.tz, boot_id=app.boot_id, uptime_s=now - app.started_at,
                     devices=app.device_health(), queue={**queue, "buffered": rt.buffered},
                     uplink={"online": False}, passes={"count": len(rt.passes),
                                                       "version": rt.passes.version},
                     disk=app.retention.status(), extra=app.figures())


def snapshot_for(app: Any) -> Snapshot:
    """The uplink's telemetry gatherer when there is one, else :func:`lane_telemetry`."""
    uplink = getattr(app, "uplink", None)
    if uplink is not None and uplink.telemetry is not None:
        return uplink.telemetry
    return lambda: lane_telemetry(app)
