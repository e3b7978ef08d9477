"""The demo video: a lane camera's view of the scenario, 1920x1080 at 25 fps, H.264.

Plates are drawn by the project's plate renderer (``scripts/anpr/plate_render.py``), the
one the shipped models were trained on, big and frontal as a lane camera sees them; the
QR pass sits in the windscreen. Each vehicle is drawn once as a sprite, then scaled per
frame; the frames are piped to GStreamer's x264 (``gst_video.py encode``) and the result
is cached as ``video-<digest>.h264au``, the digest covering the scenario and the QR texts.
"""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import cv2
import numpy as np

from gated.qr.encode import bitmap
from scripts.anpr import plate_render
from scripts.anpr.plate_text import PlateText
from scripts.peers.processes import DIE_WITH_PARENT

from .scenario import FPS, HEIGHT, HORIZON_Y, WIDTH, Pose, Scenario, Vehicle

SYSTEM_PYTHON = "/usr/bin/python3"
GST_VIDEO = Path(__file__).with_name("gst_video.py")
SPRITE_W, SPRITE_H = 1000, 880
QR_CARD = (90, 70, 430, 410)  # where a truck shows its pass: x1, y1, x2, y2 on the sprite
CAR_W, CAR_H = 720, 520


def background() -> np.ndarray:
    img = np.empty((HEIGHT, WIDTH, 3), np.uint8)
    sky = np.linspace(235, 170, int(HORIZON_Y), dtype=np.float32)[:, None]
    img[: int(HORIZON_Y)] = np.stack([sky, sky * 0.92, sky * 0.8], axis=-1).astype(np.uint8)
    img[int(HORIZON_Y):] = (95, 110, 95)  # verge
    rng = random.Random(7)
    for x in range(0, WIDTH, 140):  # distant warehouses
        h = rng.randint(40, 140)
        cv2.rectangle(img, (x, int(HORIZON_Y) - h), (x + 120, int(HORIZON_Y)), (120, 125, 135), -1)
    vx = WIDTH // 2
    road = np.array([[vx - 60, HORIZON_Y], [vx + 60, HORIZON_Y], [WIDTH + 400, HEIGHT],
                     [-400, HEIGHT]], np.int32)
    cv2.fillPoly(img, [road], (78, 80, 82))
    for k in range(8):  # dashed centre line, closer dashes longer
        y0 = HORIZON_Y + (HEIGHT - HORIZON_Y) * (k / 8) ** 1.6
        y1 = HORIZON_Y + (HEIGHT - HORIZON_Y) * ((k + 0.5) / 8) ** 1.6
        cv2.line(img, (vx, int(y0)), (vx, int(y1)), (220, 220, 220), 2 + k)
    cv2.rectangle(img, (1700, 560), (1760, 1000), (60, 60, 200), -1)  # barrier housing
    cv2.putText(img, "HUU NGHI  IN-01  CAM FRONT", (30, 50), cv2.FONT_HERSHEY_SIMPLEX, 1.2,
                (255, 255, 255), 2, cv2.LINE_AA)
    return img


def plate_image(v: Vehicle) -> np.ndarray:
    rng = random.Random(v.label)
    plate = plate_render.render(PlateText(v.kind, v.lines), rng, scale=1.0)
    w = 300 if plate.shape[1] / plate.shape[0] > 2.2 else 230
    return cv2.resize(plate, (w, int(w * plate.shape[0] / plate.shape[1])),
                      interpolation=cv2.INTER_AREA)


