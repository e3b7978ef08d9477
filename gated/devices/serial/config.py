"""The ``[board]``, ``[barrier]`` and ``[scanner]`` sections of a lane config for serial devices."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class SerialLine(BaseModel):
    """Serial port settings shared by every serial device."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    driver: Literal["serial"] = Field(description="selects the serial driver")
    device: str = Field(min_length=1, description="serial port, e.g. /dev/ttyUSB0 or /dev/serial/by-id/...")
    baudrate: int = Field(default=9600, ge=1200, le=921600, description="serial speed")
    parity: Literal["N", "E", "O"] = Field(default="N", description="parity")
    stopbits: Literal[1, 2] = Field(default=1, description="stop bits")
    bytesize: Literal[7, 8] = Field(default=8, description="data bits")


class SerialRequestConfig(SerialLine):
    """A device speaking drivers/serial-board-protocol.md: request, ACK/NAK, retry, ping."""

    name: str = Field(default="board", min_length=1, max_length=32, description="device name in logs")
    address: int = Field(default=1, ge=0, le=255, description="device address on the line")
    timeout_ms: int = Field(default=150, ge=20, le=2000, description="wait for ACK/NAK per try")
    retries: int = Field(default=2, ge=0, le=5, description="resends after a missing or NAKed reply")
    keepalive_ms: int = Field(
        default=250, ge=50, le=1000, description="ping period when idle (detects a silent device)"
    )

    @model_validator(mode="after")
    def _fault_within_one_second(self) -> SerialRequestConfig:
        worst = self.keepalive_ms + (1 + self.retries) * self.timeout_ms
        if worst > 1000:
            raise ValueError(
                f"keepalive_ms + (1 + retries) * timeout_ms = {worst} ms: a silent device must "
                "be reported within 1000 ms (safety rule 3)"
            )
        return self


class SerialBoardConfig(SerialRequestConfig):
    """An LED message board."""

    max_text_bytes: int = Field(default=120, ge=8, le=200, description="longest text the board takes")


class SerialBarrierConfig(SerialRequestConfig):
    """A barrier controller commanded over its serial port (the ``B`` command) instead of
    through the I/O module's barrier contacts."""

    name: str = Field(default="barrier", min_length=1, max_length=32, description="device name in logs")


class SerialScannerConfig(SerialLine):
    """A fixed QR/barcode scanner that sends the decoded text and CR (or CR LF)."""

    name: str = Field(default="scanner", min_length=1, max_length=32, description="device name in logs")
    max_length: int = Field(default=512, ge=16, le=4096, description="longest accepted code, bytes")
