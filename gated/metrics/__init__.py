"""Prometheus metrics on localhost: the same figures as the MQTT telemetry message.

    from gated.metrics import MetricsServer, snapshot_for
    server = MetricsServer("127.0.0.1", 9310, snapshot=snapshot_for(app))
    server.start(loop)   ...   server.stop()

``snapshot`` returns a telemetry dict (central-contract ``telemetry``); every scrape asks
for a fresh one, so Prometheus and central always see the same numbers.
"""

from gated.metrics.exposition import families
from gated.metrics.gather import lane_telemetry, snapshot_for
from gated.metrics.server import MetricsServer

__all__ = ["MetricsServer", "families", "lane_telemetry", "snapshot_for"]
