"""The lane's telemetry figures, gathered from the running daemon.

Same shape and keys as the MQTT ``telemetry`` message (``gated.sync.telemetry``): where the
uplink runs, wire its gatherer in instead (``MetricsServer(snapshot=uplink.telemetry)``) and
both are one function. This one serves lanes without the uplink module.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from gated.core.timefmt import rfc3339
from gated.store import StoreError


def disk_figures(store_path: Path, budget_mb: int) -> dict[str, Any]:
    """Bytes used by the store's files and free on its filesystem (blocking, cheap)."""
    folder = store_path.parent
    used = sum(p.stat().st_size for p in folder.glob(store_path.name + "*") if p.is_file())
    st = os.statvfs(folder if folder.exists() else Path("/"))
    return {"db_bytes": used, "fs_free_bytes": st.f_bavail * st.f_frsize,
            "budget_bytes": budget_mb * 1024 * 1024}


async def lane_telemetry(app: Any) -> dict[str, Any]:
    rt, store = app.runtime, app.store
    try:
        queue = await rt.astore.run(lambda: {"last_seq": store.last_seq(),
                                             "acked_upto": store.acked_upto()})
    except StoreError:
        queue = {}
    queue["depth"] = max(0, queue.get("last_seq", 0) - queue.get("acked_upto", 0))
    queue["buffered"] = rt.buffered
    disk = await rt.astore.run(disk_figures, Path(app.cfg.store.path), app.cfg.store.disk_budget_mb)
    now = time.time()
    return {
        "ts": rfc3339(now, rt.params.tz),
        "boot_id": app.boot_id,
        "uptime_s": round(now - app.started_at, 1),
        "devices": app.device_health(),
        "queue": queue,
        "uplink": app.uplink_status(),
        "passes": {"count": len(rt.passes), "version": rt.passes.version},
        "disk": disk,
        "frame_rates": {},
        "latencies_ms": {},
    }
