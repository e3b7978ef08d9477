"""The control socket server: technicians' ``gatectl`` talks to the daemon through it.

A Unix stream socket (path and group from ``[control]``, mode 0660) speaking JSON lines
(see :mod:`gated.control.protocol`). Handlers are registered by name; a handler that
raises never takes the daemon down: the client gets an ``internal`` error line.
"""

from __future__ import annotations

import asyncio
import grp
import os
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import structlog

from gated.control.protocol import MAX_LINE, ProtocolError, decode_request, encode, error, ok

log = structlog.get_logger()

Handler = Callable[[Any, dict], Awaitable[Any]]
Streamer = Callable[[Any, dict, Callable[[dict], Awaitable[None]]], Awaitable[None]]


class CommandError(Exception):
    """Raised by a handler to refuse a request with a code the client can show."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ControlServer:
    def __init__(self, app: Any, path: Path, group: str | None = None) -> None:
        self.app = app
        self.path = Path(path)
        self.group = group
        self.handlers: dict[str, Handler] = {}
        self.streamers: dict[str, Streamer] = {}
        self._server: asyncio.AbstractServer | None = None

    def register(self, name: str, fn: Handler) -> None:
        self.handlers[name] = fn

    def register_stream(self, name: str, fn: Streamer) -> None:
        self.streamers[name] = fn

    async def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            if _someone_listens(self.path):
                raise RuntimeError(f"{self.path}: another gated is already running on this socket")
            self.path.unlink()
        self._server = await asyncio.start_unix_server(self._client, path=str(self.path),
                                                       limit=MAX_LINE + 1)
        os.chmod(self.path, 0o660)
        if self.group:
            try:
                os.chown(self.path, -1, grp.getgrnam(self.group).gr_gid)
            except (KeyError, PermissionError) as exc:
                log.warning("control.group_not_set", group=self.group, error=str(exc))

    async def stop(self) -> None:
        if self._server is None:
            return  # never started: the socket (if any) is someone else's
        self._server.close()
        await self._server.wait_closed()
        self._server = None
        self.path.unlink(missing_ok=True)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    line = await reader.readline()
                except (ValueError, asyncio.LimitOverrunError):
                    await self._send(writer, error("too_large", f"request over {MAX_LINE} bytes"))
                    break
                if not line:
                    break
                if not await self._dispatch(line, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _dispatch(self, line: bytes, writer: asyncio.StreamWriter) -> bool:
        """Answer one request. Returns False when the connection should end."""
        try:
            cmd, args = decode_request(line)
        except ProtocolError as exc:
            await self._send(writer, error(exc.code, str(exc)))
            return True
        if cmd in self.streamers:
            await self._stream(cmd, args, writer)
            return False
        handler = self.handlers.get(cmd)
        if handler is None:
            known = ", ".join(sorted([*self.handlers, *self.streamers]))
            await self._send(writer, error("unknown_command", f"{cmd!r}; known: {known}"))
            return True
        try:
            result = await handler(self.app, args)
        except CommandError as exc:
            await self._send(writer, error(exc.code, str(exc)))
        except Exception as exc:  # a bug in one handler must not take the lane down
            log.exception("control.handler_failed", cmd=cmd)
            await self._send(writer, error("internal", f"{type(exc).__name__}: {exc}"))
        else:
            await self._send(writer, ok(result))
        return True

    async def _stream(self, cmd: str, args: dict, writer: asyncio.StreamWriter) -> None:
        async def send(item: dict) -> None:
            await self._send(writer, item)

        try:
            await self.streamers[cmd](self.app, args, send)
        except CommandError as exc:
            await self._send(writer, error(exc.code, str(exc)))

    @staticmethod
    async def _send(writer: asyncio.StreamWriter, obj: dict) -> None:
        writer.write(encode(obj))
        await writer.drain()


def _someone_listens(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        try:
            s.connect(str(path))
            return True
        except OSError:
            return False
