"""Typed lane configuration (TOML + pydantic) and secrets."""

from gated.config.load import ConfigError, LoadedConfig, load_config
from gated.config.schema import LaneConfig

__all__ = ["ConfigError", "LaneConfig", "LoadedConfig", "load_config"]
