"""The periodic ``telemetry`` message (QoS 0): device health, queue depth and lag, frame
rates, latencies and disk use. Pure: the uplink gathers the parts, this shapes them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gated.core.timefmt import rfc3339


def telemetry(*, now: float, tz, boot_id: str, uptime_s: float, devices: list[dict],
              queue: Mapping[str, Any], uplink: Mapping[str, Any], passes: Mapping[str, Any],
              disk: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> dict:
    """``queue`` needs ``last_seq``, ``acked_upto``; the lane's lag behind central is
    ``last_seq - acked_upto`` events (``central-contract.md`` § Working offline)."""
    lag = max(0, int(queue.get("last_seq", 0)) - int(queue.get("acked_upto", 0)))
    out: dict[str, Any] = {
        "ts": rfc3339(now, tz),
        "boot_id": boot_id,
        "uptime_s": round(uptime_s, 1),
        "devices": devices,
        "queue": {**queue, "depth": lag},
        "uplink": dict(uplink),
        "passes": dict(passes),
        "disk": dict(disk),
        "frame_rates": {},
        "latencies_ms": {},
    }
    for key, value in (extra or {}).items():
        out[key] = {**out[key], **value} if isinstance(out.get(key), dict) else value
    return out
