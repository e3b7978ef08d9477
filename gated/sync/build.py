"""Building the uplink and retention from the lane config, wired to a running daemon."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from gated.config.schema import LaneConfig
from gated.config.secrets import credential_path, env_name, read_secret
from gated.store import outbox as ob
from gated.sync.client import Settings
from gated.sync.cmdexec import Lane
from gated.sync.retention import Policy, Retention
from gated.sync.telemetry import telemetry
from gated.sync.topics import Topics
from gated.sync.uplink import Identity, MqttUplink, Options

MB = 1024 * 1024


def client_key_file(name: str) -> Path | None:
    """The TLS client key as a file: the systemd credential, or the env value in a 0600 file."""
    path = credential_path(name)
    if path is not None:
        return path
    text = os.environ.get(env_name(name))
    if not text:
        return None
    fd, tmp = tempfile.mkstemp(prefix="gated-key-", suffix=".pem")  # mode 0600
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return Path(tmp)


def settings_from(cfg: LaneConfig) -> Settings:
    m = cfg.mqtt
    return Settings(
        host=m.host, port=m.port, client_id=f"gated-{cfg.lane.site}-{cfg.lane.id}",
        username=m.username,
        password=read_secret(m.password_credential) if m.username else None,
        tls=m.tls, ca_file=m.ca_file, client_cert=m.client_cert,
        client_key=client_key_file(m.client_key_credential) if m.client_cert else None,
        keepalive_s=m.keepalive_s, session_expiry_s=m.session_expiry_s,
        connect_timeout_s=m.connect_timeout_s, inflight_window=m.inflight_window,
    )


def options_from(cfg: LaneConfig) -> Options:
    m = cfg.mqtt
    return Options(protocol=m.protocol, reconnect_min_s=m.reconnect_min_s,
                   reconnect_max_s=m.reconnect_max_s, telemetry_interval_s=m.telemetry_interval_s,
                   command_skew_s=cfg.timing.command_skew_s,
                   require_signed_commands=m.require_signed_commands,
                   resend_after_s=m.resend_after_s)


def build_retention(app) -> Retention:
    s = app.cfg.store
    policy = Policy(s.disk_budget_mb * MB, s.min_free_mb * MB, s.budget_alarm_pct / 100)
    return Retention(app.astore, policy, s.retention_days, app.runtime.submit_nowait)


def build_uplink(app, retention: Retention) -> MqttUplink:
    cfg: LaneConfig = app.cfg
    rt = app.runtime
    lane = Lane(submit=rt.submit, audit=app.audit, config=lambda: cfg.model_dump(mode="json"),
                resync=_unset, replay=_unset, publish_image=_unset)
    identity = Identity(app.boot_id, app.version, app.started_at, app.loaded.sha256, rt.params.tz)
    uplink = MqttUplink(settings_from(cfg), Topics(cfg.lane.site, cfg.lane.id), identity,
                        options_from(cfg), app.astore, rt, lane)

    async def gather() -> dict:
        store = app.store
        queue = await app.astore.run(lambda: {"last_seq": store.last_seq(),
                                              "acked_upto": store.acked_upto(),
                                              "sent_upto": ob.sent_upto(store)})
        return telemetry(now=time.time(), tz=rt.params.tz, boot_id=app.boot_id,
                         uptime_s=time.time() - app.started_at, devices=app.device_health(),
                         queue={**queue, "buffered": rt.buffered, "inflight": uplink.pump.inflight},
                         uplink=uplink.status(), passes={"count": len(rt.passes),
                                                         "version": rt.passes.version},
                         disk=retention.status(), extra=app.figures())

    uplink.telemetry = gather
    return uplink


async def _unset(*_args):  # replaced by the uplink itself
    raise RuntimeError("not wired")
