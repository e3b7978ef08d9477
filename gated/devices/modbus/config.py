"""The ``[io]`` section of a lane config when the lane's I/O is a Modbus module or PLC."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ModbusIoConfig(BaseModel):
    """Connection to a Modbus I/O module or PLC; what its points mean is in the profile."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    driver: Literal["modbus"] = Field(description="selects this driver")
    name: str = Field(default="io", min_length=1, max_length=32, description="device name in logs")
    profile: str = Field(
        min_length=1,
        description="hardware profile: a name in drivers/ (e.g. 'relay-8x8') or a path to a .toml",
    )
    transport: Literal["tcp", "rtu"] = Field(description="Modbus TCP, or RTU over a serial line")
    host: str | None = Field(default=None, description="module address (tcp)")
    port: int = Field(default=502, ge=1, le=65535, description="TCP port (tcp)")
    device: str | None = Field(default=None, description="serial device, e.g. /dev/ttyUSB0 (rtu)")
    baudrate: int = Field(default=19200, ge=1200, le=921600, description="serial speed (rtu)")
    parity: Literal["N", "E", "O"] = Field(default="N", description="serial parity (rtu)")
    stopbits: Literal[1, 2] = Field(default=1, description="serial stop bits (rtu)")
    bytesize: Literal[7, 8] = Field(default=8, description="serial data bits (rtu)")
    device_id: int = Field(default=1, ge=0, le=247, description="Modbus unit / slave id")
    poll_interval_ms: int | None = Field(
        default=None, ge=10, le=1000, description="overrides the profile's poll period"
    )
    timeout_ms: int | None = Field(
        default=None, ge=20, le=5000, description="overrides the profile's reply timeout"
    )
    retries: int | None = Field(default=None, ge=0, le=5, description="overrides the profile's retries")
    connect_timeout_ms: int = Field(
        default=500, ge=50, le=10_000, description="TCP connect / port open timeout"
    )

    @model_validator(mode="after")
    def _transport_needs_address(self) -> ModbusIoConfig:
        if self.transport == "tcp" and not self.host:
            raise ValueError("transport 'tcp' needs host")
        if self.transport == "rtu" and not self.device:
            raise ValueError("transport 'rtu' needs device (the serial port)")
        return self
