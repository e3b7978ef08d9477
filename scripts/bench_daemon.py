"""The real ``gated`` daemon under load: start -> READY, and RSS/CPU with two RTSP cameras.

Two GStreamer RTSP servers (``scripts/anpr/rtsp_peer.py``) loop 1080p lane frames with
rendered plates at 25 fps; the daemon (``python -m gated.daemon.main --config FILE``, a
real process) reads both as plate cameras (``front`` and ``rear``) with ANPR on. The
daemon is given a ``NOTIFY_SOCKET`` we listen on, so *start -> READY* is the time from
spawning the process to its ``READY=1`` (sd_notify, as systemd sees it). Once both
cameras deliver frames, the daemon's RSS is sampled from ``/proc/PID/status`` and its CPU
is ``utime+stime`` from ``/proc/PID/stat`` over the window; the RTSP servers' own CPU is
measured the same way and reported apart.

    .venv/bin/python -m scripts.bench_daemon [--seconds 60]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from scripts.anpr.rtsp_peer import RtspServer, gstreamer_available, write_frames
from scripts.peers.gated_proc import Gated, write_config

CAMERAS = """
[sim]
loop = false

[[cameras]]
name = "front"
role = "front"
driver = "rtsp"
url = "{front}"

[[cameras]]
name = "rear"
role = "rear"
driver = "rtsp"
url = "{rear}"
"""
TICK = os.sysconf("SC_CLK_TCK")


class BenchError(RuntimeError):
    """The daemon or a camera did not come up: the message says what and why."""


@dataclass
class Usage:
    seconds: float
    cpu_pct: float  # of one core, daemon process (all its threads)
    rss_max_mb: float  # largest VmRSS sampled in the window
    hwm_mb: float  # VmHWM at the end: peak since start, start-up included
    servers_cpu_pct: float  # the two RTSP servers together
    fps: dict[str, float] = field(default_factory=dict)  # per camera: frames the daemon grabbed / seconds


def cpu_ticks(pid: int) -> int:
    """utime + stime of ``pid`` (every thread), in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5)


