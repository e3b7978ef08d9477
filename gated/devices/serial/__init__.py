"""Serial devices: the message board / barrier controller protocol and the QR scanner.

    from gated.devices.serial import SerialBoardConfig, SerialScannerConfig, build_board, build_scanner
"""

from __future__ import annotations

from gated.devices.interfaces import IoModule
from gated.devices.serial.barrier import SerialBarrier, SerialBarrierIo
from gated.devices.serial.board import BoardRefused, SerialBoard
from gated.devices.serial.config import SerialBarrierConfig, SerialBoardConfig, SerialScannerConfig
from gated.devices.serial.scanner import SerialScanner

__all__ = ["BoardRefused", "SerialBarrier", "SerialBarrierConfig", "SerialBarrierIo", "SerialBoard",
           "SerialBoardConfig", "SerialScanner", "SerialScannerConfig", "build_board",
           "build_scanner", "with_barrier"]


def build_board(cfg: SerialBoardConfig) -> SerialBoard:
    """A MessageBoard for the ``[board]`` section (supervise it with BoardLink)."""
    return SerialBoard(cfg)


def with_barrier(io: IoModule, cfg: SerialBarrierConfig | None) -> IoModule:
    """The lane's I/O module, with its barrier on the ``[barrier]`` controller if there is
    one (supervise either with IoLink)."""
    return io if cfg is None else SerialBarrierIo(io, SerialBarrier(cfg))


def build_scanner(cfg: SerialScannerConfig) -> SerialScanner:
    """A QrSource for the ``[scanner]`` section (supervise it with ScannerLink)."""
    return SerialScanner(cfg)
