"""``gated --config FILE``: the lane daemon's entry point.

Exit status: 0 after a clean stop (SIGTERM / SIGINT), 2 on a bad config (every problem
printed as ``FILE: key.path: message``, never a traceback), 1 when it cannot start.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

import structlog

from gated import __version__
from gated.config import ConfigError, load_config
from gated.daemon import logs

DEFAULT_CONFIG = "/etc/gated/lane.toml"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="gated",
        description="Lane gate controller daemon (one per lane).",
        epilog="example: gated --config /etc/gated/lane.toml",
    )
    p.add_argument("--config", "-c", default=DEFAULT_CONFIG, help="lane config (TOML)")
    p.add_argument("--version", action="version", version=f"gated {__version__}")
    return p.parse_args(argv)


async def _serve(loaded) -> int:
    from gated.daemon.app import Daemon

    daemon = Daemon(loaded)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await daemon.start()
    except (RuntimeError, OSError) as exc:
        structlog.get_logger().error("gated.cannot_start", error=str(exc))
        print(f"gated: cannot start: {exc}", file=sys.stderr)
        await daemon.shutdown()
        return 1
    await daemon.wait(stop)
    await daemon.shutdown()
    return 0 if stop.is_set() else 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        loaded = load_config(args.config)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2
    cfg = loaded.config
    logs.setup(cfg.log.level, cfg.log.format, site=cfg.lane.site, lane=cfg.lane.id)
    try:
        return asyncio.run(_serve(loaded))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
