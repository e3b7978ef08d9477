"""ANPR test helpers: repo root on sys.path (for scripts/anpr), network guard."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a network connection fails loudly."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def fonts_installed() -> bool:
    from scripts.anpr.glyphs import CJK_FONTS, FONT_ROOT, LATIN_FONTS

    return any((FONT_ROOT / f).exists() for f in LATIN_FONTS) and any((FONT_ROOT / f.split("#")[0]).exists() for f in CJK_FONTS)


needs_fonts = pytest.mark.skipif(not fonts_installed(),
                                 reason="plate renderer needs Debian fonts (docs/anpr.md lists the packages)")
