"""Serial devices: the message board / barrier controller protocol and the QR scanner.

    from gated.devices.serial import SerialBoardConfig, SerialScannerConfig, build_board, build_scanner
"""

from __future__ import annotations

from gated.devices.serial.board import BoardRefused, SerialBoard
from gated.devices.serial.config import SerialBoardConfig, SerialScannerConfig
from gated.devices.serial.scanner import SerialScanner

__all__ = ["BoardRefused", "SerialBoard", "SerialBoardConfig", "SerialScanner",
           "SerialScannerConfig", "build_board", "build_scanner"]


def build_board(cfg: SerialBoardConfig) -> SerialBoard:
    """A MessageBoard for the ``[board]`` section (supervise it with BoardLink)."""
    return SerialBoard(cfg)


def build_scanner(cfg: SerialScannerConfig) -> SerialScanner:
    """A QrSource for the ``[scanner]`` section (supervise it with ScannerLink)."""
    return SerialScanner(cfg)
