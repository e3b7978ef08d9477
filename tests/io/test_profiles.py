"""Profiles and driver configs: shipped ones load, bad ones name the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from gated.devices.modbus import ModbusIoConfig, ProfileError, build, load_profile
from gated.devices.serial import SerialBoardConfig, SerialScannerConfig

DRIVERS = Path(__file__).resolve().parents[2] / "drivers"
GOOD = (DRIVERS / "relay-8x8.toml").read_text()


@pytest.mark.parametrize("path", sorted(DRIVERS.glob("*.toml")), ids=lambda p: p.stem)
def test_every_shipped_profile_is_valid_and_documented(path):
    profile = load_profile(str(path))
    assert profile.name == path.stem
    assert (DRIVERS / f"{path.stem}.md").is_file(), "each profile has its wiring doc"


def write(tmp_path: Path, text: str) -> str:
    p = tmp_path / "bad.toml"
    p.write_text(text)
    return str(p)


@pytest.mark.parametrize("edit, key, words", [
    (("address = 0 }", "address = -1 }"), "inputs.presence.address", "greater than or equal"),
    (('mode = "pulse"', 'mode = "wiggle"'), "barrier.mode", "pulse"),
    (("poll_interval_ms = 50", "poll_interval_ms = 50\ncolour = 1"), "colour", "Extra inputs"),
    (('red           = { table = "coil", address = 2 }', 'red = { table = "discrete_input", address = 2 }'),
     "outputs", "cannot be written"),
    (('green         = { table = "coil", address = 3 }', 'green = { table = "coil", address = 2 }'),
     "outputs", "same bit as red"),
    (('safety       = { table = "discrete_input", address = 1 }',
      'safety = { table = "input_register", address = 1, mask = 3 }'), "inputs.safety", "exactly one bit"),
    (('safety       = { table = "discrete_input", address = 1 }',
      'safety = { table = "holding_register", address = 1 }'), "inputs.safety", "needs a mask"),
])
def test_bad_profile_names_file_and_key(tmp_path, edit, key, words):
    assert edit[0] in GOOD
    path = write(tmp_path, GOOD.replace(*edit))
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: {key}") and words in msg, msg


def test_unparsable_and_missing_profiles(tmp_path):
    with pytest.raises(ProfileError, match="not valid TOML"):
        load_profile(write(tmp_path, "name = "))
    with pytest.raises(ProfileError, match="'nope' not found"):
        load_profile("nope", [tmp_path])
    cfg = ModbusIoConfig(driver="modbus", profile="nope", transport="tcp", host="h")
    with pytest.raises(ProfileError):
        build(cfg, [tmp_path])


def test_profile_name_is_found_on_the_search_path(tmp_path):
    (tmp_path / "mine.toml").write_text(GOOD.replace('name = "relay-8x8"', 'name = "mine"'))
    assert load_profile("mine", [tmp_path]).name == "mine"


def test_modbus_config_is_strict():
    ok = ModbusIoConfig.model_validate({"driver": "modbus", "profile": "relay-8x8",
                                        "transport": "rtu", "device": "/dev/ttyUSB0"})
    assert ok.baudrate == 19200 and ok.device_id == 1
    for bad in ({"transport": "tcp"}, {"transport": "rtu"}, {"transport": "tcp", "host": "h", "unit": 3},
                {"transport": "tcp", "host": "h", "driver": "sim"}):
        with pytest.raises(ValidationError):
            ModbusIoConfig.model_validate({"driver": "modbus", "profile": "x", **bad})


def test_serial_configs_are_strict_and_bound_fault_time():
    SerialScannerConfig(driver="serial", device="/dev/ttyACM0")
    with pytest.raises(ValidationError, match="Extra inputs"):
        SerialScannerConfig(driver="serial", device="/dev/ttyACM0", prefix="x")
    with pytest.raises(ValidationError, match="within 1000 ms"):
        SerialBoardConfig(driver="serial", device="/dev/ttyS0", keepalive_ms=500, timeout_ms=300)
