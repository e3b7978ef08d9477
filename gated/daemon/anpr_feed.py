"""From a camera to the lane: frames -> plate reads -> multi-frame vote -> lane inputs.

One :class:`AnprFeed` per plate camera (role ``front`` or ``rear``). It reads the camera's
latest frame (never a backlog) on its own worker thread, feeds the pure voter, and submits
``VehicleSighted`` when plates appear after a quiet spell and ``PlateVoted`` for every
decided vehicle. The best frame of each voted plate becomes the event's evidence: a plate
crop and a scene JPEG, encoded here (off the event loop) and stored by the runtime before
the ``passage.decided`` event that names them.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import cv2
import numpy as np
import structlog

from gated.anpr.voting import Decision, PlateVoter, VoteConfig
from gated.core.decision import PlateVote
from gated.core.ids import uuid7
from gated.core.lane.model import PlateVoted, VehicleSighted
from gated.daemon.runtime import LaneRuntime
from gated.devices.interfaces import Frame, FrameSource, PlateRead, PlateReader

log = structlog.get_logger()

SCENE_WIDTH = 1280  # scene evidence is downscaled to this width (JPEG ~150 KB)
#: Plate texts whose best frame is kept for evidence (a full frame each: 6 MB at 1080p).
#: Keeping the best frame per text, not the last N frames, bounds a camera's evidence
#: memory to ~50 MB; a vote's consensus is always one of the texts read.
BEST_FRAMES = 8


@dataclass
class FeedMetrics:
    frames: int = 0
    read_ms: float = 0.0  # last detection + OCR time
    decisions: int = 0
    last_decision_latency_s: float | None = None  # first sighting -> vote decided


class AnprFeed:
    def __init__(self, camera: FrameSource, reader: PlateReader, runtime: LaneRuntime,
                 role: str = "front", vote: VoteConfig | None = None) -> None:
        self.camera = camera
        self.reader = reader
        self.runtime = runtime
        self.role = role
        self.voter = PlateVoter(vote)
        self.metrics = FeedMetrics()
        self.alive_at = time.monotonic()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix=f"anpr-{camera.name}")
        self._best: OrderedDict[str, tuple[Frame, PlateRead]] = OrderedDict()
        self._last_read_at = 0.0

    async def run(self) -> None:
        await self.camera.start()
        loop = asyncio.get_running_loop()
        last_index: int | None = None
        try:
            while True:
                self.alive_at = time.monotonic()
                frame = self.camera.latest()
                if frame is None or frame.index == last_index:
                    await self._submit(self.voter.tick(time.monotonic()))
                    await asyncio.sleep(0.01)
                    continue
                last_index = frame.index
                t0 = time.perf_counter()
                reads = await loop.run_in_executor(self._pool, self.reader.read, frame.image)
                self.metrics.read_ms = (time.perf_counter() - t0) * 1000
                self.metrics.frames += 1
                await self._on_reads(frame, reads)
        finally:
            await self.camera.stop()
            self._pool.shutdown(wait=False)

    async def _on_reads(self, frame: Frame, reads: list[PlateRead]) -> None:
        if reads:
            if frame.monotonic - self._last_read_at > self.voter.config.forget_after:
                self.runtime.submit_nowait(VehicleSighted(self.camera.name))
            self._last_read_at = frame.monotonic
            self._keep_best(frame, reads)
        decided = self.voter.add([(r.text, r.confidence) for r in reads], frame.monotonic)
        await self._submit(decided)

    def _keep_best(self, frame: Frame, reads: list[PlateRead]) -> None:
        """Best frame per text; a frame from an earlier vehicle (older than the voter's
        ``forget_after``) is replaced whatever its confidence."""
        forget = self.voter.config.forget_after
        for r in reads:
            kept = self._best.get(r.text)
            if (kept is None or r.confidence > kept[1].confidence
                    or frame.monotonic - kept[0].monotonic > forget):
                self._best[r.text] = (frame, r)
            self._best.move_to_end(r.text)
        while len(self._best) > BEST_FRAMES:
            self._best.popitem(last=False)

    async def _submit(self, decisions: list[Decision]) -> None:
        for d in decisions:
            evidence = await self._evidence(d.plate)
            lag = time.monotonic() - d.first_seen
            first_seen_wall = time.time() - lag
            status = "ok" if d.status == "read" else "low_confidence"
            vote = PlateVote(d.plate, d.confidence, d.reads, first_seen_wall, status,
                             self.camera.name, evidence)
            self.metrics.decisions += 1
            self.metrics.last_decision_latency_s = d.decided_at - d.first_seen
            log.info("anpr.voted", camera=self.camera.name, plate=d.plate, status=d.status,
                     confidence=round(d.confidence, 3), reads=d.reads,
                     decision_ms=round((d.decided_at - d.first_seen) * 1000))
            self.runtime.submit_nowait(PlateVoted(vote, "rear" if self.role == "rear" else "front"))

    async def _evidence(self, plate: str) -> str | None:
        """Encode the best frame of ``plate`` as plate + scene JPEGs; return its key."""
        best = self._best.pop(plate, None)
        if best is None:
            return None
        frame, read = best
        loop = asyncio.get_running_loop()
        images = await loop.run_in_executor(self._pool, _jpegs, frame.image, read.box)
        if not images:
            return None
        key = uuid7()
        self.runtime.keep_evidence(key, images)
        return key


def _jpegs(image: np.ndarray, box: tuple[int, int, int, int]) -> dict[str, bytes]:
    x1, y1, x2, y2 = box
    out: dict[str, bytes] = {}
    crop = image[max(0, y1):y2, max(0, x1):x2]
    if crop.size:
        ok, data = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 90])
        if ok:
            out["plate"] = data.tobytes()
    h, w = image.shape[:2]
    scene = image if w <= SCENE_WIDTH else cv2.resize(
        image, (SCENE_WIDTH, int(h * SCENE_WIDTH / w)), interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", scene, [cv2.IMWRITE_JPEG_QUALITY, 80])
    if ok:
        out["scene"] = data.tobytes()
    return out
