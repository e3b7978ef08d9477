"""Reading a lane config file: TOML -> validated :class:`LaneConfig`, or every problem.

Problems are reported the way technicians read them: ``FILE: key.path: message``, one
per line, all at once (not just the first).
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from gated.config.schema import LaneConfig


class ConfigError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class LoadedConfig:
    config: LaneConfig
    path: Path
    sha256: str  # of the file's bytes, reported in the status message


def _loc(parts: tuple) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _message(err: dict) -> str:
    kind, msg = err["type"], err["msg"]
    if kind == "extra_forbidden":
        return "unknown key (misspelt?)"
    if kind == "missing":
        return "required key is missing"
    return msg.removeprefix("Value error, ")


def problems_of(exc: ValidationError, path: Path) -> list[str]:
    return [f"{path}: {_loc(e['loc'])}: {_message(e)}" for e in exc.errors()]


def load_config(path: str | Path) -> LoadedConfig:
    """Read and validate ``path``. Raises :class:`ConfigError` listing every problem."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ConfigError([f"{p}: (file): cannot read: {exc.strerror or exc}"]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{p}: (file): not UTF-8 text: {exc.reason}"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{p}: (toml syntax): {exc}"]) from None
    try:
        cfg = LaneConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(problems_of(exc, p)) from None
    return LoadedConfig(cfg, p, hashlib.sha256(raw).hexdigest())
