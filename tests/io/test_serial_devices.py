"""The serial board and QR scanner against a scripted device on a socat pty pair."""

from __future__ import annotations

import asyncio
import contextlib
import time

from structlog.testing import capture_logs

from gated.devices.link import Backoff, Health, HealthReporter
from gated.devices.link_serial import BoardLink, ScannerLink
from gated.devices.serial import SerialBoardConfig, SerialScannerConfig, build_board, build_scanner
from scripts.peers.processes import PtyPair, serial_peer
from tests.io.harness import Seen, stop_task

FAST = Backoff(0.1, 2.0, 1.0)


@contextlib.asynccontextmanager
async def board_link(device: str, **kw):
    seen = Seen()
    board = build_board(SerialBoardConfig(driver="serial", device=device, **kw))
    link = BoardLink(board, HealthReporter(Health("board", "board"), seen.on_fault,
                                           seen.on_recovered), backoff=FAST)
    task = asyncio.create_task(link.run())
    try:
        yield link, seen
    finally:
        await stop_task(task)
        await board.close()


@contextlib.asynccontextmanager
async def scanner_link(device: str):
    seen, codes = Seen(), []

    async def on_code(code: str) -> None:
        codes.append(code)
        seen._poke()

    scanner = build_scanner(SerialScannerConfig(driver="serial", device=device, max_length=64))
    link = ScannerLink(scanner, HealthReporter(Health("scanner", "scanner"), seen.on_fault,
                                               seen.on_recovered), on_code, backoff=FAST)
    task = asyncio.create_task(link.run())
    try:
        yield link, seen, codes
    finally:
        await stop_task(task)
        await scanner.close()


def test_board_shows_latest_text_with_ack(tmp_path, pty_pair, stop_later):
    peer = serial_peer(tmp_path, pty_pair.b)
    stop_later(peer)

    async def main():
        async with board_link(str(pty_pair.a)) as (link, seen):
            await seen.until(lambda: link.connected and link.reporter.health.ok, what="connected")
            mark = peer.mark()
            link.show("Mời xe vào")
            ev = await peer.aevent(lambda e: e.get("cmd") == "T", mark)
            assert ev["text"] == "Mời xe vào"
            await seen.until(lambda: link.shown == "Mời xe vào", what="acked")
            assert seen.faults == []
    asyncio.run(main())


def test_board_retries_garbage_and_nak_then_carries_on(tmp_path, pty_pair, stop_later):
    peer = serial_peer(tmp_path, pty_pair.b)
    stop_later(peer)

    async def main():
        async with board_link(str(pty_pair.a)) as (link, seen):
            await seen.until(lambda: link.reporter.health.ok, what="connected")
            for mode in ("garbage", "bad_crc", "wrong_seq"):
                peer.request({"op": "mode", "mode": mode})
                with capture_logs() as logs:
                    mark = peer.mark()
                    link.show(f"text after {mode}")
                    await peer.aevent(lambda e: e.get("cmd") == "T", mark)
                    peer.request({"op": "mode", "mode": "normal"})
                    await seen.until(lambda m=mode: link.shown == f"text after {m}", what=mode)
                rejected = [e for e in logs if e["event"] == "board.rejected"]
                assert rejected and all(e["device"] == "board" and e["reason"] for e in rejected)
            peer.request({"op": "mode", "mode": "nak_bad_data"})
            with capture_logs() as logs:
                link.show("refused text")
                await seen.until(lambda: link.shown == "refused text", what="refused")
            assert any(e["event"] == "board.refused" for e in logs)
            assert link.reporter.health.ok
    asyncio.run(main())


def test_board_silent_faults_within_1s_and_recovers(tmp_path, pty_pair, stop_later):
    peer = serial_peer(tmp_path, pty_pair.b)
    stop_later(peer)

    async def main():
        async with board_link(str(pty_pair.a)) as (link, seen):
            await seen.until(lambda: link.reporter.health.ok, what="connected")
            peer.request({"op": "mode", "mode": "silent"})
            t0 = time.monotonic()
            await seen.until(lambda: seen.faults, what="fault")
            assert seen.faults[0][0] - t0 <= 1.0, seen.faults
            peer.request({"op": "mode", "mode": "normal"})
            await seen.until(lambda: seen.recovered, what="recovery")
            assert link.reporter.health.ok
    asyncio.run(main())


def test_board_port_removed_then_back(tmp_path, stop_later):
    pair = PtyPair(tmp_path, "board")
    stop_later(pair)
    peer = serial_peer(tmp_path, pair.b, "peer1")
    stop_later(peer)

    async def main():
        async with board_link(str(pair.a)) as (link, seen):
            link.show("before")
            await seen.until(lambda: link.shown == "before", what="shown")
            peer.kill()
            t0 = time.monotonic()
            pair.kill()
            await seen.until(lambda: seen.faults, what="fault")
            assert seen.faults[0][0] - t0 <= 1.0, seen.faults
            assert not pair.a.exists()
            pair2 = PtyPair(tmp_path, "board")
            stop_later(pair2)
            peer2 = serial_peer(tmp_path, pair2.b, "peer2")
            stop_later(peer2)
            await seen.until(lambda: seen.recovered, what="recovery")
            await peer2.aevent(lambda e: e.get("text") == "before")  # shown again
    asyncio.run(main())


def test_scanner_lines_cr_crlf_and_garbage(tmp_path, pty_pair, stop_later):
    peer = serial_peer(tmp_path, pty_pair.b)
    stop_later(peer)
    long = "X" * 100
    stream = (b"GATE:PASS-1\r" + b"GATE:PASS-2\r\n" + b"\xff\xfe\x00bad\r" + long.encode() + b"\r"
              + b"ctl\x07char\r\n" + b"GATE:PASS-3\r\n")

    async def main():
        async with scanner_link(str(pty_pair.a)) as (link, seen, codes):
            await seen.until(lambda: link.reporter.health.ok, what="connected")
            with capture_logs() as logs:
                for i in range(0, len(stream), 7):  # arrives in pieces, like a real line
                    peer.request({"op": "send", "hex": stream[i:i + 7].hex()})
                await seen.until(lambda: len(codes) >= 3, what="codes")
            assert codes == ["GATE:PASS-1", "GATE:PASS-2", "GATE:PASS-3"]
            reasons = [e["reason"] for e in logs if e["event"] == "scanner.rejected"]
            assert len(reasons) == 3 and any("longer than 64" in r for r in reasons), reasons
    asyncio.run(main())


def test_scanner_port_removed_faults_within_1s_and_recovers(tmp_path, stop_later):
    pair = PtyPair(tmp_path, "scan")
    stop_later(pair)

    async def main():
        async with scanner_link(str(pair.a)) as (link, seen, codes):
            await seen.until(lambda: link.reporter.health.ok, what="connected")
            t0 = time.monotonic()
            pair.kill()
            await seen.until(lambda: seen.faults, what="fault")
            assert seen.faults[0][0] - t0 <= 1.0, seen.faults
            pair2 = PtyPair(tmp_path, "scan")
            stop_later(pair2)
            peer = serial_peer(tmp_path, pair2.b)
            stop_later(peer)
            await seen.until(lambda: seen.recovered, what="recovery")
            peer.request({"op": "send", "hex": b"AFTER\r\n".hex()})
            await seen.until(lambda: codes == ["AFTER"], what="code after recovery")
    asyncio.run(main())
