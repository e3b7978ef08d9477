"""An asyncio serial port on pyserial: non-blocking reads through the event loop's reader.

A port that fails (USB adapter unplugged, pty closed, device node removed) is reported
as :class:`DeviceError` by the next :meth:`read` or :meth:`write`, at once when the
kernel signals it and otherwise within ``check_s`` (the device node is checked).
"""

from __future__ import annotations

import asyncio
import contextlib
import os

import serial

from gated.devices.interfaces import DeviceError


class SerialPort:
    def __init__(self, device: str, *, baudrate: int = 9600, parity: str = "N",
                 stopbits: int = 1, bytesize: int = 8, check_s: float = 0.25) -> None:
        self.device = device
        self.settings = {"baudrate": baudrate, "parity": parity, "stopbits": stopbits,
                         "bytesize": bytesize}
        self.check_s = check_s
        self._ser: serial.Serial | None = None
        self._rx = bytearray()
        self._error: str | None = None
        self._wake = asyncio.Event()

    @property
    def is_open(self) -> bool:
        return self._ser is not None and self._error is None

    async def open(self) -> None:
        self.close()
        if not os.path.exists(self.device):
            raise DeviceError(f"serial port {self.device} is missing")
        try:
            ser = serial.Serial(self.device, timeout=0, write_timeout=0, exclusive=True,
                                **self.settings)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise DeviceError(f"cannot open {self.device}: {exc}") from None
        self._ser, self._error, self._rx = ser, None, bytearray()
        asyncio.get_running_loop().add_reader(ser.fileno(), self._readable)

    def close(self) -> None:
        ser, self._ser = self._ser, None
        if ser is None:
            return
        with contextlib.suppress(Exception):
            asyncio.get_running_loop().remove_reader(ser.fileno())
        with contextlib.suppress(Exception):
            ser.close()

    def _readable(self) -> None:
        try:
            data = self._ser.read(self._ser.in_waiting or 1) if self._ser else b""
        except (serial.SerialException, OSError) as exc:
            self._failed(f"serial port {self.device} gone: {exc}")
            return
        self._rx.extend(data)
        self._wake.set()

    def _failed(self, reason: str) -> None:
        self._error = reason
        if self._ser is not None:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(self._ser.fileno())
        self._wake.set()

    def _check(self) -> None:
        if self._ser is None:
            raise DeviceError(f"serial port {self.device} is closed")
        if self._error is None and not os.path.exists(self.device):
            self._failed(f"serial port {self.device} gone (device node removed)")
        if self._error is not None:
            raise DeviceError(self._error)

    async def read(self, timeout: float | None) -> bytes:
        """Whatever arrived, waiting up to ``timeout`` (None: until data); b"" on timeout."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            self._check()
            if self._rx:
                data, self._rx = bytes(self._rx), bytearray()
                return data
            left = self.check_s if deadline is None else min(self.check_s, deadline - loop.time())
            if left <= 0:
                return b""
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(left):
                    await self._wake.wait()

    async def write(self, data: bytes) -> None:
        self._check()
        try:
            view = memoryview(data)
            while view:
                n = self._ser.write(view) or 0
                view = view[n:]
                if view:
                    await asyncio.sleep(0.001)
        except (serial.SerialException, OSError) as exc:
            self._failed(f"serial port {self.device} gone: {exc}")
            raise DeviceError(self._error) from None

    def discard_input(self) -> bytes:
        data, self._rx = bytes(self._rx), bytearray()
        return data
