"""Make untrusted text safe to log and display: escaped and bounded.

QR content is attacker controlled. Before any of it reaches a log line, a terminal or
the message board it goes through :func:`safe`: control, format (bidi overrides,
zero-width) and other non-printable characters become ``\\xNN``/``\\uNNNN`` escapes, and
the result is cut to a bounded length with an ellipsis.
"""

from __future__ import annotations

DEFAULT_LIMIT = 120


def _escape(ch: str) -> str:
    if ch == "\\":
        return "\\\\"
    if ch.isprintable():
        return ch
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a raw byte kept by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def safe(text: str | bytes | None, limit: int = DEFAULT_LIMIT) -> str:
    """Escaped, truncated rendering of untrusted ``text`` (bytes are decoded leniently)."""
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text[: limit * 4].decode("utf-8", errors="surrogateescape")
    head = text[: limit + 1]
    out: list[str] = []
    size = 0
    for ch in head:
        piece = _escape(ch)
        if size + len(piece) > limit:
            return "".join(out) + "…"
        out.append(piece)
        size += len(piece)
    return "".join(out) + ("…" if len(text) > len(head) else "")
