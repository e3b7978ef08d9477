"""QR reading: the decoder works, and the serial scanner is there (and reads, if asked).

* ``decoder`` -- the configured ``[qr] decoder`` decodes a QR code rendered here (proves
  zxing-cpp / libzbar0 are installed and how long a frame takes);
* ``scanner`` -- standalone: the port opens with the lane's driver; with ``--scan-wait S``
  the test waits up to S seconds for a pass to be scanned and says what the lane would
  make of it (the verifier's reason, never the pass's content). In the daemon: the live
  link's health. The QR camera's live frame is tried by the camera check.
"""

from __future__ import annotations

import asyncio
import time

from gated.devices import serial
from gated.devices.interfaces import DeviceError
from gated.selftest.context import Context, Emit
from gated.selftest.report import failed, passed, skipped, warned

C = "qr"
PROBE_TEXT = "GPR:SELFTEST-0001"
SLOW_DECODE_MS = 50.0
MAX_SCAN_WAIT_S = 60.0


async def run(ctx: Context, emit: Emit) -> None:
    if ctx.cfg.lane.qr_mode == "off":
        await emit(skipped(C, "", "decoder", "nothing to do: [lane] qr_mode = \"off\""))
        return
    await _decoder(ctx, emit)
    if ctx.cfg.scanner is None:
        await emit(skipped(C, "scanner", "responds", "add [scanner] if the lane has a fixed "
                           "QR scanner", detail="no serial scanner configured"))
    elif ctx.mode == "daemon":
        await _live_scanner(ctx, emit)
    else:
        await _scanner(ctx, emit)


def _decode_probe(spec: str) -> tuple[bool, float, str]:
    from gated.qr.decode import make_decoder
    from gated.qr.encode import bitmap

    decoder = make_decoder(spec)
    image = bitmap(PROBE_TEXT, px=6)
    t0 = time.monotonic()
    codes = decoder.decode(image)
    ms = (time.monotonic() - t0) * 1000
    return any(c.text == PROBE_TEXT for c in codes), ms, decoder.name


async def _decoder(ctx: Context, emit: Emit) -> None:
    spec = ctx.cfg.qr.decoder
    try:
        ok, ms, name = await asyncio.to_thread(_decode_probe, spec)
    except (RuntimeError, ValueError, ImportError, OSError) as exc:
        await emit(failed(C, spec, "decoder", "install the decoder: pip install zxing-cpp "
                          "(zbar also needs apt-get install libzbar0)", "unavailable",
                          detail=str(exc)[:200]))
        return
    if not ok:
        await emit(failed(C, name, "decoder", "the decoder is installed but cannot read a clean "
                          "code: reinstall gated", f"{ms:.0f} ms", ms, "ms"))
    elif ms > SLOW_DECODE_MS:
        await emit(warned(C, name, "decoder", "slow decoding: the CPU is overloaded, or use "
                          "decoder = \"zxing\"", f"{ms:.0f} ms", ms, "ms"))
    else:
        await emit(passed(C, name, "decoder", f"{ms:.1f} ms", ms, "ms", "decoded a test code"))


async def _scanner(ctx: Context, emit: Emit) -> None:
    assert ctx.cfg.scanner is not None
    dev = serial.build_scanner(ctx.cfg.scanner)
    try:
        await dev.connect()
    except DeviceError as exc:
        await emit(failed(C, dev.name, "responds", "check the scanner's USB cable and [scanner] "
                          "device (prefer /dev/serial/by-id/...); is gated stopped?",
                          "port not open", detail=str(exc)))
        return
    try:
        await emit(passed(C, dev.name, "responds", "port open", detail=ctx.cfg.scanner.device))
        wait = min(ctx.options.scan_wait_s, MAX_SCAN_WAIT_S)
        if wait <= 0:
            await emit(skipped(C, dev.name, "scan", "rerun with --scan-wait 20 and scan a pass "
                               "to test reading"))
        else:
            await _scan(ctx, dev, wait, emit)
    finally:
        await dev.close()


async def _scan(ctx: Context, dev, wait: float, emit: Emit) -> None:
    t0 = time.monotonic()
    try:
        async with asyncio.timeout(wait):
            text = await anext(dev.codes())
    except TimeoutError:
        await emit(failed(C, dev.name, "scan", "nothing scanned: check the scanner's mode (it "
                          "must send a CR after the code) and its serial settings",
                          f"none in {wait:.0f} s"))
        return
    except DeviceError as exc:
        await emit(failed(C, dev.name, "scan", "the port failed while waiting: check the cable",
                          "port lost", detail=str(exc)))
        return
    ms = (time.monotonic() - t0) * 1000
    await emit(passed(C, dev.name, "scan", f"{len(text)} characters", len(text), "chars",
                      f"read after {ms / 1000:.1f} s; lane's verdict: {_verdict(ctx, text)}"))


def _verdict(ctx: Context, text: str) -> str:
    """What the lane would say about the scanned text (a reason code, never the text)."""
    from gated.core.passes import PassBook
    from gated.qr import Keyring, verify

    cfg = ctx.cfg
    keyring = Keyring.from_config([k.model_dump(exclude_none=True) for k in cfg.qr.trusted_keys])
    verdict = verify(text, keyring=keyring, passes=PassBook(), site=cfg.lane.site,
                     lane=cfg.lane.id, direction=cfg.lane.direction, now=time.time(),
                     skew_s=cfg.timing.command_skew_s)
    return "accepted" if verdict.ok else f"rejected ({verdict.reason})"


async def _live_scanner(ctx: Context, emit: Emit) -> None:
    link = ctx.app.devices.scanner_link
    health = link.reporter.health
    if health.ok:
        await emit(passed(C, health.name, "responds", "port open",
                          detail=f"{health.faults} fault(s) since start"))
    else:
        await emit(failed(C, health.name, "responds", "check the scanner's USB cable and "
                          "[scanner] device", "down", detail=health.detail))
