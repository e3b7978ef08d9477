"""The serial board / barrier-controller protocol, pure: frames, checksum, decoder.

Documented for installers in ``drivers/serial-board-protocol.md``. One frame::

    STX | ADDR | SEQ | CMD | LEN | DATA (LEN bytes) | CRC lo | CRC hi | ETX
    0x02                                                                0x03

CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF) over ADDR..DATA, low byte first.
There is no byte stuffing: the decoder trusts LEN, checks ETX and the CRC, and on any
mismatch drops the STX and resynchronises on the next one.
"""

from __future__ import annotations

from dataclasses import dataclass

from gated.devices.serial.rejected import Rejected

STX, ETX = 0x02, 0x03
HEADER = 5  # STX ADDR SEQ CMD LEN
TRAILER = 3  # CRC lo, CRC hi, ETX
MAX_DATA = 200

# Commands (host → device)
CMD_TEXT = ord("T")  # DATA: UTF-8 text, lines separated by LF
CMD_CLEAR = ord("C")  # DATA: empty
CMD_PING = ord("P")  # DATA: empty; ACK carries one status byte
CMD_BARRIER = ord("B")  # DATA: b"O" open, b"C" close, b"S" stop (barrier controllers)
# Replies (device → host), same ADDR and SEQ as the request
ACK, NAK = 0x06, 0x15
NAK_REASONS = {1: "bad checksum", 2: "unknown command", 3: "bad data", 4: "busy"}
RETRYABLE_NAKS = frozenset({1, 4})


@dataclass(frozen=True, slots=True)
class Frame:
    addr: int
    seq: int
    cmd: int
    data: bytes = b""


def crc16(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def encode(frame: Frame) -> bytes:
    if len(frame.data) > MAX_DATA:
        raise ValueError(f"frame data is {len(frame.data)} bytes, at most {MAX_DATA}")
    body = bytes([frame.addr, frame.seq, frame.cmd, len(frame.data)]) + frame.data
    crc = crc16(body)
    return bytes([STX]) + body + bytes([crc & 0xFF, crc >> 8, ETX])


class FrameDecoder:
    """Feed it bytes as they come; it returns whole frames and what it rejected."""

    def __init__(self, max_data: int = MAX_DATA) -> None:
        self.max_data = max_data
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[Frame | Rejected]:
        self._buf.extend(data)
        out: list[Frame | Rejected] = []
        while self._buf:
            item = self._next()
            if item is None:
                break
            out.append(item)
        return out

    def flush(self) -> Rejected | None:
        """Drop a partial frame (e.g. before a new request); reports it as short."""
        if not self._buf:
            return None
        junk, self._buf = bytes(self._buf), bytearray()
        what = "short frame" if junk[0] == STX else "garbage"
        return Rejected(f"{what}: {len(junk)} bytes without a complete frame", junk)

    def _drop(self, n: int, reason: str) -> Rejected:
        junk = bytes(self._buf[:n])
        del self._buf[:n]
        return Rejected(reason, junk)

    def _next(self) -> Frame | Rejected | None:
        buf = self._buf
        start = buf.find(STX)
        if start < 0:
            return self._drop(len(buf), f"garbage: {len(buf)} bytes without STX")
        if start > 0:
            return self._drop(start, f"garbage: {start} bytes before STX")
        if len(buf) < HEADER:
            return None
        length = buf[4]
        if length > self.max_data:
            return self._drop(1, f"oversized frame: length {length} > {self.max_data}")
        end = HEADER + length + TRAILER
        if len(buf) < end:
            return None
        if buf[end - 1] != ETX:
            return self._drop(1, "short or corrupt frame: no ETX where LEN says")
        body = bytes(buf[1 : HEADER + length])
        crc = buf[end - 3] | buf[end - 2] << 8
        if crc16(body) != crc:
            return self._drop(1, "bad checksum")
        del buf[:end]
        return Frame(body[0], body[1], body[2], body[4:])


def describe_nak(frame: Frame) -> str:
    code = frame.data[0] if frame.data else 0
    return NAK_REASONS.get(code, f"error {code}")
