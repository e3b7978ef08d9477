"""Modbus TCP/RTU I/O modules and PLCs, driven by hardware profiles in ``drivers/``.

The runtime builds the driver from the lane config's ``[io]`` section::

    from gated.devices.modbus import ModbusIoConfig, build
    module = build(ModbusIoConfig.model_validate(section))   # an IoModule
    link = IoLink(module, reporter, on_inputs, poll_interval_s=module.poll_interval_s)
"""

from __future__ import annotations

from pathlib import Path

from gated.devices.modbus.client import ModbusIo
from gated.devices.modbus.config import ModbusIoConfig
from gated.devices.modbus.profile import ModbusProfile, ProfileError, load_profile

__all__ = ["ModbusIo", "ModbusIoConfig", "ModbusProfile", "ProfileError", "build", "load_profile"]


def build(cfg: ModbusIoConfig, search: list[Path] | None = None) -> ModbusIo:
    """The driver for ``cfg``; raises :class:`ProfileError` naming file and key if the
    profile is missing or invalid."""
    return ModbusIo(cfg, load_profile(cfg.profile, search))
