"""Retention and the disk budget (``central-contract.md`` § Delivery and acknowledgement).

Events and images are kept ``retention_days``; the store and its images stay within
``disk_budget_mb`` and leave ``min_free_mb`` free on the filesystem. Eviction order when
over: **oldest images first, then oldest acknowledged events**. An event central has not
acknowledged is never evicted; instead, once such events fill ``budget_alarm_pct`` of the
budget, a ``device.fault`` (device ``store-budget``, kind ``disk``) is raised -- long before
the budget or the disk runs out -- and cleared with ``device.recovered`` below 70 % of it.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from gated.core.lane.model import DeviceDown, DeviceUp
from gated.store import AsyncStore, StoreError
from gated.store import images as img
from gated.store import outbox as ob

log = structlog.get_logger()

ALARM_DEVICE = "store-budget"
CLEAR_FRACTION = 0.7


@dataclass(frozen=True, slots=True)
class Usage:
    db_bytes: int  # live pages of the database
    image_bytes: int
    fs_free: int
    events: int
    unacked: int

    @property
    def acked(self) -> int:
        return self.events - self.unacked

    @property
    def event_bytes(self) -> float:
        """Average bytes per stored event (at least 1 KiB: rows, indexes, WAL)."""
        return max(1024.0, self.db_bytes / self.events) if self.events else 1024.0


@dataclass(frozen=True, slots=True)
class Policy:
    budget: int
    min_free: int
    alarm_fraction: float = 0.8


@dataclass(frozen=True, slots=True)
class Plan:
    free_image_bytes: int
    prune_events: int
    pinned_fraction: float  # of the budget, held by unacknowledged events
    over: int  # bytes over the budget (or under the free-space floor) before eviction

    @property
    def stuck(self) -> bool:
        """Over, and nothing left that may be evicted."""
        return self.over > 0 and not self.free_image_bytes and not self.prune_events


def plan(u: Usage, p: Policy) -> Plan:
    over = max(u.db_bytes + u.image_bytes - p.budget, p.min_free - u.fs_free, 0)
    images = min(over, u.image_bytes)
    rest = over - images
    prune = min(u.acked, math.ceil(rest / u.event_bytes)) if rest > 0 else 0
    return Plan(images, prune, u.unacked * u.event_bytes / p.budget, over)


def alarm_state(was_on: bool, pinned_fraction: float, alarm_fraction: float) -> bool:
    """Hysteresis: on at ``alarm_fraction``, off again below :data:`CLEAR_FRACTION` of it."""
    if pinned_fraction >= alarm_fraction:
        return True
    if pinned_fraction < alarm_fraction * CLEAR_FRACTION:
        return False
    return was_on


def measure(store) -> Usage:
    db = ob.db_usage(store)
    st = os.statvfs(store.path.parent)
    return Usage(db.live_bytes, img.images_bytes(store), st.f_bavail * st.f_frsize, db.events,
                 db.unacked)


def evict(store, pl: Plan, retention_s: float, now: float) -> dict:
    """Carry out a plan, then the time limit. Blocking (store thread)."""
    freed = 0
    if pl.free_image_bytes:
        rows = img.oldest_images(store, 10_000)
        chosen = []
        for r in rows:
            if freed >= pl.free_image_bytes:
                break
            chosen.append(r)
            freed += r.bytes
        img.delete_images(store, chosen)
    pruned = ob.prune_oldest_acked(store, pl.prune_events) if pl.prune_events else 0
    cutoff = now - retention_s
    old = img.oldest_images(store, 10_000, created_before=cutoff)
    aged_images = img.delete_images(store, old) if old else 0
    aged = ob.prune_acked(store, created_before=cutoff)
    return {"image_bytes": freed + aged_images, "events": pruned + aged}


class Retention:
    def __init__(self, astore: AsyncStore, policy: Policy, retention_days: float,
                 raise_input: Callable[[object], None]) -> None:
        self.astore = astore
        self.policy = policy
        self.retention_s = retention_days * 86400
        self.raise_input = raise_input
        self.alarm = False
        self.last: Usage | None = None

    async def once(self) -> dict:
        store = self.astore.store
        usage = await self.astore.run(measure, store)
        pl = plan(usage, self.policy)
        done = await self.astore.run(evict, store, pl, self.retention_s, time.time())
        if done["image_bytes"] or done["events"]:
            log.info("retention.evicted", **done, over_budget=bool(pl.free_image_bytes
                                                                  or pl.prune_events))
            usage = await self.astore.run(measure, store)
        self.last = usage
        after = plan(usage, self.policy)
        self._alarm(1.0 if after.stuck else after.pinned_fraction)
        return done

    def _alarm(self, pinned: float) -> None:
        on = alarm_state(self.alarm, pinned, self.policy.alarm_fraction)
        if on != self.alarm:
            self.alarm = on
            if on:
                reason = (f"unacknowledged events hold {pinned:.0%} of the disk budget;"
                          " they are never evicted: restore the uplink or raise the budget")
                log.error("retention.alarm", pinned=round(pinned, 3))
                self.raise_input(DeviceDown(ALARM_DEVICE, "disk", reason))
            else:
                self.raise_input(DeviceUp(ALARM_DEVICE, "disk"))

    async def run(self, interval_s: float) -> None:
        store = self.astore.store
        try:
            removed = await self.astore.run(img.sweep_orphans, store)
            if removed:
                log.info("retention.orphans_removed", files=removed)
        except (StoreError, OSError) as exc:
            log.warning("retention.sweep_failed", error=str(exc))
        while True:
            try:
                await self.once()
            except (StoreError, OSError) as exc:
                log.warning("retention.failed", error=str(exc))
            await asyncio.sleep(interval_s)

    def status(self) -> dict:
        u = self.last
        if u is None:
            return {"alarm": self.alarm}
        return {"alarm": self.alarm, "db_bytes": u.db_bytes, "image_bytes": u.image_bytes,
                "fs_free_bytes": u.fs_free, "budget_bytes": self.policy.budget,
                "events_stored": u.events, "unacked": u.unacked}
