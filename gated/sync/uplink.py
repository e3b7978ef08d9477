"""The MQTT uplink: one connection at a time, its outbox pumps, inbound handling, status.

Life of a connection: CONNECT (Will = ``status`` offline/lost) -> retained birth ``status``
-> subscribe -> events and images pumps run while inbound messages are handled one at a
time, each acknowledged (MQTT) only once handled. When it ends, the uplink waits
(exponential backoff with jitter) and opens a new one. A clean stop publishes ``status``
offline/shutdown and disconnects, so the broker does not publish the Will.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog

from gated.core.lane.model import DeviceDown, DeviceUp
from gated.core.timefmt import rfc3339
from gated.qr.keyring import Keyring, TrustedKey
from gated.store import AsyncStore, StoreError
from gated.store.outbox import first_seq
from gated.sync import passsync
from gated.sync.client import Connection, Inbound, Protocol, Settings, next_protocol
from gated.sync.cmdexec import CommandRunner, Lane
from gated.sync.messages import BadMessage, parse_ack
from gated.sync.outbox import EventPump, ImagePump
from gated.sync.passfeed import PassFeed
from gated.sync.topics import Inbound as Kind
from gated.sync.topics import Topics

log = structlog.get_logger()

#: Wait this long before publishing to a broker that has lost our session (see below).
FRESH_SESSION_GRACE_S = 3.0

UPLINK_FAULT_AFTER_S = 60.0  # offline this long -> device.fault (kind uplink)


@dataclass(frozen=True)
class Identity:
    boot_id: str
    version: str
    started_at: float
    config_sha256: str
    tz: Any


@dataclass(frozen=True)
class Options:
    protocol: str = "auto"  # auto | 5 | 3.1.1
    reconnect_min_s: float = 1.0
    reconnect_max_s: float = 60.0
    telemetry_interval_s: float = 30.0
    command_skew_s: float = 2.0
    require_signed_commands: bool = False
    resend_after_s: float = 30.0


def backoff_s(attempt: int, lo: float, hi: float, rnd: float) -> float:
    """``lo * 2**attempt`` capped at ``hi``, with +-20 % jitter (``rnd`` in 0..1)."""
    return min(hi, lo * 2 ** min(attempt, 30)) * (0.8 + 0.4 * rnd)


def _json(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class MqttUplink:
    def __init__(self, settings: Settings, topics: Topics, identity: Identity, opts: Options,
                 astore: AsyncStore, runtime, lane: Lane,
                 telemetry: Callable[[], Awaitable[dict]] | None = None) -> None:
        self.settings, self.topics, self.identity, self.opts = settings, topics, identity, opts
        self.astore = astore
        self.runtime = runtime
        self.telemetry = telemetry
        self.pump = EventPump(astore, topics.events, settings.inflight_window,
                              opts.resend_after_s)
        self.images = ImagePump(astore, topics.image)
        self.feed = PassFeed(astore, self._reload_passes, self._request_snapshot)
        lane.replay = self._replay
        lane.resync = self.feed.resync
        lane.publish_image = self._publish_image
        self.commands = CommandRunner(astore, lane, skew_s=opts.command_skew_s,
                                      require_signed=opts.require_signed_commands,
                                      keys=self.command_key)
        # the lane's keyring (config + keys topic), shared with QR pass verification;
        # the daemon sets it; without one, no signed command can verify
        self.keyring: Callable[[], Keyring] = Keyring
        self.key_hooks: list[Callable[[bytes], None]] = []
        self.protocol: Protocol = "3.1.1" if opts.protocol == "3.1.1" else "5"
        self.conn: Connection | None = None
        self._acks: dict[int, asyncio.Future] = {}
        self.online_since: float | None = None
        self.offline_since = time.monotonic()
        self.fault_raised = False
        self.last_error = ""
        self.connects = 0
        self.acked_upto = 0
        self._stopping = False

    # ------------------------------------------------------------------ hooks
    def notify(self, event: dict) -> None:
        """Bus listener: a new event was committed (or buffered)."""
        if event.get("seq") is not None:
            self.pump.notify()
            if event.get("images"):  # stored before the event that names them: send now,
                self.images.wake.set()  # not at the pump's next 30 s poll
        if event.get("type") == "lane.mode_changed":
            try:  # called from the lane's runtime: must never raise into it
                self._publish(self.topics.status, self._birth(), retain=True)
            except Exception:
                log.exception("uplink.status_publish_failed")

    def command_key(self, kid: str) -> TrustedKey | None:
        return self.keyring().get(kid)

    # --------------------------------------------------------------- main loop
    async def run(self) -> None:
        loops = [asyncio.create_task(c) for c in (
            self._start_feed(), self.pump.record_forever(), self._telemetry_forever(),
            self._watch_offline())]
        try:
            attempt = 0
            while not self._stopping:
                conn = await self._connect()
                if conn is not None:
                    attempt = 0
                    await self._session(conn)
                delay = backoff_s(attempt, self.opts.reconnect_min_s, self.opts.reconnect_max_s,
                                  random.random())
                attempt += 1
                await asyncio.sleep(delay)
        finally:
            for t in loops:
                t.cancel()

    async def _start_feed(self) -> None:
        while True:
            try:
                self.acked_upto = await self.astore.run(self.astore.store.acked_upto)
                await self.feed.start()
                break
            except StoreError as exc:
                log.warning("passes.sync_start_failed", error=str(exc))
                await asyncio.sleep(5.0)
        while True:
            await asyncio.sleep(5.0)
            try:
                await self.feed.tick()
            except StoreError as exc:
                log.warning("passes.sync_tick_failed", error=str(exc))

    async def _connect(self) -> Connection | None:
        will = (self.topics.status, _json({"online": False, "boot_id": self.identity.boot_id,
                                           "reason": "lost"}))
        conn = Connection(self.settings, self.protocol, will,
                          on_puback=lambda mid: self._on_puback(conn, mid))
        opened = await conn.open()
        self.protocol = next_protocol(self.opts.protocol, self.protocol, opened)
        if opened.ok:
            return conn
        self.last_error = opened.reason or conn.close_reason
        log.warning("uplink.connect_failed", reason=self.last_error, protocol=conn.protocol,
                    broker=f"{self.settings.host}:{self.settings.port}")
        await conn.abort(self.last_error)
        return None

    async def _session(self, conn: Connection) -> None:
        try:  # online only once the session's subscriptions exist on the broker
            await conn.subscribe(list(self.topics.inbound()), self.settings.connect_timeout_s)
        except ConnectionError as exc:
            log.warning("uplink.subscribe_failed", error=str(exc))
            await conn.abort(str(exc))
            self.last_error = str(exc)
            return
        self.conn, self.connects = conn, self.connects + 1
        self.online_since = time.monotonic()
        log.info("uplink.connected", protocol=conn.protocol, connects=self.connects,
                 broker=f"{self.settings.host}:{self.settings.port}")
        self._publish(self.topics.status, self._birth(), retain=True)
        self.feed.on_connected()
        if self.fault_raised:
            self.fault_raised = False
            self.runtime.submit_nowait(DeviceUp("uplink", "uplink"))
        tasks = [asyncio.create_task(c) for c in (
            self._pumps_after_grace(conn), self._handle_inbound(conn))]
        closed = asyncio.create_task(conn.closed.wait())
        try:
            await asyncio.wait([closed, *tasks], return_when=asyncio.FIRST_COMPLETED)
            for t in tasks:
                if t.done() and not t.cancelled() and t.exception() is not None:
                    log.error("uplink.task_failed", error=repr(t.exception()))
        finally:
            for t in [closed, *tasks]:
                t.cancel()
            await asyncio.gather(closed, *tasks, return_exceptions=True)
            if not conn.closed.is_set():
                await conn.abort("uplink stopped" if self._stopping else "a pump ended")
            self._detach(conn)

    async def _pumps_after_grace(self, conn: Connection) -> None:
        """Publish events and images; after a broker that lost every session, first wait.

        ``session_present`` false on a persistent session means the broker restarted
        without its state: central's subscription is gone too, and whatever is published
        before central resubscribes is dropped by the broker (the resend from central's ack
        fills it later, but central then sees a gap first). Events are durable here, so a
        few seconds' wait costs nothing and keeps central's view in order.
        """
        if not conn.session_present:
            log.info("uplink.fresh_broker_session", grace_s=FRESH_SESSION_GRACE_S)
            await asyncio.sleep(FRESH_SESSION_GRACE_S)
        await asyncio.gather(self.pump.run(conn), self.images.run(conn))

    def _detach(self, conn: Connection) -> None:
        self.pump.detach()
        self.images.detach()
        for fut in self._acks.values():
            fut.cancel()
        self._acks.clear()
        if self.conn is conn:
            self.conn = None
            self.online_since = None
            self.offline_since = time.monotonic()
            self.last_error = conn.close_reason
            log.warning("uplink.disconnected", reason=conn.close_reason)

    async def _watch_offline(self) -> None:
        while True:
            await asyncio.sleep(5.0)
            down = time.monotonic() - self.offline_since
            if self.conn is None and not self.fault_raised and down >= UPLINK_FAULT_AFTER_S:
                self.fault_raised = True
                self.runtime.submit_nowait(DeviceDown(
                    "uplink", "uplink", f"no broker connection for {down:.0f}s: {self.last_error}"))

    # ------------------------------------------------------------- publishing
    def _birth(self) -> bytes:
        i = self.identity
        return _json({"online": True, "boot_id": i.boot_id, "version": i.version,
                      "started_at": rfc3339(i.started_at, i.tz), "mode": self.runtime.state.mode,
                      "config_sha256": i.config_sha256, "protocol": self.protocol})

    def _publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False,
                 content_type: str | None = None) -> asyncio.Future | None:
        """Publish on the current connection; the future resolves on PUBACK (None: offline)."""
        conn = self.conn
        if conn is None or conn.closed.is_set():
            return None
        try:
            mid = conn.publish(topic, payload, qos=qos, retain=retain, content_type=content_type)
        except ConnectionError as exc:  # the connection is going away: as if offline
            log.info("uplink.publish_skipped", topic=topic, reason=str(exc))
            return None
        fut = asyncio.get_running_loop().create_future()
        if qos:
            self._acks[mid] = fut
        else:
            fut.set_result(True)
        return fut

    def _on_puback(self, conn: Connection, mid: int) -> None:
        if conn is not self.conn:
            return  # a late PUBACK of a connection already replaced
        if self.pump.on_puback(mid) or self.images.on_puback(mid):
            return
        fut = self._acks.pop(mid, None)
        if fut is not None and not fut.done():
            fut.set_result(True)

    def _request_snapshot(self, have_version: int) -> bool:
        return self._publish(self.topics.sync_req, _json({"have_version": have_version})) \
            is not None

    def _publish_image(self, image_id: str, kind: str, jpeg: bytes) -> str:
        topic = self.topics.image(image_id, kind)
        if self._publish(topic, jpeg, content_type="image/jpeg") is None:
            raise ConnectionError("uplink offline")
        return topic

    async def _replay(self, from_seq: int) -> dict:
        first = await self.astore.run(first_seq, self.astore.store)
        self.pump.replay(max(from_seq, first))
        return {"from_seq": max(from_seq, first), "requested_from": from_seq}

    async def _reload_passes(self) -> None:
        await self.runtime.reload_passes(self.astore.store.load_passes)

    async def _telemetry_forever(self) -> None:
        while True:
            await asyncio.sleep(self.opts.telemetry_interval_s)
            if self.telemetry is None or self.conn is None:
                continue
            try:
                self._publish(self.topics.telemetry, _json(await self.telemetry()), qos=0)
            except Exception:  # telemetry must never take the uplink down
                log.exception("telemetry.failed")

    # ----------------------------------------------------------------- inbound
    async def _handle_inbound(self, conn: Connection) -> None:
        while True:
            msg = await conn.inbox.get()
            kind = self.topics.classify(msg.topic)
            try:
                await self._dispatch(kind, msg)
            except BadMessage as exc:
                log.warning("uplink.bad_message", topic=msg.topic, reason=exc.reason,
                            detail=exc.detail, bytes=len(msg.payload))
            except StoreError as exc:  # not acknowledged: redelivered on the next connection
                log.error("uplink.message_not_stored", topic=msg.topic, error=str(exc))
                continue
            except Exception:  # a bug must not turn one message into a reconnect loop
                log.exception("uplink.message_failed", topic=msg.topic[:200])
            conn.ack(msg.mid, msg.qos)

    async def _dispatch(self, kind: Kind | None, msg: Inbound) -> None:
        if kind is Kind.COMMAND:
            res = await self.commands.handle(msg.payload)
            fut = self._publish(self.topics.cmd_res, _json(res))
            if fut is not None:
                await fut  # PUBACK before the command is acknowledged
        elif kind is Kind.ACK:
            upto = await self.astore.run(_set_acked, self.astore.store, parse_ack(msg.payload))
            self.acked_upto = upto
            self.pump.on_central_ack(upto)
        elif kind is Kind.DELTA:
            await self.feed.on_delta(msg.payload)
        elif kind is Kind.SNAPSHOT:
            await self.feed.on_chunk(msg.payload)
        elif kind is Kind.KEYS:
            self._on_keys(msg.payload)
        else:
            log.warning("uplink.unexpected_topic", topic=msg.topic[:200])

    def _on_keys(self, payload: bytes) -> None:
        for hook in self.key_hooks:  # the QR feed updates the lane's keyring
            try:
                hook(payload)
            except Exception:
                log.exception("keys.hook_failed")

    # ------------------------------------------------------------------- stop
    async def stop(self) -> None:
        """Clean stop: ``status`` offline/shutdown (retained), then DISCONNECT (no Will)."""
        self._stopping = True
        conn = self.conn
        if conn is not None and not conn.closed.is_set():
            fut = self._publish(self.topics.status, _json({
                "online": False, "boot_id": self.identity.boot_id, "reason": "shutdown"}),
                retain=True)
            if fut is not None:
                try:
                    await asyncio.wait_for(fut, 3.0)
                except (TimeoutError, asyncio.CancelledError):
                    log.warning("uplink.shutdown_status_unconfirmed")
            await conn.disconnect()
        try:
            await self.pump.flush_sent()
        except StoreError:
            pass

    def status(self) -> dict:
        conn = self.conn
        online = conn is not None and not conn.closed.is_set()
        since = self.online_since if online else self.offline_since
        return {
            "online": online,
            "detail": "connected" if online else (self.last_error or "connecting"),
            "broker": f"{self.settings.host}:{self.settings.port}",
            "client_id": self.settings.client_id,
            "protocol": self.protocol,
            "for_s": round(time.monotonic() - since, 1) if since else None,
            "connects": self.connects,
            "published": self.pump.published,
            "resends": self.pump.resends,
            "inflight": self.pump.inflight,
            "acked_upto": self.acked_upto,
            "images_sent": self.images.sent,
            "commands": self.commands.handled,
            "passes": passsync.progress(self.feed.state),
        }


def _set_acked(store, upto: int) -> int:
    """Record central's ack; the result is clamped to what the lane has stored."""
    store.set_acked(upto)
    return store.acked_upto()
