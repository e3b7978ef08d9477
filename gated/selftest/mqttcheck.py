"""The uplink to central: DNS, TCP, TLS (and certificate expiry), auth, round trip.

Probes in order (:mod:`gated.selftest.mqttprobe`); the first layer that fails gets the
remedy and the layers above it are skipped, so the technician fixes the right thing.
Secrets as the daemon gets them (``$CREDENTIALS_DIRECTORY`` or ``GATED_*``), and when run
by hand from the installed credential files (``--credentials``, /etc/gated/credentials).
"""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

from gated.config.schema import LaneConfig
from gated.config.secrets import read_secret
from gated.core.netaddr import is_loopback
from gated.selftest import mqttprobe as p
from gated.selftest.context import Context, Emit
from gated.selftest.report import failed, passed, skipped, warned

C = "mqtt"
CERT_WARN_DAYS = 30
SLOW_RTT_MS = 500.0
STEPS = ("dns", "tcp", "tls", "auth", "round_trip")

REMEDY = {
    "dns": "cannot resolve the broker: check /etc/resolv.conf and [mqtt] host (or use its IP)",
    "refused": "nothing listens there: is the broker up? check [mqtt] host and port",
    "timeout": "no answer: check the uplink, routes and firewall towards the broker",
    "network": "the network path fails: check the uplink cable/modem and [mqtt] host",
    "no_connack": "the port answers but speaks no MQTT here: a TLS port needs [mqtt] tls = "
                  "true (and a plain port tls = false); check [mqtt] port",
    "tls_files": "fix [mqtt] ca_file / client_cert and the mqtt-client-key credential",
    "tls_verify": "the broker's certificate is not signed by [mqtt] ca_file (or the name or "
                  "date is wrong): get the right CA from central, check the lane's clock",
    "tls": "TLS fails: is the port a TLS port? check [mqtt] port and tls",
    "auth": "the broker refused the login: check [mqtt] username and the mqtt-password "
            "credential (or the client certificate)",
    "acl": "the broker's ACL must let the lane use gate/v1/{site}/{lane}/selftest/#",
}


def secret(name: str, credentials_dir: Path) -> str | None:
    value = read_secret(name)
    if value is not None:
        return value
    path = credentials_dir / name
    try:
        return path.read_text(encoding="utf-8").rstrip("\r\n")
    except OSError:
        return None


def target_from(cfg: LaneConfig, credentials_dir: Path) -> p.Target:
    m = cfg.mqtt
    key = None
    if m.client_cert:
        candidate = credentials_dir / m.client_key_credential
        key = candidate if candidate.exists() else None
    return p.Target(
        host=m.host, port=m.port, client_id=f"gated-{cfg.lane.site}-{cfg.lane.id}-selftest",
        topic_root=f"gate/v1/{cfg.lane.site}/{cfg.lane.id}", tls=m.tls, ca_file=m.ca_file,
        client_cert=m.client_cert, client_key=key, username=m.username,
        password=secret(m.password_credential, credentials_dir) if m.username else None,
        protocol=m.protocol)


async def run(ctx: Context, emit: Emit) -> None:
    if not ctx.cfg.mqtt.enabled:
        await emit(skipped(C, "", "uplink", "nothing to do if the lane works offline; else set "
                           "[mqtt] enabled = true", detail="[mqtt] enabled = false"))
        return
    t = target_from(ctx.cfg, ctx.options.credentials_dir)
    done: list[str] = []
    try:
        for step in (_dns, _tcp, _tls, _session):
            await step(t, emit, done)
    except p.ProbeError as exc:
        step = STEPS[len(done)]
        await emit(failed(C, t.host, step, REMEDY.get(exc.kind, str(exc)), exc.kind,
                          detail=str(exc)[:300]))
        for later in STEPS[len(done) + 1:]:
            await emit(skipped(C, t.host, later, "fix the step above first"))


async def _thread(fn, *args):
    return await asyncio.wait_for(asyncio.to_thread(fn, *args), p.TIMEOUT_S * 4)


async def _dns(t: p.Target, emit: Emit, done: list[str]) -> None:
    try:
        addresses = await _thread(p.resolve, t)
    except TimeoutError:
        raise p.ProbeError("dns", f"resolving {t.host} took too long") from None
    await emit(passed(C, t.host, "dns", ", ".join(addresses[:3])))
    done.append("dns")


async def _tcp(t: p.Target, emit: Emit, done: list[str]) -> None:
    ms = await _thread(p.connect_tcp, t)
    await emit(passed(C, t.host, "tcp", f"{ms:.0f} ms", ms, "ms", f"port {t.port}"))
    done.append("tcp")


async def _tls(t: p.Target, emit: Emit, done: list[str]) -> None:
    if not t.tls:
        done.append("tls")
        if is_loopback(t.host):
            await emit(skipped(C, t.host, "tls", "nothing to do: plain MQTT on loopback"))
        else:
            await emit(warned(C, t.host, "tls", "plain MQTT over the network: set [mqtt] tls = "
                              "true and ca_file (contract: plain TCP only on loopback)", "off"))
        return
    ms, days = await _thread(p.tls_handshake, t)
    figure = f"cert expires in {days:.0f} days" if not math.isnan(days) else "no expiry seen"
    if not math.isnan(days) and days < CERT_WARN_DAYS:
        await emit(warned(C, t.host, "tls", "the broker's certificate expires soon: tell central",
                          figure, days, "days", f"handshake {ms:.0f} ms"))
    else:
        await emit(passed(C, t.host, "tls", figure, days, "days", f"handshake {ms:.0f} ms"))
    done.append("tls")


async def _session(t: p.Target, emit: Emit, done: list[str]) -> None:
    session, protocol = await _thread(p.login, t)
    try:
        await emit(passed(C, t.host, "auth", f"MQTT {protocol}",
                          detail=f"logged in as {t.username or 'anonymous'}"))
        done.append("auth")
        rtts = await _thread(p.round_trips, session, t)
    finally:
        await asyncio.to_thread(p.close, session)
    mid = p.median(rtts)
    figure = f"{mid:.1f} ms (max {max(rtts):.1f})"
    if mid > SLOW_RTT_MS:
        await emit(warned(C, t.host, "round_trip", "slow uplink: events will lag; check the "
                          "link's quality", figure, mid, "ms"))
    else:
        await emit(passed(C, t.host, "round_trip", figure, mid, "ms",
                          f"{len(rtts)} QoS 1 messages through the broker"))
