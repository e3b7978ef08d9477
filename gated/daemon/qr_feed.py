"""From scanned QR text to a controller input: debounce, verify offline, submit.

The verifier (``gated.qr.verify``) is pure; this is the shell that gives it the lane's
keys, synced passes, used-pass set and clock. Rejections become ``pass.rejected`` events
in the controller, with their one reason code.
"""

from __future__ import annotations

import time

import structlog

from gated.core.lane.model import QrScanned
from gated.daemon.runtime import LaneRuntime
from gated.qr import Keyring, parse_keys_payload, verify
from gated.qr.sources import Debouncer

log = structlog.get_logger()


class QrFeed:
    def __init__(self, runtime: LaneRuntime, keyring: Keyring, quiet_s: float = 3.0) -> None:
        self.runtime = runtime
        self.keyring = keyring
        self._debounce: dict[str, Debouncer] = {}
        self.quiet_s = quiet_s

    async def on_code(self, text: str, reader: str = "scanner") -> None:
        """One scan from ``reader``; a code held in view is one scan, not thirty."""
        debounce = self._debounce.setdefault(reader, Debouncer(self.quiet_s))
        if not debounce.accept(text, time.monotonic()):
            return
        rt = self.runtime
        p = rt.params
        verdict = verify(text, keyring=self.keyring, passes=rt.passes, site=p.site, lane=p.lane,
                         direction=p.direction, now=time.time(), skew_s=p.command_skew_s,
                         used=rt.is_used)
        rt.submit_nowait(QrScanned(verdict, reader))

    def on_keys(self, payload: bytes) -> None:
        """The retained ``gate/v1/{site}/keys`` message: a bad payload changes nothing."""
        update = parse_keys_payload(payload)
        if not update.ok:
            log.warning("keys.rejected", reason=update.reason, detail=update.detail)
            return
        for bad in update.rejected:
            log.warning("keys.entry_rejected", entry=str(bad))
        shadowed = self.keyring.shadowed(update)
        if shadowed:
            log.warning("keys.shadowed_by_config", kids=list(shadowed))
        self.keyring = self.keyring.with_topic(update)
        log.info("keys.updated", kids=list(self.keyring.kids))
