"""The Modbus driver: an :class:`~gated.devices.interfaces.IoModule` over TCP or RTU.

Imperative shell around :mod:`gated.devices.modbus.mapping`. Every failure becomes a
:class:`DeviceError` with a short reason, logged once here with the device name; the link
(:mod:`gated.devices.link`) decides when failures amount to a fault.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.constants import ExcCodes
from pymodbus.exceptions import ConnectionException, ModbusException
from pymodbus.framer import FramerRTU, FramerType

from gated.devices.interfaces import DeviceError, LaneInputs, LaneOutputs
from gated.devices.modbus import mapping as m
from gated.devices.modbus.config import ModbusIoConfig
from gated.devices.modbus.profile import ModbusProfile

log = structlog.get_logger()
# pymodbus logs every lost reply itself; ours carry the device name and the reason.
logging.getLogger("pymodbus").setLevel(logging.CRITICAL)

READERS = {
    "coil": "read_coils",
    "discrete_input": "read_discrete_inputs",
    "holding_register": "read_holding_registers",
    "input_register": "read_input_registers",
}


class RxTrace:
    """Keeps the bytes received since the last request, to explain a missing reply."""

    def __init__(self, transport: str, device_id: int) -> None:
        self.transport, self.device_id = transport, device_id
        self.received = bytearray()

    def __call__(self, sending: bool, data: bytes) -> bytes:
        if sending:
            self.received.clear()
        elif len(self.received) < 512:
            self.received.extend(data)
        return data

    def explain(self, timeout_s: float) -> str:
        rx = bytes(self.received)
        if not rx:
            return f"no reply within {timeout_s * 1000:.0f} ms"
        unit = wrong_unit(self.transport, rx, self.device_id)
        if unit is not None:
            return f"reply from the wrong unit id {unit} (expected {self.device_id}), ignored"
        return (f"rejected {len(rx)} bytes that are no valid reply (garbage, short or oversized "
                f"frame): {rx[:16].hex(' ')}")


def wrong_unit(transport: str, rx: bytes, device_id: int) -> int | None:
    """The unit id of a well-formed reply addressed from another unit, else None."""
    if transport == "tcp":
        ok = len(rx) >= 8 and rx[2:4] == b"\0\0" and int.from_bytes(rx[4:6], "big") == len(rx) - 6
        unit = rx[6] if ok else None
    else:
        ok = len(rx) >= 4 and FramerRTU.check_CRC(rx[:-2], int.from_bytes(rx[-2:], "big"))
        unit = rx[0] if ok else None
    return unit if unit is not None and unit != device_id else None


def exception_reason(what: str, code: int) -> str:
    try:
        name = ExcCodes(code).name.lower()
    except ValueError:
        name = "unknown"
    return f"{what}: exception response {code} ({name})"


class ModbusIo:
    """A lane's I/O module, driven through its hardware profile."""

    def __init__(self, cfg: ModbusIoConfig, profile: ModbusProfile) -> None:
        self.name = cfg.name
        self.cfg = cfg
        self.profile = profile
        self.timeout_s = (cfg.timeout_ms or profile.timeout_ms) / 1000
        self.retries = cfg.retries if cfg.retries is not None else profile.retries
        self.poll_interval_s = (cfg.poll_interval_ms or profile.poll_interval_ms) / 1000
        self._reads = m.plan_reads(m.input_points(profile))
        self._client: Any = None
        self._trace = RxTrace(cfg.transport, cfg.device_id)
        self._lock = asyncio.Lock()
        self._state = m.DriveState()
        self._light = "red"
        self._bits: m.OutputBits | None = None
        self._regs: dict[int, int] = {}
        self._pulse_task: asyncio.Task | None = None

    @property
    def target(self) -> str:
        c = self.cfg
        where = f"{c.host}:{c.port}" if c.transport == "tcp" else f"{c.device}"
        return f"{c.transport}://{where}#{c.device_id}"

    @property
    def link_up(self) -> bool:
        """False once the socket closed or the serial port went away."""
        return self._client is not None and bool(self._client.connected)

    @property
    def outputs_written(self) -> m.OutputBits | None:
        """The contacts as last written (None: unknown), for ``gatectl io``."""
        return None if self._bits is None else dict(self._bits)

    def _make_client(self) -> Any:
        c = self.cfg
        common = {"timeout": self.timeout_s, "retries": self.retries, "reconnect_delay": 0,
                  "trace_packet": self._trace, "name": self.name}
        if c.transport == "tcp":
            return AsyncModbusTcpClient(c.host, port=c.port, **common)
        return AsyncModbusSerialClient(c.device, framer=FramerType.RTU, baudrate=c.baudrate,
                                       bytesize=c.bytesize, parity=c.parity,
                                       stopbits=c.stopbits, **common)

    async def connect(self) -> None:
        await self.close()
        if self.cfg.transport == "rtu" and not os.path.exists(self.cfg.device or ""):
            raise self._fail(f"serial port {self.cfg.device} is missing")
        client = self._make_client()
        try:
            async with asyncio.timeout(self.cfg.connect_timeout_ms / 1000):
                ok = await client.connect()
        except (TimeoutError, OSError, ModbusException) as exc:
            client.close()
            raise self._fail(f"cannot connect to {self.target}: {exc or 'timeout'}") from None
        if not ok:
            client.close()
            raise self._fail(f"cannot connect to {self.target}")
        self._client = client
        self._state, self._bits, self._regs = m.DriveState(), None, {}
        for addr in m.output_register_addresses(self.profile):
            block = m.ReadBlock("holding_register", addr, 1)
            self._regs[addr] = m.image_from_block(block, await self._read(block))[block.table, addr]
        log.info("modbus.connected", device=self.name, target=self.target)

    async def close(self) -> None:
        if self._pulse_task is not None:
            self._pulse_task.cancel()
            self._pulse_task = None
        client, self._client = self._client, None
        if client is not None:
            client.close()

    async def read_inputs(self) -> LaneInputs:
        image: dict[tuple[str, int], int] = {}
        for block in self._reads:
            image.update(self._image(block, await self._read(block)))
        return m.decode_inputs(self.profile, image)

    async def write_outputs(self, outputs: LaneOutputs) -> None:
        async with self._lock:
            self._light = outputs.light
            self._state, bits = m.drive(self.profile.barrier, self._state, outputs, time.monotonic())
            await self._apply(bits)
            self._schedule_pulse_end()

    def _schedule_pulse_end(self) -> None:
        if self._pulse_task is not None and self._pulse_task is not asyncio.current_task():
            self._pulse_task.cancel()
        self._pulse_task = None
        if self._state.pulse is not None:
            self._pulse_task = asyncio.create_task(self._end_pulse(self._state.pulse_end))

    async def _end_pulse(self, at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        async with self._lock:
            ended = m.expire(self.profile.barrier, self._state, self._light, time.monotonic())
            if ended is None:
                return
            self._state, bits = ended
            try:
                await self._apply(bits)
            except DeviceError:
                pass  # already logged; outputs are unknown now and rewritten on recovery

    async def _apply(self, bits: m.OutputBits) -> None:
        writes, regs = m.plan_writes(self.profile, bits, self._bits, self._regs)
        self._bits = None  # unknown until every write went through
        for w in writes:
            await self._write(w)
        self._bits, self._regs = bits, regs

    def _image(self, block: m.ReadBlock, values: list) -> dict[tuple[str, int], int]:
        try:
            return m.image_from_block(block, values)
        except ValueError as exc:
            raise self._fail(f"{block.table} {block.start}: {exc}") from None

    async def _read(self, block: m.ReadBlock) -> list:
        reader = getattr(self._connected_client(), READERS[block.table])
        rsp = await self._call(f"read {block.table} {block.start}+{block.count}",
                               lambda: reader(block.start, count=block.count,
                                              device_id=self.cfg.device_id))
        return rsp.bits if block.table in m.BIT_TABLES else rsp.registers

    async def _write(self, w: m.Write) -> None:
        c, dev = self._connected_client(), self.cfg.device_id
        if w.table == "coil" and len(w.values) == 1:
            call = lambda: c.write_coil(w.start, bool(w.values[0]), device_id=dev)
        elif w.table == "coil":
            call = lambda: c.write_coils(w.start, [bool(v) for v in w.values], device_id=dev)
        else:
            call = lambda: c.write_register(w.start, w.values[0], device_id=dev)
        await self._call(f"write {w.table} {w.start}={list(w.values)}", call)

    def _connected_client(self) -> Any:
        if self._client is None or not self._client.connected:
            raise self._fail("link closed (socket closed or serial port gone)")
        return self._client

    async def _call(self, what: str, call: Callable[[], Awaitable[Any]]) -> Any:
        try:
            rsp = await call()
        except ConnectionException as exc:
            raise self._fail(f"{what}: connection lost: {exc}") from None
        except ModbusException as exc:
            if "device id" in str(exc):
                raise self._fail(f"{what}: reply from the wrong unit id ({exc})") from None
            raise self._fail(f"{what}: {self._trace.explain(self.timeout_s)}") from None
        except (TimeoutError, OSError) as exc:
            raise self._fail(f"{what}: {exc or 'timeout'}") from None
        if rsp.isError():
            raise self._fail(exception_reason(what, rsp.exception_code))
        return rsp

    def _fail(self, reason: str) -> DeviceError:
        log.warning("modbus.rejected", device=self.name, reason=reason)
        return DeviceError(reason)
