"""Blocking probes of the path to the broker, one layer at a time (call from a thread).

DNS, then TCP, then the TLS handshake (certificate checked against ``ca_file``, days
until it expires), then MQTT itself with paho: CONNACK (authentication), and a
publish/subscribe round trip on the lane's own ``gate/v1/{site}/{lane}/selftest/{nonce}``
topic with a client id of its own, so the running daemon's session is never disturbed.
Each probe raises :class:`ProbeError` with a ``kind`` the check turns into a remedy.
"""

from __future__ import annotations

import socket
import ssl
import statistics
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

TIMEOUT_S = 5.0


class ProbeError(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    client_id: str
    topic_root: str
    tls: bool = False
    ca_file: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    username: str | None = None
    password: str | None = None
    protocol: str = "auto"  # [mqtt] protocol: auto (5, else 3.1.1), "5" or "3.1.1"


def resolve(t: Target) -> list[str]:
    try:
        infos = socket.getaddrinfo(t.host, t.port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ProbeError("dns", f"cannot resolve {t.host}: {exc.strerror}") from None
    return sorted({i[4][0] for i in infos})


def connect_tcp(t: Target) -> float:
    t0 = time.monotonic()
    try:
        with socket.create_connection((t.host, t.port), timeout=TIMEOUT_S):
            return (time.monotonic() - t0) * 1000
    except ConnectionRefusedError:
        raise ProbeError("refused", f"{t.host}:{t.port} refused the connection") from None
    except TimeoutError:
        raise ProbeError("timeout", f"no answer from {t.host}:{t.port} in {TIMEOUT_S:.0f} s") from None
    except OSError as exc:
        raise ProbeError("network", f"{t.host}:{t.port}: {exc.strerror or exc}") from None


def tls_context(t: Target) -> ssl.SSLContext:
    try:
        ctx = ssl.create_default_context(cafile=str(t.ca_file) if t.ca_file else None)
        if t.client_cert:
            ctx.load_cert_chain(str(t.client_cert), str(t.client_key) if t.client_key else None)
    except (OSError, ssl.SSLError) as exc:
        raise ProbeError("tls_files", f"cannot load the TLS files: {exc}") from None
    return ctx


def tls_handshake(t: Target) -> tuple[float, float]:
    """(handshake ms, days until the broker's certificate expires)."""
    ctx = tls_context(t)
    t0 = time.monotonic()
    try:
        with (socket.create_connection((t.host, t.port), timeout=TIMEOUT_S) as raw,
              ctx.wrap_socket(raw, server_hostname=t.host) as tls):
            ms = (time.monotonic() - t0) * 1000
            cert = tls.getpeercert() or {}
    except ssl.SSLCertVerificationError as exc:
        raise ProbeError("tls_verify", f"broker certificate rejected: {exc.verify_message}") from None
    except (ssl.SSLError, OSError) as exc:
        raise ProbeError("tls", f"TLS handshake failed: {exc}") from None
    not_after = cert.get("notAfter")
    days = (ssl.cert_time_to_seconds(not_after) - time.time()) / 86400 if not_after else float("nan")
    return ms, days


class _Session:
    """One paho client, its callbacks turned into events."""

    def __init__(self, t: Target, protocol: int) -> None:
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self.received = threading.Event()
        self.reason = ""
        self.sub_ok = False
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=t.client_id,
                                  protocol=protocol, reconnect_on_failure=False)
        if t.tls:
            self.client.tls_set_context(tls_context(t))
        if t.username:
            self.client.username_pw_set(t.username, t.password)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = lambda c, u, m: self.received.set()

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        self.reason = str(reason_code)
        if not reason_code.is_failure:
            self.connected.set()
        else:
            self.subscribed.set()  # wake anyone waiting: nothing more will come
            self.connected.set()

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        self.sub_ok = all(not rc.is_failure for rc in reason_codes)
        self.subscribed.set()


def _open(t: Target, protocol: int) -> _Session:
    s = _Session(t, protocol)
    try:
        s.client.connect(t.host, t.port, keepalive=15)
    except (OSError, ssl.SSLError) as exc:
        raise ProbeError("network", f"cannot connect: {exc}") from None
    s.client.loop_start()
    if not s.connected.wait(TIMEOUT_S):
        close(s)
        raise ProbeError("no_connack", f"connected, but no MQTT answer (CONNACK) in "
                                       f"{TIMEOUT_S:.0f} s")
    return s


def close(s: _Session) -> None:
    try:
        s.client.disconnect()
    finally:
        s.client.loop_stop()


def login(t: Target) -> tuple[_Session, str]:
    """A logged-in session and the protocol it speaks ("5", or "3.1.1" for an older
    broker); raises ProbeError. Close it with :func:`close`."""
    s = _open(t, mqtt.MQTTv311 if t.protocol == "3.1.1" else mqtt.MQTTv5)
    if t.protocol == "auto" and "protocol" in s.reason.lower():  # a broker without MQTT 5
        close(s)
        s = _open(t, mqtt.MQTTv311)
    if not s.client.is_connected():
        close(s)
        raise ProbeError("auth", f"broker refused the connection: {s.reason}")
    return s, "5" if s.client.protocol == mqtt.MQTTv5 else "3.1.1"


def round_trips(s: _Session, t: Target, rounds: int = 3) -> list[float]:
    """Round trip ms of each QoS 1 publish -> delivery on a topic of its own."""
    topic = f"{t.topic_root}/selftest/{uuid.uuid4().hex[:12]}"
    s.client.subscribe(topic, qos=1)
    if not s.subscribed.wait(TIMEOUT_S) or not s.sub_ok:
        raise ProbeError("acl", f"broker refused the subscription to {topic}")
    return [_round_trip(s, topic) for _ in range(rounds)]


def _round_trip(s: _Session, topic: str) -> float:
    s.received.clear()
    t0 = time.monotonic()
    s.client.publish(topic, b"selftest", qos=1)
    if not s.received.wait(TIMEOUT_S):
        raise ProbeError("acl", f"a message published to {topic} never came back")
    return (time.monotonic() - t0) * 1000


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
