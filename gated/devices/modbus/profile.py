"""Hardware profiles: what each coil, discrete input or register of a Modbus module means.

A profile is a TOML file in ``drivers/`` validated by :class:`ModbusProfile`. Supporting a
new relay module or PLC means writing a profile, never code. Errors name the file and the
key (``drivers/x.toml: inputs.safety.mask: ...``) so a technician can fix them.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Table = Literal["coil", "discrete_input", "holding_register", "input_register"]
BIT_TABLES: frozenset[str] = frozenset({"coil", "discrete_input"})
WRITABLE_TABLES: frozenset[str] = frozenset({"coil", "holding_register"})
INPUT_NAMES = ("presence", "safety", "open_limit", "closed_limit")
OUTPUT_NAMES = ("barrier_open", "barrier_close", "red", "green")


class ProfileError(Exception):
    """A profile could not be found, read or validated. ``str(exc)`` names file and key."""


class Point(BaseModel):
    """One digital signal: a coil or discrete input, or one bit of a register."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    table: Table = Field(description="Modbus table the signal lives in")
    address: int = Field(ge=0, le=65535, description="protocol address, 0-based")
    mask: int | None = Field(
        default=None,
        ge=1,
        le=0xFFFF,
        description="single-bit mask inside the register (register tables only)",
    )
    active: Literal["high", "low"] = Field(
        default="high", description="polarity: 'low' means the signal is true when the bit is 0"
    )

    @model_validator(mode="after")
    def _mask_matches_table(self) -> Point:
        if self.table in BIT_TABLES and self.mask is not None:
            raise ValueError(f"mask is only allowed on registers, not on a {self.table}")
        if self.table not in BIT_TABLES:
            if self.mask is None:
                raise ValueError(f"a {self.table} needs a mask selecting one bit (e.g. 0x0001)")
            if self.mask & (self.mask - 1):
                raise ValueError(f"mask {self.mask:#06x} must select exactly one bit")
        return self

    @property
    def key(self) -> tuple[str, int, int | None]:
        return (self.table, self.address, self.mask)


class InputMap(BaseModel):
    """Where the lane's four inputs are read."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    presence: Point = Field(description="presence loop: a vehicle waits at the barrier")
    safety: Point = Field(description="safety loop: a vehicle is under the boom")
    open_limit: Point = Field(description="limit switch: barrier fully open")
    closed_limit: Point = Field(description="limit switch: barrier fully closed")


class OutputMap(BaseModel):
    """Where the lane's outputs are written (coils or holding-register bits)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    barrier_open: Point = Field(description="contact that opens the barrier")
    barrier_close: Point = Field(description="contact that closes the barrier")
    red: Point = Field(description="red light")
    green: Point = Field(description="green light")

    @model_validator(mode="after")
    def _writable_and_distinct(self) -> OutputMap:
        seen: dict[tuple, str] = {}
        for name in OUTPUT_NAMES:
            point: Point = getattr(self, name)
            if point.table not in WRITABLE_TABLES:
                raise ValueError(f"{name}: a {point.table} cannot be written")
            if point.key in seen:
                raise ValueError(f"{name} uses the same bit as {seen[point.key]}")
            seen[point.key] = name
        return self


class BarrierDrive(BaseModel):
    """How the barrier contacts are driven."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["pulse", "hold"] = Field(
        description="pulse: close the contact for pulse_ms when the command changes; "
        "hold: keep it closed while the command lasts"
    )
    pulse_ms: int = Field(default=500, ge=50, le=10_000, description="pulse length")


class ModbusProfile(BaseModel):
    """A hardware profile (one TOML file in ``drivers/``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=64, description="profile name")
    description: str = Field(default="", description="what hardware this is")
    poll_interval_ms: int = Field(default=50, ge=10, le=1000, description="input poll period")
    timeout_ms: int = Field(default=150, ge=20, le=5000, description="per-request reply timeout")
    retries: int = Field(default=1, ge=0, le=5, description="resends before a request fails")
    inputs: InputMap
    outputs: OutputMap
    barrier: BarrierDrive


def default_search_path() -> list[Path]:
    """Where profile names are looked up, first match wins."""
    dirs = [Path(p) for p in os.environ.get("GATED_DRIVERS_DIR", "").split(os.pathsep) if p]
    dirs.append(Path(__file__).resolve().parents[3] / "drivers")  # a source checkout
    dirs.append(Path("/usr/share/gated/drivers"))
    return dirs


def resolve_profile(ref: str, search: list[Path] | None = None) -> Path:
    """A profile name (``relay-8x8``) or a path to a ``.toml`` file → its path."""
    if "/" in ref or ref.endswith(".toml"):
        path = Path(ref)
        if not path.is_file():
            raise ProfileError(f"{ref}: profile file not found")
        return path
    dirs = search if search is not None else default_search_path()
    for d in dirs:
        candidate = d / f"{ref}.toml"
        if candidate.is_file():
            return candidate
    raise ProfileError(f"profile {ref!r} not found in {', '.join(str(d) for d in dirs)}")


def format_validation_error(source: str, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(part) for part in err["loc"]) or "(top level)"
        lines.append(f"{source}: {key}: {err['msg']}")
    return "\n".join(lines)


def parse_profile(text: str, source: str = "<profile>") -> ModbusProfile:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{source}: not valid TOML: {exc}") from None
    try:
        return ModbusProfile.model_validate(data)
    except ValidationError as exc:
        raise ProfileError(format_validation_error(source, exc)) from None


def load_profile(ref: str, search: list[Path] | None = None) -> ModbusProfile:
    path = resolve_profile(ref, search)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: cannot read: {exc}") from None
    return parse_profile(text, str(path))
