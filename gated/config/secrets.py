"""Secrets (MQTT password, TLS client key) never live in the TOML.

They come, in this order, from a systemd credential (``LoadCredential=`` puts a file
named NAME in ``$CREDENTIALS_DIRECTORY``) or from the environment variable
``GATED_<NAME>`` (upper case, ``-`` -> ``_``). Absent is fine where the secret is optional.
"""

from __future__ import annotations

import os
from pathlib import Path


def env_name(name: str) -> str:
    return "GATED_" + name.upper().replace("-", "_")


def credential_path(name: str) -> Path | None:
    """Where systemd put credential ``name``, if it did."""
    directory = os.environ.get("CREDENTIALS_DIRECTORY")
    if not directory:
        return None
    path = Path(directory) / name
    return path if path.is_file() else None


def read_secret(name: str) -> str | None:
    path = credential_path(name)
    if path is not None:
        return path.read_text(encoding="utf-8").rstrip("\r\n")
    return os.environ.get(env_name(name))