def truck_sprite(v: Vehicle, qr: str | None) -> np.ndarray:
    """The truck's front at the stop line (scale 1)."""
    s = np.full((SPRITE_H, SPRITE_W, 3), v.colour, np.uint8)
    cv2.rectangle(s, (60, 50), (940, 430), (70, 50, 40), -1)  # windscreen
    cv2.rectangle(s, (60, 50), (940, 430), (30, 30, 30), 8)
    cv2.rectangle(s, (160, 470), (840, 640), (35, 35, 35), -1)  # grille
    for y in range(490, 640, 30):
        cv2.line(s, (170, y), (830, y), (150, 150, 150), 6)
    for x in (110, 890):  # headlights
        cv2.ellipse(s, (x, 560), (60, 40), 0, 0, 360, (210, 235, 245), -1)
    cv2.rectangle(s, (0, 680), (SPRITE_W, 860), (55, 55, 60), -1)  # bumper
    plate = plate_image(v)
    ph, pw = plate.shape[:2]
    y0 = 690 + max(0, (160 - ph) // 2)
    s[y0 : y0 + ph, (SPRITE_W - pw) // 2 : (SPRITE_W + pw) // 2] = plate
    if qr:
        card = cv2.cvtColor(bitmap(qr, px=1), cv2.COLOR_GRAY2BGR)
        x1, y1, x2, y2 = QR_CARD
        s[y1:y2, x1:x2] = cv2.resize(card, (x2 - x1, y2 - y1), interpolation=cv2.INTER_NEAREST)
    return s


def car_sprite() -> np.ndarray:
    """The tailgating car: its plate is dirty and unreadable (it must not start a passage)."""
    s = np.full((CAR_H, CAR_W, 3), (170, 170, 175), np.uint8)
    cv2.rectangle(s, (60, 30), (660, 230), (60, 45, 35), -1)
    cv2.rectangle(s, (0, 400), (CAR_W, 500), (50, 50, 55), -1)
    cv2.rectangle(s, (250, 410), (470, 460), (90, 95, 100), -1)  # mud-covered plate
    return s


def placement(sprite: np.ndarray, pose: Pose) -> tuple[int, int, int, int]:
    """Where ``compose`` draws ``sprite`` at ``pose``: its top-left corner in the frame (may
    be off-frame) and its scaled width and height."""
    h, w = sprite.shape[:2]
    sw, sh = max(2, int(w * pose.scale)), max(2, int(h * pose.scale))
    return (WIDTH - sw) // 2, int(pose.y) - sh, sw, sh


def compose(bg: np.ndarray, sprite: np.ndarray, pose: Pose) -> np.ndarray:
    frame = bg.copy()
    x0, y0, sw, sh = placement(sprite, pose)
    small = cv2.resize(sprite, (sw, sh), interpolation=cv2.INTER_AREA if pose.scale < 1
                       else cv2.INTER_LINEAR)
    fx0, fy0 = max(0, x0), max(0, y0)
    fx1, fy1 = min(WIDTH, x0 + sw), min(HEIGHT, y0 + sh)
    if fx1 > fx0 and fy1 > fy0:
        frame[fy0:fy1, fx0:fx1] = small[fy0 - y0 : fy1 - y0, fx0 - x0 : fx1 - x0]
    return frame


def frames(scenario: Scenario, qr_texts: list[str | None]):
    """Every frame of the video, BGR; an unchanged pose reuses the previous frame."""
    bg = background()
    sprites = [truck_sprite(v, q) for v, q in zip(scenario.vehicles, qr_texts)]
    car = car_sprite()
    last_pose, last = None, bg
    for i in range(scenario.frames):
        pose = scenario.pose(i / FPS)
        if pose != last_pose:
            last_pose = pose
            if pose.index is None:
                last = bg
            else:
                last = compose(bg, car if pose.follower else sprites[pose.index], pose)
        yield last


def render(scenario: Scenario, qr_texts: list[str | None], folder: Path) -> Path:
    """The cached video for this scenario, rendered now if missing."""
    out = folder / f"video-{scenario.digest(*[q or '' for q in qr_texts])}.h264au"
    if out.exists():
        return out
    folder.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".partial")
    enc = subprocess.Popen([*DIE_WITH_PARENT, SYSTEM_PYTHON, str(GST_VIDEO), "encode",
                            str(partial), "--width", str(WIDTH), "--height", str(HEIGHT),
                            "--fps", str(FPS)], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                           start_new_session=True)  # Ctrl-C is the demo's to handle
    assert enc.stdin is not None
    try:
        for frame in frames(scenario, qr_texts):
            enc.stdin.write(frame.tobytes())
        enc.stdin.close()
        if enc.wait(120) != 0:
            raise RuntimeError("the H.264 encoder failed")
    except BrokenPipeError:
        raise RuntimeError(f"the H.264 encoder ({GST_VIDEO.name}) stopped; is GStreamer's "
                           "x264enc installed (gstreamer1.0-plugins-ugly)?") from None
    finally:
        if enc.poll() is None:
            enc.kill()
    partial.rename(out)
    return out
