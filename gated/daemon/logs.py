"""Structured logs: one JSON line per event on stdout (journald keeps them).

Every line carries ``site`` and ``lane``; lane events add ``event_id``, ``seq`` and
``passage_id``. ``format = "console"`` prints the same lines readably for the demo.
"""

from __future__ import annotations

import logging
import sys

import structlog

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
           "error": logging.ERROR}


def _drop_none(_, __, event_dict: dict) -> dict:
    return {k: v for k, v in event_dict.items() if v is not None}


_QUIET_IN_CONSOLE = ("site", "lane", "event_id", "timestamp", "level")


def console_line(_, __, event_dict: dict) -> str:
    """The demo's terminal view: time, what happened, the facts that matter, on one line."""
    ts = str(event_dict.get("timestamp", ""))[11:23]
    level = event_dict.get("level", "info")
    name = str(event_dict.get("event", ""))
    facts = {k: v for k, v in event_dict.items() if k not in _QUIET_IN_CONSOLE and k != "event"}
    if "passage_id" in facts:
        facts["passage_id"] = str(facts["passage_id"])[-8:]
    text = "  ".join(f"{k}={_short(v)}" for k, v in facts.items())
    mark = {"warning": "!", "error": "E"}.get(level, " ")
    return f"{ts} {mark} {name:<20} {text}"


def _short(value) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(str(v) for v in value) + "]"
    return str(value)


class SafeStream:
    """A log stream that never raises: a closed pipe or a restarting journald must not
    take the lane down with it. Lines that cannot be written are counted and dropped."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.dropped = 0

    def write(self, text: str) -> None:
        try:
            self.stream.write(text)
        except (OSError, ValueError):
            self.dropped += 1

    def flush(self) -> None:
        try:
            self.stream.flush()
        except (OSError, ValueError):
            pass


def setup(level: str = "info", fmt: str = "json", **context: str) -> None:
    """Configure structlog for the daemon; ``context`` (site, lane) goes on every line."""
    renderer = (
        console_line if fmt == "console" else structlog.processors.JSONRenderer(ensure_ascii=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=False),
            _drop_none,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[level]),
        logger_factory=structlog.PrintLoggerFactory(SafeStream(sys.stdout)),
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(**context)
