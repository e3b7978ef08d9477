"""Publishing the outbox: events strictly in ``seq`` order with a bounded in-flight window.

On every connection the pump starts again from central's cumulative ``events/ack`` + 1,
not from what the broker PUBACKed: a broker that dies (with or without persistence) can
lose messages it had acknowledged, and only central's ack proves delivery. For the same
reason, when central's ack stops advancing while PUBACKed events wait for it, the pump
resends from the ack after ``resend_after_s`` (doubling, up to an hour, until the ack
moves): a broker restarted without persistence drops what arrives before central has
subscribed again. Central de-duplicates by ``id``, so resending is safe; skipping is not.

PUBACKs are recorded in the store (``sent_at``, ``sent_upto``) in batches. Events are
pruned only by retention, and only up to central's ack.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from gated.store import AsyncStore
from gated.store import images as img
from gated.store import outbox as ob
from gated.sync.client import Connection

log = structlog.get_logger()

READ_BATCH = 500
IMAGE_WINDOW = 4
SENT_FLUSH_S = 0.5
RESEND_MAX_S = 3600.0


@dataclass
class Window:
    """In-flight bookkeeping for one connection (pure: no I/O)."""

    size: int
    next_seq: int
    puback_upto: int
    inflight: dict[int, int] = field(default_factory=dict)  # mid -> seq
    done: set[int] = field(default_factory=set)  # PUBACKed beyond a hole (out of order)

    @classmethod
    def starting_at(cls, seq: int, size: int) -> Window:
        return cls(size, seq, seq - 1)

    def room(self) -> int:
        return max(0, self.size - len(self.inflight))

    def published(self, mid: int, seq: int) -> None:
        self.inflight[mid] = seq
        self.next_seq = seq + 1

    def on_puback(self, mid: int) -> tuple[int, int] | None:
        """The range of seqs newly PUBACKed without a hole below it, if any."""
        seq = self.inflight.pop(mid, None)
        if seq is None or seq <= self.puback_upto:
            return None
        self.done.add(seq)
        lo = self.puback_upto + 1
        while self.puback_upto + 1 in self.done:
            self.done.discard(self.puback_upto + 1)
            self.puback_upto += 1
        return (lo, self.puback_upto) if self.puback_upto >= lo else None

    def rewind(self, seq: int) -> None:
        """``events.replay``: publish again from ``seq`` (what is in flight stays)."""
        self.next_seq = min(self.next_seq, max(seq, 1))


class EventPump:
    """Reads events in seq order and publishes them on one connection at a time."""

    def __init__(self, astore: AsyncStore, topic: str, window: int,
                 resend_after_s: float = 30.0) -> None:
        self.astore = astore
        self.store = astore.store
        self.topic = topic
        self.window_size = window
        self.window: Window | None = None
        self.wake = asyncio.Event()
        self.central_acked = 0
        self.resend_base = resend_after_s
        self.resend_after = resend_after_s
        self.progress_at = time.monotonic()
        self.resends = 0
        self._sent: tuple[int, int] | None = None  # PUBACKed range not yet recorded
        self.published = 0
        self.pubacked = 0

    def notify(self, _event: dict | None = None) -> None:
        self.wake.set()

    async def run(self, conn: Connection) -> None:
        """Publish until the connection closes (cancelled by the uplink then)."""
        acked = await self.astore.run(self.store.acked_upto)
        self.central_acked = max(self.central_acked, acked)
        self.window = w = Window.starting_at(self.central_acked + 1, self.window_size)
        self.progress_at = time.monotonic()
        while not conn.closed.is_set():
            self.wake.clear()
            self._resend_if_stuck(w)
            room, start = w.room(), w.next_seq
            rows = await self.astore.run(ob.rows_from, self.store, start,
                                         min(room, READ_BATCH)) if room else []
            if w.next_seq != start:  # rewound by events.replay meanwhile: read again
                continue
            if not rows:
                await self._sleep()
                continue
            if rows[0].seq != start and start > self.central_acked + 1:
                log.warning("outbox.skipped", expected=start, found=rows[0].seq,
                            why="pruned after central's ack")
            for row in rows:
                if conn.closed.is_set():
                    return
                w.published(conn.publish(self.topic, row.body, qos=1), row.seq)
                self.published += 1

    async def _sleep(self) -> None:
        try:
            await asyncio.wait_for(self.wake.wait(), max(0.1, self.resend_after / 4))
        except TimeoutError:
            pass

    def _resend_if_stuck(self, w: Window) -> None:
        waiting = w.puback_upto > self.central_acked
        if not waiting or time.monotonic() - self.progress_at < self.resend_after:
            return
        log.warning("outbox.resend", from_seq=self.central_acked + 1, upto=w.puback_upto,
                    waited_s=round(self.resend_after, 1))
        w.rewind(self.central_acked + 1)
        self.resends += 1
        self.progress_at = time.monotonic()
        self.resend_after = min(self.resend_after * 2, RESEND_MAX_S)

    def on_central_ack(self, upto: int) -> None:
        """Central's cumulative ``events/ack``: progress resets the resend timer."""
        if upto > self.central_acked:
            self.central_acked = upto
            self.progress_at = time.monotonic()
            self.resend_after = self.resend_base

    def on_puback(self, mid: int) -> bool:
        """True when ``mid`` was one of ours."""
        w = self.window
        if w is None or mid not in w.inflight:
            return False
        self.pubacked += 1
        done = w.on_puback(mid)
        if done is not None:
            lo, hi = done
            self._sent = (self._sent[0], hi) if self._sent else (lo, hi)
        self.wake.set()
        return True

    def replay(self, from_seq: int) -> None:
        if self.window is not None:
            self.window.rewind(from_seq)
            self.wake.set()

    def detach(self) -> None:
        self.window = None

    async def flush_sent(self) -> None:
        """Record PUBACKed ranges in the store (called periodically and at stop)."""
        if self._sent is None:
            return
        lo, hi = self._sent
        self._sent = None
        await self.astore.run(ob.mark_sent, self.store, lo, hi)

    async def record_forever(self) -> None:
        while True:
            await asyncio.sleep(SENT_FLUSH_S)
            try:
                await self.flush_sent()
            except Exception as exc:  # the store is down: the marks are bookkeeping only
                log.warning("outbox.mark_sent_failed", error=str(exc))

    @property
    def inflight(self) -> int:
        return len(self.window.inflight) if self.window else 0


