"""What a decoder hands back instead of a frame or line it refused."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rejected:
    """Bytes thrown away and why (logged by the driver, never raised)."""

    reason: str
    data: bytes = b""

    def log_fields(self) -> dict:
        return {"reason": self.reason, "bytes": len(self.data), "head": self.data[:16].hex(" ")}
