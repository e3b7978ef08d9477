"""The contract's topic names for one lane (``central-contract.md`` § Transport)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Inbound(StrEnum):
    """What a message received on a subscribed topic is."""

    COMMAND = "cmd/req"
    ACK = "events/ack"
    DELTA = "passes"
    SNAPSHOT = "passes/sync"
    KEYS = "keys"


@dataclass(frozen=True, slots=True)
class Topics:
    site: str
    lane: str

    @property
    def site_root(self) -> str:
        return f"gate/v1/{self.site}"

    @property
    def root(self) -> str:
        return f"{self.site_root}/{self.lane}"

    # lane -> central
    @property
    def status(self) -> str:
        return f"{self.root}/status"

    @property
    def events(self) -> str:
        return f"{self.root}/events"

    def image(self, event_id: str, kind: str) -> str:
        return f"{self.root}/images/{event_id}/{kind}"

    @property
    def telemetry(self) -> str:
        return f"{self.root}/telemetry"

    @property
    def cmd_res(self) -> str:
        return f"{self.root}/cmd/res"

    @property
    def sync_req(self) -> str:
        return f"{self.root}/passes/sync-req"

    # central -> lane
    def inbound(self) -> dict[str, Inbound]:
        """Every subscribed topic and what it carries."""
        return {
            f"{self.root}/cmd/req": Inbound.COMMAND,
            f"{self.root}/events/ack": Inbound.ACK,
            f"{self.site_root}/passes": Inbound.DELTA,
            f"{self.root}/passes/sync": Inbound.SNAPSHOT,
            f"{self.site_root}/keys": Inbound.KEYS,
        }

    def classify(self, topic: str) -> Inbound | None:
        return self.inbound().get(topic)
