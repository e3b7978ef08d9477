"""The one place field tooling touches ANPR (``gated.anpr``), which may not be installed.

Until the ANPR package is present every function here says so instead of failing:
``plate_reader()`` returns ``(None, "ANPR not installed")``, and the camera checks and
``gatectl snapshot`` fall back to the plain frame with a warning. When it is present they
use its reader (:class:`gated.anpr.reader.AnprReader`, a
:class:`~gated.devices.interfaces.PlateReader`) and its model search path.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from gated.devices.interfaces import PlateReader

NOT_INSTALLED = "ANPR not installed"


def installed() -> bool:
    return importlib.util.find_spec("gated.anpr") is not None


def plate_reader() -> tuple[PlateReader | None, str]:
    """The lane's plate reader, or None and why not (one line for a technician)."""
    if not installed():
        return None, NOT_INSTALLED
    try:
        from gated.anpr.models import AnprError  # type: ignore[import-not-found]
        from gated.anpr.reader import AnprReader, camera_config  # type: ignore[import-not-found]
    except ImportError as exc:
        return None, f"ANPR cannot be loaded: {exc}"
    try:
        return AnprReader(config=camera_config(False)), ""  # it reads camera frames (snapshots)
    except AnprError as exc:
        return None, str(exc)
    except Exception as exc:  # noqa: BLE001 - a broken model file: say it, do not crash
        return None, f"ANPR reader failed to load: {type(exc).__name__}: {exc}"


def model_dirs() -> list[Path]:
    """Where the ANPR models are looked for, first match wins.

    ANPR's own search order when it is installed; otherwise the same order it uses:
    ``$GATED_MODELS_DIR``, ``models/`` of a source checkout, ``<venv>/share/gated/models``.
    """
    if installed():
        try:
            from gated.anpr.models import candidate_dirs  # type: ignore[import-not-found]

            return list(candidate_dirs())
        except ImportError:
            pass
    env = os.environ.get("GATED_MODELS_DIR")
    dirs = [Path(env)] if env else []
    return dirs + [Path(__file__).resolve().parents[2] / "models",
                   Path(sys.prefix) / "share" / "gated" / "models"]
