"""Cameras: connects, frame rate, decodes a frame, a plate read on a live frame, snapshot.

Every ``[[cameras]]`` entry with ``driver = "rtsp"`` is opened at its URL (in both modes:
IP cameras serve several RTSP clients). The plate read uses the ANPR reader when
``gated.anpr`` is installed; the camera named by ``[qr] camera`` is also tried for QR codes.
"""

from __future__ import annotations

import asyncio
import time

from gated.config.schema import CameraSection
from gated.field import anpr_bridge
from gated.field.camera import (
    CameraError,
    Sample,
    annotate,
    host_port,
    redact,
    sample,
    save_jpeg,
    snapshot_name,
)
from gated.selftest.context import Context, Emit
from gated.selftest.report import failed, passed, skipped, warned

C = "camera"
MIN_FPS = 10.0  # below this ANPR votes on too few frames per passing truck
SLOW_OPEN_S = 3.0


async def run(ctx: Context, emit: Emit) -> None:
    if not ctx.cfg.cameras:
        await emit(skipped(C, "", "configured", "add [[cameras]] to the lane config if the lane "
                           "has cameras", detail="no camera configured"))
        return
    for cam in ctx.cfg.cameras:
        if cam.driver != "rtsp" or not cam.url:
            await emit(skipped(C, cam.name, "connect", "nothing to test on a simulated camera",
                               detail=f"driver {cam.driver}"))
            continue
        await check_camera(ctx, cam, emit)


async def check_camera(ctx: Context, cam: CameraSection, emit: Emit) -> None:
    assert cam.url is not None
    try:
        s = await asyncio.to_thread(sample, cam.url)
    except CameraError as exc:
        await _unreachable(cam, exc, emit)
        return
    await _connected(cam, s, emit)
    reads = await plate_or_qr(ctx, cam, s, emit)
    await _snapshot(ctx, cam, s, reads, emit)


async def _unreachable(cam: CameraSection, exc: CameraError, emit: Emit) -> None:
    url = redact(cam.url or "")
    if exc.step == "connect":
        await emit(failed(C, cam.name, "connect", f"check the camera's power and cable "
                          f"(ping {host_port(cam.url or '').rsplit(':', 1)[0]}), then the url, "
                          "user and password in [[cameras]]", figure="no stream",
                          detail=str(exc)))
        await emit(skipped(C, cam.name, "decode", "fix the connection first"))
    else:
        await emit(passed(C, cam.name, "connect", detail=url))
        await emit(failed(C, cam.name, "decode", "the stream opens but sends no picture: check "
                          "the stream path and that the camera sends H.264/H.265",
                          figure="no frame", detail=str(exc)))
    for step in ("frame_rate", "plate_read", "snapshot"):
        await emit(skipped(C, cam.name, step, "fix the connection first"))


async def _connected(cam: CameraSection, s: Sample, emit: Emit) -> None:
    figure = f"{s.open_s:.1f} s"
    if s.open_s > SLOW_OPEN_S:
        await emit(warned(C, cam.name, "connect", "slow to open: check the network path and "
                          "the camera's load", figure, s.open_s, "s", redact(cam.url or "")))
    else:
        await emit(passed(C, cam.name, "connect", figure, s.open_s, "s", redact(cam.url or "")))
    await emit(passed(C, cam.name, "decode", f"{s.width}x{s.height}", s.first_frame_s, "s",
                      f"first frame after {s.first_frame_s:.1f} s"))
    fps = round(s.fps, 1)
    if fps < MIN_FPS:
        await emit(warned(C, cam.name, "frame_rate", f"set the camera to 15-25 fps and check "
                          f"the link's bandwidth (ANPR needs >= {MIN_FPS:.0f} fps)",
                          f"{fps} fps", fps, "fps", f"{s.frames} frames in {s.span_s:.1f} s"))
    else:
        await emit(passed(C, cam.name, "frame_rate", f"{fps} fps", fps, "fps",
                          f"{s.frames} frames in {s.span_s:.1f} s"))


async def plate_or_qr(ctx: Context, cam: CameraSection, s: Sample, emit: Emit) -> list:
    """The plate read (front/rear cameras) and, on the QR camera, a QR decode."""
    reads: list = []
    if cam.role != "qr":
        reads = await _plate_read(cam, s, emit)
    if ctx.cfg.qr.camera == cam.name:
        await _qr_read(ctx, cam, s, emit)
    return reads


async def _plate_read(cam: CameraSection, s: Sample, emit: Emit) -> list:
    reader, why = await asyncio.to_thread(anpr_bridge.plate_reader)
    if reader is None:
        await emit(warned(C, cam.name, "plate_read", "install gated with ANPR (models "
                          "included) to read plates", "not read", detail=why))
        return []
    t0 = time.monotonic()
    reads = await asyncio.to_thread(reader.read, s.image)
    ms = (time.monotonic() - t0) * 1000
    if not reads:
        await emit(warned(C, cam.name, "plate_read", "no plate in view: put a vehicle in front "
                          "of the camera and rerun; else check aim, focus and lighting",
                          f"none in {ms:.0f} ms", ms, "ms"))
        return []
    best = max(reads, key=lambda r: r.confidence)
    await emit(passed(C, cam.name, "plate_read", f"{best.text} ({best.confidence:.2f})",
                      ms, "ms", f"{len(reads)} plate(s) in {ms:.0f} ms"))
    return reads


async def _qr_read(ctx: Context, cam: CameraSection, s: Sample, emit: Emit) -> None:
    from gated.qr.decode import DecoderUnavailable, make_decoder

    try:
        decoder = make_decoder(ctx.cfg.qr.decoder)
    except (DecoderUnavailable, ValueError) as exc:
        await emit(failed(C, cam.name, "qr_read", "install the QR decoder (zxing-cpp; libzbar0 "
                          "for zbar)", "no decoder", detail=str(exc)))
        return
    codes = await asyncio.to_thread(decoder.decode, s.image)
    if codes:
        await emit(passed(C, cam.name, "qr_read", f"{len(codes)} code(s)", len(codes), "codes"))
    else:
        await emit(warned(C, cam.name, "qr_read", "no QR code in view: hold a pass up to the "
                          "camera and rerun", "none", 0, "codes"))


async def _snapshot(ctx: Context, cam: CameraSection, s: Sample, reads: list, emit: Emit) -> None:
    path = ctx.snapshot_dir / snapshot_name(cam.name)
    try:
        size = await asyncio.to_thread(save_jpeg, path, annotate(s.image, reads))
    except OSError as exc:
        await emit(failed(C, cam.name, "snapshot", f"make {ctx.snapshot_dir} writable for this "
                          "user, or give --out DIR", "not saved", detail=str(exc)[:200]))
        return
    await emit(passed(C, cam.name, "snapshot", f"{size // 1024} KB", size, "bytes", str(path)))
