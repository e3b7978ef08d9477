"""Devices speaking drivers/serial-board-protocol.md: request, ACK, retry (``SerialRequester``);
the message board on top of it (``SerialBoard``). The barrier controller: ``barrier.py``."""

from __future__ import annotations

import asyncio
import unicodedata

import structlog

from gated.devices.interfaces import DeviceError
from gated.devices.serial import framing as f
from gated.devices.serial.config import SerialBoardConfig, SerialRequestConfig
from gated.devices.serial.port import SerialPort
from gated.devices.serial.rejected import Rejected

log = structlog.get_logger()


class BoardRefused(DeviceError):
    """The board answered but refused the request (NAK): it is alive, the data was wrong."""


def fit_text(text: str, max_bytes: int) -> bytes:
    """NFC-normalised UTF-8, cut on a character boundary to what the board takes."""
    data = unicodedata.normalize("NFC", text).encode("utf-8")
    if len(data) <= max_bytes:
        return data
    return data[:max_bytes].decode("utf-8", errors="ignore").encode("utf-8")


class SerialRequester:
    """One device on a serial line: opened and pinged by :meth:`connect`, then requests.
    ``kind`` prefixes its log events (``board.retry``, ``barrier_ctl.rejected``, ...)."""

    kind = "serial"

    def __init__(self, cfg: SerialRequestConfig, port: SerialPort | None = None) -> None:
        self.name = cfg.name
        self.cfg = cfg
        self.keepalive_s = cfg.keepalive_ms / 1000
        self.port = port or SerialPort(cfg.device, baudrate=cfg.baudrate, parity=cfg.parity,
                                       stopbits=cfg.stopbits, bytesize=cfg.bytesize)
        self._decoder = f.FrameDecoder()
        self._seq = 0

    async def connect(self) -> None:
        await self.port.open()
        self._decoder.flush()
        await self.ping()
        log.info(f"{self.kind}.connected", device=self.name, port=self.cfg.device)

    async def close(self) -> None:
        self.port.close()

    async def ping(self, tries: int | None = None) -> bytes:
        """Status bytes of the device; raises when it does not answer."""
        return await self.request(f.CMD_PING, tries=tries)

    async def request(self, cmd: int, data: bytes = b"", tries: int | None = None) -> bytes:
        """Send one command and wait for its ACK (resending on silence, garbage or a
        retryable NAK, ``1 + retries`` tries unless ``tries`` says); returns the ACK's data."""
        self._seq = (self._seq + 1) & 0xFF
        frame = f.encode(f.Frame(self.cfg.address, self._seq, cmd, data))
        reason = "no reply"
        tries = 1 + self.cfg.retries if tries is None else tries
        for attempt in range(tries):
            self._reject(self._decoder.flush())
            self.port.discard_input()
            await self.port.write(frame)
            reply, reason = await self._await_reply(self._seq)
            if reply is not None and reply.cmd == f.ACK:
                return reply.data
            if reply is not None and reply.data[:1] and reply.data[0] not in f.RETRYABLE_NAKS:
                raise BoardRefused(f"{chr(cmd)} refused: {reason}")
            log.info(f"{self.kind}.retry", device=self.name, attempt=attempt + 1, reason=reason)
        raise self._fail(f"{chr(cmd)}: {reason} after {tries} tries")

    async def _await_reply(self, seq: int) -> tuple[f.Frame | None, str]:
        loop_time = asyncio.get_running_loop().time
        deadline = loop_time() + self.cfg.timeout_ms / 1000
        reason = f"no reply within {self.cfg.timeout_ms} ms"
        while (left := deadline - loop_time()) > 0:
            for item in self._decoder.feed(await self.port.read(left)):
                if isinstance(item, Rejected):
                    self._reject(item)
                    reason = f"rejected reply: {item.reason}"
                elif item.addr != self.cfg.address or item.seq != seq:
                    self._reject(Rejected(f"reply for addr {item.addr} seq {item.seq}, "
                                          f"expected addr {self.cfg.address} seq {seq}"))
                elif item.cmd == f.NAK:
                    return item, f"NAK ({f.describe_nak(item)})"
                elif item.cmd == f.ACK:
                    return item, "ok"
                else:
                    self._reject(Rejected(f"unexpected reply command {item.cmd:#04x}"))
        return None, reason

    def _reject(self, item: Rejected | None) -> None:
        if item is not None:
            log.warning(f"{self.kind}.rejected", device=self.name, **item.log_fields())

    def _fail(self, reason: str) -> DeviceError:
        log.warning(f"{self.kind}.failed", device=self.name, reason=reason)
        return DeviceError(reason)


class SerialBoard(SerialRequester):
    """A :class:`~gated.devices.interfaces.MessageBoard` on a serial line."""

    kind = "board"
    cfg: SerialBoardConfig

    async def show(self, text: str) -> None:
        await self.request(f.CMD_TEXT, fit_text(text, self.cfg.max_text_bytes))
