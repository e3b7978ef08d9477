"""The lane configuration: one pydantic model per TOML section, unknown keys rejected.

``config/lane.example.toml`` documents every key with an example; keep them in step
(``tests/config/test_example.py`` checks that every field here appears there).
Durations are seconds (``*_s``). Secrets are never here: see ``gated.config.secrets``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gated.core.timefmt import parse_offset

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _name(v: str, what: str) -> str:
    if not _NAME_RE.match(v):
        raise ValueError(f"{what} must match [a-z0-9][a-z0-9-]{{0,31}} (contract), got {v!r}")
    return v


class LaneSection(Section):
    site: str = Field(description="Site id in topics, e.g. huu-nghi")
    id: str = Field(description="Lane id in topics, e.g. in-01")
    direction: Literal["in", "out"] = Field(description="Traffic direction of this lane")
    name: str = Field("", description="Human name shown by gatectl")
    timezone: str = Field("+07:00", description="UTC offset used in event timestamps")
    qr_mode: Literal["off", "optional", "required"] = Field(
        "optional", description="off: ignore QR; optional: QR overrides plate lookup; required"
    )

    @field_validator("site", "id")
    @classmethod
    def _ids(cls, v: str, info) -> str:
        return _name(v, info.field_name)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        parse_offset(v)
        return v


class TimingSection(Section):
    clear_delay_s: float = Field(2.0, ge=0.5, le=30)
    tailgate_gap_s: float = Field(1.0, ge=0.1, le=10)
    identify_timeout_s: float = Field(10.0, gt=0, le=120)
    qr_wait_s: float = Field(8.0, gt=0, le=120)
    open_timeout_s: float = Field(8.0, gt=0, le=60)
    close_timeout_s: float = Field(8.0, gt=0, le=60)
    pass_timeout_s: float = Field(30.0, gt=0, le=600)
    leave_timeout_s: float = Field(60.0, gt=0, le=3600)
    command_skew_s: float = Field(2.0, ge=0, le=60)
    tick_interval_s: float = Field(0.05, gt=0, le=1)

    @model_validator(mode="after")
    def _gap_below_clear(self) -> TimingSection:
        if self.tailgate_gap_s > self.clear_delay_s:
            raise ValueError("tailgate_gap_s must not exceed clear_delay_s")
        return self


class StoreSection(Section):
    path: Path = Field(Path("/var/lib/gated/gated.db"), description="SQLite database file")
    synchronous: Literal["full", "normal"] = Field("full", description="SQLite durability")
    retention_days: int = Field(30, ge=1, le=3650)
    disk_budget_mb: int = Field(2048, ge=16)


class ControlSection(Section):
    socket: Path = Field(Path("/run/gated/control.sock"))
    group: str | None = Field(None, description="Group owning the socket (mode 0660)")


class LogSection(Section):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["json", "console"] = "json"


class SimIoSection(Section):
    driver: Literal["sim"] = "sim"
    poll_interval_s: float = Field(0.05, gt=0, le=1)


class SimBoardSection(Section):
    driver: Literal["sim", "none"] = "sim"


class CameraSection(Section):
    name: str
    role: Literal["front", "rear", "qr"] = "front"
    driver: Literal["sim", "rtsp"] = "sim"
    url: str | None = Field(None, description="rtsp://... (driver rtsp)")

    @field_validator("name")
    @classmethod
    def _cam_name(cls, v: str) -> str:
        return _name(v, "camera name")

    @model_validator(mode="after")
    def _url_for_rtsp(self) -> CameraSection:
        if self.driver == "rtsp" and not self.url:
            raise ValueError("url is required when driver = 'rtsp'")
        return self


class MqttSection(Section):
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(1883, ge=1, le=65535)
    username: str | None = None
    password_credential: str = Field(
        "mqtt-password", description="credential file name / GATED_MQTT_PASSWORD env"
    )
    tls: bool = False
    ca_file: Path | None = None
    client_cert: Path | None = None
    client_key_credential: str = "mqtt-client-key"
    telemetry_interval_s: float = Field(30.0, ge=1, le=3600)


class SimVehicle(Section):
    plate: str = Field(description="Plate the simulated camera reads ('' = unreadable)")
    behaviour: Literal["normal", "tailgate", "reverse", "slow"] = "normal"
    confidence: float = Field(0.95, ge=0, le=1)
    trailer_plate: str | None = None


class SimPass(Section):
    id: str
    plate: str
    trailer_plate: str | None = None
    direction: Literal["in", "out", "any"] = "any"
    valid_hours: float = Field(24.0, description="Valid from now-1h for this many hours")
    status: Literal["active", "used", "revoked"] = "active"
    single_use: bool = False
    display: str | None = None


class SimSection(Section):
    """The simulated lane used by the demo: vehicles, passes and their timing."""

    seed: int = 1
    interval_s: float = Field(6.0, gt=0, description="Seconds between vehicle arrivals")
    loop: bool = Field(True, description="Start the vehicle list again when it ends")
    vehicles: list[SimVehicle] = Field(default_factory=list)
    passes: list[SimPass] = Field(default_factory=list)


class LaneConfig(Section):
    lane: LaneSection
    timing: TimingSection = TimingSection()
    store: StoreSection = StoreSection()
    control: ControlSection = ControlSection()
    log: LogSection = LogSection()
    io: SimIoSection = SimIoSection()
    board: SimBoardSection = SimBoardSection()
    cameras: list[CameraSection] = Field(default_factory=list)
    mqtt: MqttSection = MqttSection()
    sim: SimSection | None = None

    @model_validator(mode="after")
    def _unique_cameras(self) -> LaneConfig:
        names = [c.name for c in self.cameras]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"camera names must be unique: {', '.join(dupes)}")
        return self
