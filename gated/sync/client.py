"""A thin shell around paho-mqtt 2.x: one :class:`Connection` per connection attempt.

paho runs its network loop on a thread of its own; every callback is handed to the
asyncio loop with ``call_soon_threadsafe``, so the rest of the uplink is single-threaded.
A connection never reconnects by itself (``reconnect_on_failure=False``): the uplink opens
a new one, so its outbox -- not paho's memory -- decides what is sent again.

MQTT 5 with ``clean_start=False`` and a ``SessionExpiryInterval`` (without the property
the broker keeps no QoS 1 messages for the lane); MQTT 3.1.1 with ``clean_session=False``
where the broker lacks 5. Incoming QoS 1 messages are acknowledged by the uplink once it
has handled them (``manual_ack``), so a crash mid-way means a redelivery, not a loss.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

Protocol = Literal["5", "3.1.1"]
UNSUPPORTED_PROTOCOL = {"Unsupported protocol version", "Unacceptable protocol version"}


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    client_id: str
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    keepalive_s: int = 30
    session_expiry_s: int = 7 * 86400
    connect_timeout_s: float = 10.0
    inflight_window: int = 256


@dataclass(frozen=True, slots=True)
class Inbound:
    topic: str
    payload: bytes
    mid: int
    qos: int
    retain: bool


@dataclass(frozen=True, slots=True)
class Opened:
    ok: bool
    session_present: bool = False
    reason: str = ""
    unsupported_protocol: bool = False  # the broker refused this protocol version


def next_protocol(mode: str, current: Protocol, opened: Opened | None) -> Protocol:
    """Protocol for the next attempt: ``auto`` falls back to 3.1.1 when 5 is refused."""
    if mode != "auto":
        return "3.1.1" if mode == "3.1.1" else "5"
    if current == "5" and opened is not None and opened.unsupported_protocol:
        return "3.1.1"
    return current


class Connection:
    """One MQTT connection. ``open()`` then use; ``closed`` is set when it ends.

    Inbound messages go to this connection's own ``inbox`` from the first one on: a
    persistent session delivers queued commands right after CONNACK, before the caller
    has even seen ``open()`` return, and none of them may be dropped.
    """

    def __init__(self, settings: Settings, protocol: Protocol, will: tuple[str, bytes],
                 on_puback: Callable[[int], None]) -> None:
        self.settings = settings
        self.protocol = protocol
        self.loop = asyncio.get_running_loop()
        self.closed = asyncio.Event()
        self.close_reason = ""
        self.inbox: asyncio.Queue[Inbound] = asyncio.Queue()
        self.session_present = False  # the broker still had our session (CONNACK flag)
        self._opened: asyncio.Future[Opened] = self.loop.create_future()
        self._subacks: dict[int, asyncio.Future[list[bool]]] = {}
        self._on_puback = on_puback
        self.client = self._client(will)
        self._thread: threading.Thread | None = None

    @property
    def v5(self) -> bool:
        return self.protocol == "5"

    def _client(self, will: tuple[str, bytes]) -> mqtt.Client:
        s = self.settings
        c = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=s.client_id,
            clean_session=None if self.v5 else False,
            protocol=mqtt.MQTTv5 if self.v5 else mqtt.MQTTv311,
            reconnect_on_failure=False, manual_ack=True,
        )
        c.max_inflight_messages_set(s.inflight_window)
        c.max_queued_messages_set(0)
        c.connect_timeout = s.connect_timeout_s
        if s.username:
            c.username_pw_set(s.username, s.password)
        if s.tls:
            c.tls_set(ca_certs=str(s.ca_file) if s.ca_file else None,
                      certfile=str(s.client_cert) if s.client_cert else None,
                      keyfile=str(s.client_key) if s.client_key else None,
                      cert_reqs=ssl.CERT_REQUIRED, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        c.will_set(will[0], will[1], qos=1, retain=True)
        c.on_connect = self._cb_connect
        c.on_disconnect = self._cb_disconnect
        c.on_message = self._cb_message
        c.on_publish = self._cb_publish
        c.on_subscribe = self._cb_subscribe
        return c

    # ------------------------------------------------------------- paho thread side
    def _post(self, fn, *args) -> None:
        try:
            self.loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the asyncio loop is gone (shutdown)
            pass

    def _cb_connect(self, client, userdata, flags, reason, properties) -> None:
        ok = not reason.is_failure
        opened = Opened(ok, bool(getattr(flags, "session_present", False)), str(reason),
                        str(reason) in UNSUPPORTED_PROTOCOL)
        self._post(self._resolve, opened)

    def _cb_disconnect(self, client, userdata, flags, reason, properties) -> None:
        self._post(self._ended, str(reason))

    def _cb_message(self, client, userdata, msg: mqtt.MQTTMessage) -> None:
        self._post(self.inbox.put_nowait,
                   Inbound(msg.topic, bytes(msg.payload), msg.mid, msg.qos, bool(msg.retain)))

    def _cb_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        self._post(self._on_suback, mid, [not rc.is_failure for rc in reason_codes])

    def _cb_publish(self, client, userdata, mid, reason, properties) -> None:
        self._post(self._on_puback, mid)

    def _run(self) -> None:
        s = self.settings
        try:
            if self.v5:
                props = Properties(PacketTypes.CONNECT)
                props.SessionExpiryInterval = s.session_expiry_s
                self.client.connect(s.host, s.port, s.keepalive_s, clean_start=False,
                                    properties=props)
            else:
                self.client.connect(s.host, s.port, s.keepalive_s)
        except (OSError, ValueError, ssl.SSLError) as exc:
            self._post(self._ended, f"connect failed: {exc}")
            return
        try:
            self.client.loop_forever()
        except Exception as exc:  # paho raised from its loop: this connection is over
            self._post(self._ended, f"network loop failed: {exc!r}")
            return
        self._post(self._ended, self.close_reason or "disconnected")

    # ------------------------------------------------------------ asyncio side
    def _resolve(self, opened: Opened) -> None:
        if opened.ok:
            self.session_present = opened.session_present
        if not self._opened.done():
            self._opened.set_result(opened)

    def _ended(self, reason: str) -> None:
        if not self.closed.is_set():
            self.close_reason = reason
            self.closed.set()
        self._resolve(Opened(False, reason=reason))

    async def open(self) -> Opened:
        """Connect and wait for CONNACK, at most ``connect_timeout_s`` (+ the TCP connect)."""
        self._thread = threading.Thread(target=self._run, name="mqtt", daemon=True)
        self._thread.start()
        try:
            return await asyncio.wait_for(asyncio.shield(self._opened),
                                          self.settings.connect_timeout_s * 2)
        except TimeoutError:
            await self.abort("no CONNACK in time")
            return Opened(False, reason="no CONNACK in time")

    def publish(self, topic: str, payload: bytes | str, qos: int = 1, retain: bool = False,
                content_type: str | None = None) -> int:
        props = None
        if content_type and self.v5:
            props = Properties(PacketTypes.PUBLISH)
            props.ContentType = content_type
        info = self.client.publish(topic, payload, qos=qos, retain=retain, properties=props)
        if info.rc != mqtt.MQTT_ERR_SUCCESS and info.rc != mqtt.MQTT_ERR_NO_CONN:
            raise ConnectionError(f"publish failed: {mqtt.error_string(info.rc)}")
        return info.mid

    def _on_suback(self, mid: int, granted: list[bool]) -> None:
        fut = self._subacks.pop(mid, None)
        if fut is not None and not fut.done():
            fut.set_result(granted)

    async def subscribe(self, topics: list[str], timeout_s: float) -> None:
        """Subscribe at QoS 1 and wait for the SUBACK: until then the broker's session has
        no subscription, and a command published meanwhile would not be kept for us."""
        rc, mid = self.client.subscribe([(t, 1) for t in topics])
        if rc != mqtt.MQTT_ERR_SUCCESS or mid is None:
            raise ConnectionError(f"subscribe failed: {mqtt.error_string(rc)}")
        fut = self.loop.create_future()
        self._subacks[mid] = fut
        try:
            granted = await asyncio.wait_for(fut, timeout_s)
        except TimeoutError:
            raise ConnectionError("no SUBACK in time") from None
        refused = [t for t, ok in zip(topics, granted) if not ok]
        if refused:
            raise ConnectionError(f"broker refused subscriptions: {', '.join(refused)}")

    def ack(self, mid: int, qos: int) -> None:
        if qos > 0 and not self.closed.is_set():
            self.client.ack(mid, qos)

    async def abort(self, reason: str) -> None:
        """End the connection now (no DISCONNECT: the broker publishes the Will)."""
        self.close_reason = reason
        sock = self.client.socket()
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        await self.join()

    async def disconnect(self) -> None:
        """A clean MQTT DISCONNECT (no Will), then wait for the network thread."""
        self.close_reason = "shutdown"
        self.client.disconnect()
        try:
            await asyncio.wait_for(self.closed.wait(), 3.0)
        except TimeoutError:
            await self.abort("shutdown (DISCONNECT not flushed)")
        await self.join()

    async def join(self) -> None:
        thread = self._thread
        if thread is not None and thread.is_alive():
            await asyncio.get_running_loop().run_in_executor(None, thread.join, 10.0)
        self._ended(self.close_reason or "closed")
