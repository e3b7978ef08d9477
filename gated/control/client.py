"""A small blocking client for the control socket (used by gatectl and the tests)."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gated.control.protocol import encode

DEFAULT_SOCKET = "/run/gated/control.sock"


class NotRunning(Exception):
    """The daemon cannot be reached; ``str()`` is one line a technician can act on."""


class Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def default_socket() -> str:
    return os.environ.get("GATED_SOCKET", DEFAULT_SOCKET)


class Client:
    def __init__(self, path: str | Path, timeout: float = 10.0) -> None:
        self.path = str(path)
        self.timeout = timeout

    def _connect(self) -> socket.socket:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        try:
            s.connect(self.path)
        except FileNotFoundError:
            s.close()
            raise NotRunning(f"gated is not running (no control socket at {self.path})") from None
        except ConnectionRefusedError:
            s.close()
            raise NotRunning(f"gated is not running (nobody listens on {self.path})") from None
        except PermissionError:
            s.close()
            raise NotRunning(
                f"permission denied on {self.path}: run as root or join the socket's group"
            ) from None
        except OSError as exc:
            s.close()
            raise NotRunning(f"cannot reach gated at {self.path}: {exc.strerror or exc}") from None
        return s

    def call(self, cmd: str, **args: Any) -> Any:
        with self._connect() as s:
            s.sendall(encode({"cmd": cmd, "args": args}))
            reply = _lines(s)
            try:
                msg = next(reply)
            except StopIteration:
                raise NotRunning("gated closed the connection without answering") from None
        if not msg.get("ok"):
            err = msg.get("error") or {}
            raise Refused(err.get("code", "error"), err.get("message", ""))
        return msg.get("result")

    def stream(self, cmd: str, **args: Any) -> Iterator[dict]:
        s = self._connect()
        s.settimeout(None)
        try:
            s.sendall(encode({"cmd": cmd, "args": args}))
            for msg in _lines(s):
                if msg.get("ok") is False:
                    err = msg.get("error") or {}
                    raise Refused(err.get("code", "error"), err.get("message", ""))
                yield msg
        finally:
            s.close()


def _lines(s: socket.socket) -> Iterator[dict]:
    buf = b""
    while True:
        try:
            chunk = s.recv(65536)
        except TimeoutError:
            raise NotRunning("gated did not answer in time") from None
        if not chunk:
            return
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if line.strip():
                yield json.loads(line)
