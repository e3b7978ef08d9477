"""Durable SQLite store: events outbox, passes, commands seen, audit."""

from gated.store.async_store import AsyncStore
from gated.store.db import StoreError
from gated.store.store import Store

__all__ = ["AsyncStore", "Store", "StoreError"]
