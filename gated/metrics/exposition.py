"""Telemetry dict -> Prometheus metric families (pure).

The telemetry message's shape (``gated.sync.telemetry``): ``devices`` (a list of health
rows), ``queue``, ``uplink``, ``passes``, ``disk`` (objects of figures), ``frame_rates``
(camera -> fps), ``latencies_ms`` (name -> ms), ``uptime_s``. Devices, frame rates and
latencies become labelled gauges; every other number or boolean of an object becomes
``gated_<object>_<key>``, so a figure added to the telemetry appears here unchanged.
Text values (``detail``, ``broker``) are not metrics and are left out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

PREFIX = "gated"
SECTIONS = ("queue", "uplink", "passes", "disk")
_BAD = re.compile(r"[^a-zA-Z0-9_]")


def metric_name(*parts: str) -> str:
    return _BAD.sub("_", "_".join((PREFIX, *parts))).lower()


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


def _devices(rows: Iterable[Mapping[str, Any]]) -> list[Metric]:
    up = GaugeMetricFamily(metric_name("device_up"), "1 if the device answers, 0 if it is "
                           "in fault", labels=["device", "kind"])
    faults = CounterMetricFamily(metric_name("device_faults"), "faults since gated started",
                                 labels=["device", "kind"])
    for row in rows:
        labels = [str(row.get("name", "")), str(row.get("kind", ""))]
        up.add_metric(labels, 1.0 if row.get("ok") else 0.0)
        count = _number(row.get("faults"))
        if count is not None:
            faults.add_metric(labels, count)
    return [up, faults]


def _labelled(name: str, doc: str, label: str, values: Mapping[str, Any]) -> Metric:
    family = GaugeMetricFamily(metric_name(name), doc, labels=[label])
    for key, value in sorted(values.items()):
        number = _number(value)
        if number is not None:
            family.add_metric([str(key)], number)
    return family


def _section(section: str, values: Mapping[str, Any]) -> list[Metric]:
    out: list[Metric] = []
    for key, value in sorted(values.items()):
        number = _number(value)
        if number is not None:
            out.append(GaugeMetricFamily(metric_name(section, key),
                                         f"telemetry {section}.{key}", value=number))
    return out


def families(t: Mapping[str, Any]) -> list[Metric]:
    """Every figure of telemetry ``t`` as a metric family."""
    out: list[Metric] = [GaugeMetricFamily(metric_name("up"), "1 while gated answers", value=1)]
    uptime = _number(t.get("uptime_s"))
    if uptime is not None:
        out.append(GaugeMetricFamily(metric_name("uptime_seconds"), "seconds since gated "
                                     "started", value=uptime))
    out += _devices(t.get("devices") or [])
    for section in SECTIONS:
        values = t.get(section)
        if isinstance(values, Mapping):
            out += _section(section, values)
    out.append(_labelled("frame_rate_fps", "frames per second per camera", "camera",
                         t.get("frame_rates") or {}))
    out.append(_labelled("latency_ms", "latencies in milliseconds", "name",
                         t.get("latencies_ms") or {}))
    return out