class ImagePump:
    """Publishes stored images not yet sent, oldest first, a few at a time."""

    def __init__(self, astore: AsyncStore, topic: Callable[[str, str], str]) -> None:
        self.astore = astore
        self.store = astore.store
        self.topic = topic
        self.wake = asyncio.Event()
        self._pending: dict[int, asyncio.Future] = {}
        self.sent = 0

    def on_puback(self, mid: int) -> bool:
        fut = self._pending.pop(mid, None)
        if fut is not None and not fut.done():
            fut.set_result(True)
        return fut is not None

    async def run(self, conn: Connection) -> None:
        loop = asyncio.get_running_loop()
        while not conn.closed.is_set():
            self.wake.clear()
            rows = await self.astore.run(img.unsent_images, self.store, IMAGE_WINDOW)
            if not rows:
                try:
                    await asyncio.wait_for(self.wake.wait(), 30.0)
                except TimeoutError:
                    pass
                continue
            waits = []
            for row in rows:
                data = await loop.run_in_executor(None, img.read_image, row)
                if data is None:  # evicted since: drop its row too
                    await self.astore.run(img.delete_images, self.store, [row])
                    continue
                fut = loop.create_future()
                self._pending[conn.publish(self.topic(row.event_id, row.kind), data,
                                           content_type="image/jpeg")] = fut
                waits.append((row, fut))
            for row, fut in waits:
                await fut
                await self.astore.run(img.mark_image_sent, self.store, row.event_id, row.kind)
                self.sent += 1

    def detach(self) -> None:
        for fut in self._pending.values():
            fut.cancel()
        self._pending.clear()
