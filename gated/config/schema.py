"""The lane configuration: one pydantic model per TOML section, unknown keys rejected.

``config/lane.example.toml`` documents every key with an example; keep them in step
(``tests/config/test_example.py`` checks that every field here appears there).
Durations are seconds (``*_s``). Secrets are never here: see ``gated.config.secrets``.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gated.core.timefmt import parse_offset
from gated.devices.modbus.config import ModbusIoConfig
from gated.devices.serial.config import SerialBarrierConfig, SerialBoardConfig, SerialScannerConfig

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
    disk_budget_mb: int = Field(2048, ge=1)
    min_free_mb: int = Field(256, ge=0, description="Evict (images, acked events) below this")
    budget_alarm_pct: int = Field(80, ge=10, le=100,
                                  description="device.fault when unacked events fill this")
    retention_check_s: float = Field(60.0, gt=0, le=3600)


class ControlSection(Section):
    socket: Path = Field(Path("/run/gated/control.sock"))
    group: str | None = Field(None, description="Group owning the socket (mode 0660)")


class LogSection(Section):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["json", "console"] = "json"


class SimIoSection(Section):
    """The simulated I/O module of the demo lane (driven by [sim])."""

    driver: Literal["sim"] = "sim"
    poll_interval_s: float = Field(0.05, gt=0, le=1)


class SimBoardSection(Section):
    driver: Literal["sim", "none"] = "sim"


#: ``[io]``: ``driver = "sim"`` or ``"modbus"`` (gated.devices.modbus; profile in drivers/)
IoSection = Annotated[Union[SimIoSection, ModbusIoConfig], Field(discriminator="driver")]
#: ``[board]``: ``driver = "sim"``, ``"none"`` or ``"serial"`` (gated.devices.serial)
BoardSection = Annotated[Union[SimBoardSection, SerialBoardConfig], Field(discriminator="driver")]


class CameraSection(Section):
    name: str
    role: Literal["front", "rear", "qr"] = "front"
    driver: Literal["sim", "rtsp"] = "sim"
    url: str | None = Field(None, description="rtsp://... (driver rtsp)")
    close_up_pass: bool = Field(False, description="second, coarse detector pass for plates over "
                                "~half the frame wide (a camera close to where trucks stop); ~+5 ms per frame")

    @field_validator("name")
    @classmethod
    def _cam_name(cls, v: str) -> str:
        return _name(v, "camera name")

    @model_validator(mode="after")
    def _url_for_rtsp(self) -> CameraSection:
        if self.driver == "rtsp" and not self.url:
            raise ValueError("url is required when driver = 'rtsp'")
        return self


class TrustedKeySection(Section):
    """A pass/command signing key trusted without the keys topic (commissioning, offline)."""

    kid: str = Field(min_length=1, max_length=128)
    alg: Literal["EdDSA"] = "EdDSA"
    x: str = Field(description="base64url Ed25519 public key (gatectl pass keygen prints it)")
    nbf: datetime | None = None
    exp: datetime | None = None

    @model_validator(mode="after")
    def _key_is_usable(self) -> TrustedKeySection:
        from gated.qr import KeyConfigError, Keyring

        try:
            Keyring.from_config([self.model_dump(exclude_none=True)])
        except KeyConfigError as exc:
            raise ValueError(str(exc)) from None
        return self


class QrSection(Section):
    decoder: Literal["auto", "zxing", "zbar", "zxing+zbar"] = Field(
        "auto", description="camera QR decoder; auto = zxing-cpp (see README)"
    )
    camera: str | None = Field(None, description="camera (role qr) whose frames are decoded")
    scan_interval_s: float = Field(0.1, gt=0, le=5, description="decode the latest frame this often")
    repeat_quiet_s: float = Field(3.0, ge=0, le=60, description="same code again only after this")
    trusted_keys: list[TrustedKeySection] = Field(default_factory=list)


_LOOPBACK = ("127.0.0.1", "::1", "localhost")


class MqttSection(Section):
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(1883, ge=1, le=65535)
    protocol: Literal["auto", "5", "3.1.1"] = Field(
        "auto", description="auto: MQTT 5, falling back to 3.1.1 when the broker refuses 5"
    )
    username: str | None = None
    password_credential: str = Field(
        "mqtt-password", description="credential file name / GATED_MQTT_PASSWORD env"
    )
    tls: bool = False
    allow_plaintext: bool = Field(False, description="plain TCP to a non-loopback broker")
    ca_file: Path | None = None
    client_cert: Path | None = None
    client_key_credential: str = "mqtt-client-key"
    keepalive_s: int = Field(30, ge=2, le=3600)
    session_expiry_s: int = Field(7 * 86400, ge=86400, le=2**32 - 1)
    connect_timeout_s: float = Field(10.0, gt=0, le=120)
    reconnect_min_s: float = Field(1.0, gt=0, le=60)
    reconnect_max_s: float = Field(60.0, gt=0, le=3600)
    inflight_window: int = Field(256, ge=1, le=65535)
    resend_after_s: float = Field(30.0, ge=0.5, le=3600)
    require_signed_commands: bool = False
    telemetry_interval_s: float = Field(30.0, ge=1, le=3600)

    @model_validator(mode="after")
    def _transport(self) -> MqttSection:
        if self.enabled and not self.tls and not self.allow_plaintext \
                and self.host not in _LOOPBACK:
            raise ValueError("plain TCP to a non-loopback broker: set tls = true"
                             " (or allow_plaintext = true if you really mean it)")
        if self.reconnect_min_s > self.reconnect_max_s:
            raise ValueError("reconnect_min_s must not exceed reconnect_max_s")
        return self


class MetricsSection(Section):
    """The Prometheus endpoint (gated.metrics): the telemetry figures, on loopback only."""

    enabled: bool = Field(False, description="serve /metrics")
    listen: str = Field("127.0.0.1", description="loopback address to listen on")
    port: int = Field(9310, ge=1, le=65535)

    @field_validator("listen")
    @classmethod
    def _loopback_only(cls, v: str) -> str:
        from gated.core.netaddr import is_loopback

        if not is_loopback(v):
            raise ValueError(f"metrics are served on loopback only (127.0.0.1, ::1 or "
                             f"localhost), got {v!r}")
        return v


class SimVehicle(Section):
    plate: str = Field(description="Plate the simulated camera reads ('' = unreadable)")
    behaviour: Literal["normal", "tailgate", "reverse", "slow"] = "normal"
    confidence: float = Field(0.95, ge=0, le=1)
    trailer_plate: str | None = None
    qr: str | None = Field(None, description="QR text the driver shows (GPR:..., GP1:...)")


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
    io: IoSection = SimIoSection()
    board: BoardSection = SimBoardSection()
    barrier: SerialBarrierConfig | None = None
    scanner: SerialScannerConfig | None = None
    cameras: list[CameraSection] = Field(default_factory=list)
    qr: QrSection = QrSection()
    mqtt: MqttSection = MqttSection()
    metrics: MetricsSection = MetricsSection()
    sim: SimSection | None = None

    @model_validator(mode="after")
    def _unique_cameras(self) -> LaneConfig:
        names = [c.name for c in self.cameras]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"camera names must be unique: {', '.join(dupes)}")
        if self.qr.camera is not None and self.qr.camera not in names:
            raise ValueError(f"qr.camera {self.qr.camera!r} is not one of the [[cameras]]")
        return self

    @model_validator(mode="after")
    def _serial_barrier_needs_real_io(self) -> LaneConfig:
        if self.barrier is None:
            return self
        if isinstance(self.io, SimIoSection):
            raise ValueError("[barrier] (a serial barrier controller) needs a real [io] module for "
                             "the loops and limit switches: set [io] driver = \"modbus\"")
        ports = {"board": getattr(self.board, "device", None),
                 "scanner": self.scanner.device if self.scanner else None}
        for section, device in ports.items():
            if device == self.barrier.device:
                raise ValueError(f"[barrier] device {device} is also [{section}]'s: one device per "
                                 "serial port")
        return self
