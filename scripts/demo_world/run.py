"""``scripts/demo``: the whole lane on one machine, with real protocols, live in the terminal.

Starts the demo world (RTSP camera, Modbus TCP I/O module, serial message board on a pty,
mosquitto if installed) and ``gated`` with ``config/demo.toml``, then prints each passage
as it happens. Ctrl-C stops everything. Everything it writes is under ``var/demo/``.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time

from .console import BOLD, RESET, Console
from .scenario import SCENARIOS
from .stack import ROOT, Ports, Stack

FOLDER = ROOT / "var" / "demo"
START_IN_S = 4.0  # empty road while gated starts, so the first truck is seen whole


class Stop(Exception):
    pass


def _raise_stop(*_: object) -> None:
    raise Stop


def _banner(stack: Stack, started: float) -> None:
    p = stack.ports
    broker = (f"mosquitto on 127.0.0.1:{p.mqtt} (topics gate/v1/huu-nghi/in-01/#)"
              if stack.broker else "no mosquitto installed: the lane runs OFFLINE, events wait "
              f"in {stack.folder / 'gated.db'}")
    print(f"""{BOLD}gated demo lane up in {time.monotonic() - started:.1f}s{RESET}
  camera   {stack.rtsp_url} (1920x1080, 25 fps, {stack.scenario.duration_s:.0f}s loop)
  I/O      Modbus TCP 127.0.0.1:{p.modbus} (relay-8x8 module; loops follow the video)
  board    serial pty {stack.folder / 'board-a'}
  broker   {broker}
  lane     gated --config {stack.config}   (log: {stack.folder / 'gated.log'})
  try      .venv/bin/gatectl --config config/demo.toml status      Ctrl-C stops everything
""", flush=True)


def run(scenario: str, ports: Ports) -> int:
    started = time.monotonic()
    stack = Stack(FOLDER, SCENARIOS[scenario], ports)
    for sig in (signal.SIGINT, signal.SIGTERM):  # also when started with SIGINT ignored
        signal.signal(sig, _raise_stop)
    try:
        print("preparing the demo video (the first run renders it: 1-2 minutes; then cached"
              " in var/demo/) ...", flush=True)
        stack.prepare()
        stack.start_peers(start_in=START_IN_S)
        stack.start_gated()
        _banner(stack, started)
        console = Console(stack.gated.socket, stack.io_log, stack.board_log, stack.gated.log,
                          out=lambda line: print(line, flush=True))
        while stack.gated.proc.poll() is None:
            console.poll()
            time.sleep(0.2)
        print(f"gated exited ({stack.gated.proc.returncode}); see {stack.gated.log}")
        return 1
    except (KeyboardInterrupt, Stop):
        print("\nstopping the demo lane ...", flush=True)
        return 0
    except (RuntimeError, OSError, AssertionError) as exc:
        print(f"demo: cannot run: {exc}", file=sys.stderr)
        return 1
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not skip cleanup
            signal.signal(sig, signal.SIG_IGN)
        stack.stop()
        print("demo stopped: no process left behind.", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", choices=sorted(SCENARIOS), default="demo")
    ap.add_argument("--rtsp-port", type=int, default=Ports.rtsp)
    ap.add_argument("--modbus-port", type=int, default=Ports.modbus)
    ap.add_argument("--mqtt-port", type=int, default=Ports.mqtt)
    args = ap.parse_args(argv)
    return run(args.scenario, Ports(args.rtsp_port, args.modbus_port, args.mqtt_port))


if __name__ == "__main__":
    sys.exit(main())
