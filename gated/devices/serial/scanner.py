"""The fixed QR scanner on a serial port: raw text lines for the QR path."""

from __future__ import annotations

from collections.abc import AsyncIterator

import structlog

from gated.devices.serial.config import SerialScannerConfig
from gated.devices.serial.lines import LineDecoder
from gated.devices.serial.port import SerialPort
from gated.devices.serial.rejected import Rejected

log = structlog.get_logger()


class SerialScanner:
    """A :class:`~gated.devices.interfaces.QrSource`. ``codes()`` raises
    :class:`~gated.devices.interfaces.DeviceError` when the port fails; the
    :class:`~gated.devices.link_serial.ScannerLink` reconnects it."""

    def __init__(self, cfg: SerialScannerConfig, port: SerialPort | None = None) -> None:
        self.name = cfg.name
        self.cfg = cfg
        self.port = port or SerialPort(cfg.device, baudrate=cfg.baudrate, parity=cfg.parity,
                                       stopbits=cfg.stopbits, bytesize=cfg.bytesize)
        self._decoder = LineDecoder(cfg.max_length)

    async def connect(self) -> None:
        await self.port.open()
        self._decoder = LineDecoder(self.cfg.max_length)
        log.info("scanner.connected", device=self.name, port=self.cfg.device)

    async def close(self) -> None:
        self._reject(self._decoder.flush())
        self.port.close()

    async def codes(self) -> AsyncIterator[str]:
        while True:
            for item in self._decoder.feed(await self.port.read(None)):
                if isinstance(item, Rejected):
                    self._reject(item)
                else:
                    yield item

    def _reject(self, item: Rejected | None) -> None:
        if item is not None:
            log.warning("scanner.rejected", device=self.name, **item.log_fields())
