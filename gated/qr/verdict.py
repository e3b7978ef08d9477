"""The outcome of checking one scanned QR text: :class:`QrVerdict`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from gated.qr.formats import SourceKind
from gated.qr.reasons import Reason, explain
from gated.qr.safe_text import safe


@dataclass(frozen=True)
class QrVerdict:
    """Accepted (``ok``, ``reason is None``) or rejected with exactly one reason code.

    ``source`` is ``None`` only when the format was not recognised (``unknown_format``,
    ``oversize``, or undecodable bytes). ``plate`` is the normalised ``plt`` of a signed
    pass or the plate of a referenced pass; it is what :func:`gated.qr.bind` compares with
    the plate ANPR read. ``claims`` are the verified claims (empty unless the signature
    verified), for explanations. ``detail`` is escaped and bounded, safe to log.
    """

    ok: bool
    reason: Reason | None
    source: SourceKind | None
    pass_id: str | None = None
    plate: str | None = None
    trailer_plate: str | None = None
    kid: str | None = None
    claims: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    detail: str = ""

    def rejected(self, reason: Reason, detail: str) -> QrVerdict:
        """This verdict, turned into a rejection for ``reason`` (identity fields kept)."""
        return replace(self, ok=False, reason=reason, detail=safe(detail, 200))

    def explanation(self) -> str:
        return explain(self.reason)

    def event_fields(self) -> dict[str, Any]:
        """The part of a ``pass.rejected`` / ``passage.decided`` event this verdict gives."""
        out: dict[str, Any] = {"pass": {"id": self.pass_id, "source": self.source}}
        if self.reason is not None:
            out["reason"] = self.reason
            out["detail"] = self.detail
        return out

    def summary(self) -> dict[str, Any]:
        """Everything a technician needs, JSON-ready, all untrusted text escaped."""
        return {
            "ok": self.ok,
            "reason": self.reason,
            "explanation": self.explanation(),
            "source": self.source,
            "pass_id": safe(self.pass_id, 64) if self.pass_id else None,
            "plate": self.plate,
            "trailer_plate": self.trailer_plate,
            "kid": safe(self.kid, 64) if self.kid else None,
            "claims": {safe(k, 32): _safe_value(v) for k, v in self.claims.items()},
            "detail": self.detail,
        }


def _safe_value(value: Any) -> Any:
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    if isinstance(value, list):
        return [_safe_value(v) for v in value[:16]]
    return safe(str(value), 80)


def reject(reason: Reason, detail: str, source: SourceKind | None = None) -> QrVerdict:
    return QrVerdict(ok=False, reason=reason, source=source, detail=safe(detail, 200))
