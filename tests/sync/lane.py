"""The real daemon with its uplink enabled, and bursts of events driven through it."""

from __future__ import annotations

import time
from pathlib import Path

from gated.control.client import NotRunning
from scripts.peers.gated_proc import Gated, write_config


def mqtt_section(port: int, **extra) -> str:
    opts = {"keepalive_s": 3, "connect_timeout_s": 3.0, "reconnect_min_s": 0.2,
            "reconnect_max_s": 1.0, "resend_after_s": 3.0, "telemetry_interval_s": 1.0,
            **extra}
    lines = [f"{k} = {_toml(v)}" for k, v in opts.items()]
    return "\n[mqtt]\nenabled = true\nhost = \"127.0.0.1\"\n" f"port = {port}\n" + "\n".join(lines)


def _toml(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    return str(v)


def sync_lane(tmp: Path, port: int, *extra: str, sim: bool = False, **mqtt) -> Gated:
    """A lane whose uplink goes to ``port`` (no simulated traffic unless ``sim``)."""
    return Gated(write_config(tmp, mqtt_section(port, **mqtt), *extra, sim=sim))


def burst(lane: Gated, n: int, operator: str = "test.burst") -> int:
    """``n`` mode changes through the control socket (what ``gatectl mode`` sends): each
    commits ``operator.action`` and ``lane.mode_changed``. Returns how many were accepted;
    stops early (no error) when the daemon goes away, e.g. killed mid-burst."""
    done = 0
    modes = ("manual", "auto")
    try:
        client = lane.client()
        for i in range(n):
            client.call("mode", mode=modes[i % 2], operator=operator, reason=f"burst {i}")
            done += 1
    except (NotRunning, OSError):
        pass
    return done


def last_seq(lane: Gated) -> int:
    return lane.client().call("status")["outbox"]["last_seq"]


def wait_online(lane: Gated, timeout: float = 30.0) -> dict:
    return lane.wait_for(lambda: (s := lane.client().call("status"))["uplink"]["online"] and s,
                         timeout, "uplink online")


def settle(seconds: float) -> None:
    time.sleep(seconds)
