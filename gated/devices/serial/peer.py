"""A scripted serial device on a pty: a message board or barrier controller that ACKs, or a
scanner that types.

For tests and demos, never for production. It answers the board protocol
(``drivers/serial-board-protocol.md``) on ``--port`` and reports every frame; it can
also send raw bytes (a QR scanner's lines, or garbage).

Control: JSON lines on stdin, replies and events as JSON lines on stdout::

    {"op": "mode", "mode": "silent"}   normal | silent | garbage | bad_crc | wrong_seq | nak_busy | nak_bad_data
    {"op": "send", "hex": "41420d"}    writes bytes to the port
    events: {"event": "ready"}, {"event": "frame", "cmd": "T", "text": ..., "t": ...},
            {"event": "frame", "cmd": "B", "data": "O", ...} (a barrier command),
            {"event": "rejected", "reason": ...}

    python -m gated.devices.serial.peer --port /tmp/pty-b
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from gated.devices.interfaces import DeviceError
from gated.devices.serial import framing as f
from gated.devices.serial.port import SerialPort
from gated.devices.serial.rejected import Rejected

MODES = ("normal", "silent", "garbage", "bad_crc", "wrong_seq", "nak_busy", "nak_bad_data")


def emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def reply_for(frame: f.Frame, mode: str) -> bytes:
    """The bytes a board in ``mode`` answers to ``frame``."""
    if mode == "silent":
        return b""
    if mode == "garbage":
        return b"\xff\x00garbage\x13"
    if mode in ("nak_busy", "nak_bad_data"):
        code = 4 if mode == "nak_busy" else 3
        return f.encode(f.Frame(frame.addr, frame.seq, f.NAK, bytes([code])))
    seq = (frame.seq + 1) & 0xFF if mode == "wrong_seq" else frame.seq
    data = b"\x00" if frame.cmd == f.CMD_PING else b""
    out = f.encode(f.Frame(frame.addr, seq, f.ACK, data))
    if mode == "bad_crc":
        out = out[:-3] + bytes([out[-3] ^ 0xFF]) + out[-2:]
    return out


class BoardPeer:
    def __init__(self, port: SerialPort, address: int) -> None:
        self.port, self.address, self.mode = port, address, "normal"
        self.decoder = f.FrameDecoder()

    async def serve(self) -> None:
        while True:
            for item in self.decoder.feed(await self.port.read(None)):
                if isinstance(item, Rejected):
                    emit({"event": "rejected", "reason": item.reason})
                elif item.addr == self.address:
                    await self._answer(item)

    async def _answer(self, frame: f.Frame) -> None:
        event = {"event": "frame", "cmd": chr(frame.cmd), "seq": frame.seq, "t": time.monotonic()}
        if frame.cmd == f.CMD_TEXT:
            event["text"] = frame.data.decode("utf-8", errors="replace")
        elif frame.cmd == f.CMD_BARRIER:
            event["data"] = frame.data.decode("ascii", errors="replace")
        emit(event)
        if out := reply_for(frame, self.mode):
            await self.port.write(out)

    async def handle(self, req: dict) -> dict:
        if req.get("op") == "mode" and req.get("mode") in MODES:
            self.mode = req["mode"]
            return {"reply": "mode", "mode": self.mode}
        if req.get("op") == "send":
            await self.port.write(bytes.fromhex(req.get("hex", "")))
            return {"reply": "send", "t": time.monotonic()}
        return {"reply": "error", "error": f"bad request {req!r}"}


async def control(peer: BoardPeer) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        try:
            emit(await peer.handle(json.loads(line)))
        except (ValueError, TypeError, DeviceError) as exc:
            emit({"reply": "error", "error": str(exc)})


async def main_async(args: argparse.Namespace) -> None:
    port = SerialPort(args.port, baudrate=args.baudrate)
    await port.open()
    peer = BoardPeer(port, args.address)
    serving = asyncio.create_task(peer.serve())
    emit({"event": "ready"})
    await control(peer)
    serving.cancel()
    port.close()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", required=True, help="serial device (a pty end)")
    ap.add_argument("--baudrate", type=int, default=9600)
    ap.add_argument("--address", type=int, default=1)
    asyncio.run(main_async(ap.parse_args(argv)))


if __name__ == "__main__":
    main()
