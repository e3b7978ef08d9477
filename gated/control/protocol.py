"""The control socket's wire format: JSON lines over a Unix stream socket.

Request:  ``{"cmd": "status", "args": {...}}``
Response: ``{"ok": true, "result": ...}`` or ``{"ok": false, "error": {"code", "message"}}``
Streams (``events.follow``) send ``{"event": {...}}`` lines until the client hangs up.
"""

from __future__ import annotations

import json
from typing import Any

MAX_LINE = 64 * 1024


class ProtocolError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def encode(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str).encode() + b"\n"


def decode_request(line: bytes) -> tuple[str, dict]:
    if len(line) > MAX_LINE:
        raise ProtocolError("too_large", f"request over {MAX_LINE} bytes")
    try:
        msg = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError("bad_json", f"not a JSON line: {exc}") from None
    if not isinstance(msg, dict) or not isinstance(msg.get("cmd"), str):
        raise ProtocolError("bad_request", 'expected {"cmd": NAME, "args": {...}}')
    args = msg.get("args", {})
    if not isinstance(args, dict):
        raise ProtocolError("bad_request", "args must be an object")
    return msg["cmd"], args


def ok(result: Any) -> dict:
    return {"ok": True, "result": result}


def error(code: str, message: str) -> dict:
    return {"ok": False, "error": {"code": code, "message": message}}
