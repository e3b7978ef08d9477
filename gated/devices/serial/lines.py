"""The fixed QR scanner's output, pure: decoded text followed by CR or CR LF.

:class:`LineDecoder` turns the byte stream into raw text lines. It is strict about what
a scanner may plausibly send and rejects the rest with a reason: lines over the maximum
length (discarded up to the next terminator), invalid UTF-8, control characters. It does
not judge the content: pass validation belongs to the QR path.
"""

from __future__ import annotations

from gated.devices.serial.rejected import Rejected

CR, LF = 0x0D, 0x0A


class LineDecoder:
    def __init__(self, max_length: int = 512) -> None:
        self.max_length = max_length
        self._buf = bytearray()
        self._overflow = 0  # bytes dropped from the current over-long line

    def feed(self, data: bytes) -> list[str | Rejected]:
        out: list[str | Rejected] = []
        for byte in data:
            if byte in (CR, LF):
                item = self._end_line()
                if item is not None:
                    out.append(item)
            elif self._overflow:
                self._overflow += 1
            elif len(self._buf) >= self.max_length:
                self._overflow = len(self._buf) + 1
                self._buf.clear()
            else:
                self._buf.append(byte)
        return out

    def flush(self) -> Rejected | None:
        """Drop an unterminated line (the port closed mid-line)."""
        if not (self._buf or self._overflow):
            return None
        junk, self._buf, self._overflow = bytes(self._buf), bytearray(), 0
        return Rejected(f"unterminated line of {len(junk)} bytes", junk)

    def _end_line(self) -> str | Rejected | None:
        raw, dropped = bytes(self._buf), self._overflow
        self._buf.clear()
        self._overflow = 0
        if dropped:
            return Rejected(f"line longer than {self.max_length} bytes ({dropped})", raw)
        if not raw:
            return None  # the LF of CR LF, or an empty line
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return Rejected("not UTF-8 text", raw)
        if any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in text):
            return Rejected("control characters in line", raw)
        return text
