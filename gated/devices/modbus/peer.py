"""A scripted Modbus I/O module: a real pymodbus server that behaves like a lane.

For tests, the benchmark and demos, never for production. It serves one hardware profile
over TCP or RTU and simulates the barrier behind it: a rising open (close) contact starts
the boom moving, the closed (open) limit switch drops at once and the other one rises
after ``--travel-ms``; a vehicle entering the safety loop while the boom closes sends it
back up. Loops are raised by the controlling process.

Control: one JSON object per line on stdin, one reply per line on stdout (``"reply"``)
interleaved with events (``"event"``: ``ready``, ``input``, ``output``). Timestamps are
``time.monotonic()``, which is system-wide on Linux, so another process can compare them.

    {"op": "set", "inputs": {"presence": true}}      → {"reply": "set", "t": ...}
    {"op": "state"}                                  → {"reply": "state", "inputs": ..., "outputs": ...}
    {"op": "fault", "mode": "exception"}             → replies: exception | wrong_unit |
                                                        garbage | short | oversized | silent | none
    {"op": "barrier", "position": "open"}            → moves the boom by hand (forced opening)

    python -m gated.devices.modbus.peer --profile relay-8x8 --tcp 127.0.0.1:5020
    python -m gated.devices.modbus.peer --profile plc-registers --rtu /tmp/pty-b
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time

from pymodbus.constants import ExcCodes
from pymodbus.framer import FramerType
from pymodbus.server import ModbusSerialServer, ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from gated.devices.modbus import mapping as m
from gated.devices.modbus.profile import BIT_TABLES, INPUT_NAMES, ModbusProfile, load_profile

FC_TABLE = {2: "discrete_input", 4: "input_register", 5: "coil", 15: "coil", 6: "holding_register",
            16: "holding_register", 1: "coil", 3: "holding_register"}
SET_FC = {"coil": 5, "discrete_input": 2, "holding_register": 6, "input_register": 4}
FAULTS = ("none", "exception", "wrong_unit", "garbage", "short", "oversized", "silent")


def emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def build_device(profile: ModbusProfile, device_id: int, action) -> SimDevice:
    points = m.input_points(profile) + list(m.output_points(profile).values())
    top = {t: max([p.address for p in points if p.table == t], default=0) + 16
           for t in ("coil", "discrete_input", "holding_register", "input_register")}
    bits = lambda t: [SimData(0, values=[False] * top[t], datatype=DataType.BITS)]
    regs = lambda t: [SimData(0, values=[0] * top[t], datatype=DataType.REGISTERS)]
    blocks = (bits("coil"), bits("discrete_input"), regs("holding_register"), regs("input_register"))
    return SimDevice(device_id, simdata=blocks, action=action)


class LanePeer:
    """The simulated lane: inputs, observed outputs, boom position, injected faults."""

    def __init__(self, profile: ModbusProfile, device_id: int, travel_s: float) -> None:
        self.profile = profile
        self.device_id = device_id
        self.travel_s = travel_s
        self.inputs = {"presence": False, "safety": False, "open_limit": False, "closed_limit": True}
        self.out_image = {(p.table, p.address): 0 for p in m.output_points(profile).values()}
        self.outputs = m.decode_outputs(profile, self.out_image)
        self.position = "closed"
        self.fault = "none"
        self.server = None
        self._internal = False
        self._motion: asyncio.Task | None = None

    # --- pymodbus hooks ----------------------------------------------------------------
    async def action(self, fc, _start, address, _count, _regs, values):
        if self._internal:
            return None
        if self.fault == "exception":
            return ExcCodes.DEVICE_FAILURE
        table = FC_TABLE.get(fc)
        if values is None or fc not in (5, 15, 6, 16):
            return None
        for i, value in enumerate(values):
            if (table, address + i) in self.out_image:
                self.out_image[(table, address + i)] = int(value)
        asyncio.get_running_loop().call_soon(self._outputs_changed)
        return None

    def trace_pdu(self, sending: bool, pdu):
        if sending and self.fault == "wrong_unit":
            pdu.dev_id = self.device_id % 247 + 1
        return pdu

    def trace_packet(self, sending: bool, data: bytes) -> bytes:
        if not sending:
            return data
        return {
            "garbage": b"\x55\xaa\x13\x37\xde\xad\xbe\xef",
            "short": data[: max(1, len(data) // 2)],
            "oversized": data + b"\x55" * 300,
            "silent": b"",
        }.get(self.fault, data)

    # --- the lane ----------------------------------------------------------------------
    def _outputs_changed(self) -> None:
        new = m.decode_outputs(self.profile, self.out_image)
        now = time.monotonic()
        for name, value in new.items():
            if value != self.outputs[name]:
                emit({"event": "output", "name": name, "value": value, "t": now})
        rising = {n for n, v in new.items() if v and not self.outputs[n]}
        self.outputs = new
        if "barrier_open" in rising:
            self.move("open")
        elif "barrier_close" in rising and not self.inputs["safety"]:
            self.move("closed")

    def move(self, target: str) -> None:
        if self._motion is not None:
            self._motion.cancel()
        self._motion = asyncio.create_task(self._travel(target))

    async def _travel(self, target: str) -> None:
        leaving = "closed_limit" if target == "open" else "open_limit"
        self.position = "opening" if target == "open" else "closing"
        await self.set_inputs({leaving: False})
        await asyncio.sleep(self.travel_s)
        self.position = target
        await self.set_inputs({f"{target}_limit": True})

    async def set_inputs(self, changes: dict[str, bool]) -> float:
        unknown = set(changes) - set(INPUT_NAMES)
        if unknown:
            raise ValueError(f"unknown inputs {sorted(unknown)}")
        self.inputs.update({k: bool(v) for k, v in changes.items()})
        if changes.get("safety") and self.position == "closing":
            self.move("open")  # the boom's own safety: reverse on a vehicle
        await self._push_inputs()
        now = time.monotonic()
        for name, value in changes.items():
            emit({"event": "input", "name": name, "value": bool(value), "t": now})
        return now

    async def _push_inputs(self) -> None:
        words: dict[tuple[str, int], int] = {}
        for name in INPUT_NAMES:
            p = getattr(self.profile.inputs, name)
            level = self.inputs[name] != (p.active == "low")
            if p.table in BIT_TABLES:
                words[(p.table, p.address)] = int(level)
            else:
                words.setdefault((p.table, p.address), 0)
                words[(p.table, p.address)] |= p.mask if level else 0
        self._internal = True
        try:
            for (table, addr), value in words.items():
                vals = [bool(value)] if table in BIT_TABLES else [value]
                await self.server.context.async_setValues(self.device_id, SET_FC[table], addr, vals)
        finally:
            self._internal = False

    async def handle(self, req: dict) -> dict:
        op = req.get("op")
        if op == "set":
            return {"reply": "set", "t": await self.set_inputs(req.get("inputs", {}))}
        if op == "state":
            return {"reply": "state", "inputs": self.inputs, "outputs": self.outputs,
                    "position": self.position, "fault": self.fault}
        if op == "fault" and req.get("mode") in FAULTS:
            self.fault = req["mode"]
            return {"reply": "fault", "mode": self.fault}
        if op == "barrier" and req.get("position") in ("open", "closed"):
            self.move(req["position"])
            return {"reply": "barrier"}
        return {"reply": "error", "error": f"bad request {req!r}"}


def make_server(peer: LanePeer, args: argparse.Namespace):
    device = build_device(peer.profile, args.device_id, peer.action)
    hooks = {"trace_packet": peer.trace_packet, "trace_pdu": peer.trace_pdu}
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        return ModbusTcpServer(device, address=(host or "127.0.0.1", int(port)), **hooks)
    return ModbusSerialServer(device, framer=FramerType.RTU, port=args.rtu,
                              baudrate=args.baudrate, **hooks)


async def control_loop(peer: LanePeer) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        try:
            reply = await peer.handle(json.loads(line))
        except (ValueError, TypeError) as exc:
            reply = {"reply": "error", "error": str(exc)}
        emit(reply)


async def main_async(args: argparse.Namespace) -> None:
    peer = LanePeer(load_profile(args.profile), args.device_id, args.travel_ms / 1000)
    peer.server = make_server(peer, args)
    await peer.server.serve_forever(background=True)
    await peer._push_inputs()
    emit({"event": "ready", "pid": os.getpid()})
    await control_loop(peer)  # ends when stdin closes
    await peer.server.shutdown()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", required=True, help="profile name or path")
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--tcp", help="HOST:PORT to listen on")
    where.add_argument("--rtu", help="serial device to serve on")
    ap.add_argument("--baudrate", type=int, default=19200)
    ap.add_argument("--device-id", type=int, default=1)
    ap.add_argument("--travel-ms", type=int, default=300, help="boom travel time")
    args = ap.parse_args(argv)
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