def status_kb(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise BenchError(f"/proc/{pid}/status has no {key}")


def notify_socket(path: Path) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(str(path))
    return s


def wait_ready(sock: socket.socket, gated: Gated, started: float, timeout: float) -> float:
    """Seconds from ``started`` to the daemon's READY=1 datagram."""
    deadline = started + timeout
    while time.monotonic() < deadline:
        assert gated.proc is not None
        if gated.proc.poll() is not None:
            raise BenchError(f"gated exited {gated.proc.returncode} before READY:\n"
                             f"{gated.log_text()[-2000:]}")
        sock.settimeout(0.2)
        try:
            msg = sock.recv(4096).decode(errors="replace")
        except TimeoutError:
            continue
        if "READY=1" in msg.split("\n"):
            return time.monotonic() - started
    raise BenchError(f"no READY=1 within {timeout:.0f} s:\n{gated.log_text()[-2000:]}")


def start_daemon(stack: ExitStack, cfg: Path, tmp: Path) -> tuple[Gated, float]:
    """Spawn gated with our NOTIFY_SOCKET; return it and its start -> READY seconds."""
    sock = stack.enter_context(notify_socket(tmp / "notify.sock"))
    gated = Gated(cfg, env={"NOTIFY_SOCKET": str(tmp / "notify.sock")})
    started = time.monotonic()
    gated.start(wait=False)
    stack.callback(stop, gated)
    return gated, wait_ready(sock, gated, started, timeout=60)


def stop(gated: Gated) -> None:
    """SIGTERM, and SIGKILL if it does not exit: a bench must not leave a daemon behind."""
    try:
        gated.stop(timeout=15)
    except subprocess.TimeoutExpired:
        assert gated.proc is not None
        gated.proc.kill()
        gated.proc.wait(timeout=5)


def measure_ready(tmp: Path) -> float:
    """start -> READY of a lane without cameras (simulated I/O): when GStreamer is missing."""
    with ExitStack() as stack:
        return start_daemon(stack, write_config(tmp, sim=True), tmp)[1]


def camera_fps(gated: Gated) -> dict[str, float]:
    """Per camera, the daemon's frame rate over its last 2 s."""
    return {name: d.get("fps") or 0.0 for name, d in cameras(gated).items()}


def camera_frames(gated: Gated) -> dict[str, int]:
    """Per camera, the frames the daemon has grabbed since it started."""
    return {name: d.get("frames") or 0 for name, d in cameras(gated).items()}


def cameras(gated: Gated) -> dict[str, dict]:
    devices = gated.client().call("status")["devices"]
    return {d["name"]: d for d in devices if d.get("kind") == "camera"}


def wait_frames(gated: Gated, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    fps: dict[str, float] = {}
    while time.monotonic() < deadline:
        fps = camera_fps(gated)
        if len(fps) == 2 and all(v > 0 for v in fps.values()):
            return
        time.sleep(0.5)
    raise BenchError(f"cameras not streaming after {timeout:.0f} s (fps {fps}):\n"
                     f"{gated.log_text()[-2000:]}")


def sample_window(pid: int, servers: list[int], seconds: float) -> Usage:
    t0, c0 = time.monotonic(), cpu_ticks(pid)
    s0 = sum(cpu_ticks(p) for p in servers)
    rss = 0
    while time.monotonic() - t0 < seconds:
        rss = max(rss, status_kb(pid, "VmRSS"))
        time.sleep(0.5)
    wall = time.monotonic() - t0
    cpu = (cpu_ticks(pid) - c0) / TICK / wall * 100
    srv = (sum(cpu_ticks(p) for p in servers) - s0) / TICK / wall * 100
    return Usage(round(wall, 1), cpu, max(rss, status_kb(pid, "VmRSS")) / 1024,
                 status_kb(pid, "VmHWM") / 1024, srv)


def start_cameras(stack: ExitStack, tmp: Path, frames: int) -> list[RtspServer]:
    from scripts.bench_anpr import lane_frames  # renders with fonts: import only when used

    servers = []
    for i, name in enumerate(("front", "rear")):
        pattern = write_frames(tmp / f"frames-{name}", lane_frames(frames, seed=20 + i))
        srv = RtspServer(pattern, fps=25)
        srv.start()
        stack.callback(srv.kill)
        servers.append(srv)
    return servers


def run(seconds: float, frames: int = 25) -> tuple[float, Usage]:
    """(start -> READY seconds, usage over ``seconds``) of gated with two 1080p cameras."""
    if not gstreamer_available():
        raise BenchError("GStreamer RTSP server missing (scripts/system-packages.sh test)")
    with tempfile.TemporaryDirectory(prefix="bench-daemon-") as d, ExitStack() as stack:
        tmp = Path(d)
        front, rear = start_cameras(stack, tmp, frames)
        cfg = write_config(tmp, CAMERAS.format(front=front.url, rear=rear.url), sim=False)
        gated, ready_s = start_daemon(stack, cfg, tmp)
        wait_frames(gated)
        time.sleep(2.0)  # past the first reads and model warm-up
        assert gated.proc is not None and front.proc is not None and rear.proc is not None
        before = camera_frames(gated)
        usage = sample_window(gated.proc.pid, [front.proc.pid, rear.proc.pid], seconds)
        after = camera_frames(gated)  # frames over the whole window, not the last 2 s's rate
        usage.fps = {name: round((after[name] - before.get(name, 0)) / usage.seconds, 1) for name in after}
        return ready_s, usage


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60)
    args = ap.parse_args()
    ready_s, u = run(args.seconds)
    print(f"start -> READY: {ready_s:.2f} s")
    print(f"daemon over {u.seconds} s: CPU {u.cpu_pct:.0f}% of one core, RSS max "
          f"{u.rss_max_mb:.0f} MB (peak since start {u.hwm_mb:.0f} MB); cameras {u.fps} fps; "
          f"RTSP servers {u.servers_cpu_pct:.0f}%")


if __name__ == "__main__":
    main()
