"""Strict JSON for everything that comes from outside (QR tokens, MQTT payloads).

Python's ``json`` accepts duplicate keys (last one wins) and ``NaN``/``Infinity``; both
are ways to make two parsers disagree about one message, so both are refused here.
"""

from __future__ import annotations

import json
from typing import Any


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _no_constants(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def loads_object(raw: bytes) -> dict[str, Any]:
    """One JSON object from UTF-8 bytes.

    Raises ``ValueError`` (``UnicodeDecodeError`` is one) for bad UTF-8, bad or non-strict
    JSON, nesting too deep, or a value that is not an object.
    """
    try:
        value = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates,
                           parse_constant=_no_constants)
    except RecursionError as exc:
        raise ValueError("nested too deep") from exc
    if not isinstance(value, dict):
        raise ValueError(f"a JSON {type(value).__name__}, not an object")
    return value
