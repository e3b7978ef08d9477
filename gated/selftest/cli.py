"""``gatectl selftest``: through the running daemon, or with the devices opened here.

If gated answers on its control socket the test runs inside it (its live links; nothing
moves). If not, the lane config is read and the devices are opened from here; only then
``--yes`` may open and close the barrier and run the light sequence. Progress goes to
stderr line by line; the report (a table, or ``--json``) to stdout.
Exit status: 0 no check failed, 1 a check failed, 2 bad usage or config.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from gated.config import ConfigError, load_config
from gated.control.client import Client, NotRunning, Refused, default_socket
from gated.selftest.context import DEFAULT_CREDENTIALS, Options
from gated.selftest.render import progress_line, report_text
from gated.selftest.report import Report, exit_status, report_from_dict
from gated.selftest.runner import REPORT_ORDER, run_standalone

DEFAULT_CONFIG = "/etc/gated/lane.toml"
EXAMPLES = """examples:
  gatectl selftest                         # through gated if it runs, else standalone
  gatectl selftest --only camera,mqtt      # just those checks
  systemctl stop gated && gatectl selftest --config /etc/gated/lane.toml --yes
                                           # also open/close the barrier, run the lights
  gatectl selftest --scan-wait 20          # standalone: scan a pass within 20 s
  gatectl selftest --json > selftest.json  # for a ticket or central
checks: """ + ", ".join(REPORT_ORDER)


def add_subparser(sub: Any, parents: list[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = sub.add_parser("selftest", parents=parents, help="hardware self-test of the lane",
                       description=__doc__.replace("``", ""), epilog=EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--yes", action="store_true",
                   help="allowed to move hardware: barrier cycle and lights (gated stopped)")
    p.add_argument("--only", default="", metavar="CHECKS",
                   help="comma-separated checks to run (default: all)")
    p.add_argument("--scan-wait", type=float, default=0.0, metavar="S",
                   help="standalone: wait up to S seconds for a pass at the serial scanner")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="standalone: where camera snapshots go (default <store dir>/selftest)")
    p.add_argument("--credentials", type=Path, default=DEFAULT_CREDENTIALS, metavar="DIR",
                   help=f"standalone: MQTT secrets (default {DEFAULT_CREDENTIALS})")
    p.set_defaults(fn=cmd_selftest, offline=True)
    return p


class Usage(Exception):
    pass


def _options(args: argparse.Namespace) -> Options:
    only = tuple(o.strip() for o in args.only.split(",") if o.strip())
    unknown = sorted(set(only) - set(REPORT_ORDER))
    if unknown:
        raise Usage(f"unknown check(s) {', '.join(unknown)}; known: {', '.join(REPORT_ORDER)}")
    if not 0 <= args.scan_wait <= 60:
        raise Usage("--scan-wait must be 0..60 seconds")
    return Options(yes=args.yes, only=only, scan_wait_s=args.scan_wait, out_dir=args.out,
                   credentials_dir=args.credentials)


class Printer:
    """Progress lines on stderr as results arrive."""

    def __init__(self) -> None:
        self.done = 0

    def __call__(self, item: dict) -> None:
        if "result" in item:
            from gated.selftest.report import from_dict

            self.done += 1
            print(progress_line(self.done, from_dict(item["result"])), file=sys.stderr, flush=True)

    async def aprogress(self, item: dict) -> None:
        self(item)


def _socket(args: argparse.Namespace) -> tuple[str, Any]:
    """(control socket path, the loaded config or None)."""
    loaded = None
    if args.config:
        loaded = load_config(args.config)
    if args.socket:
        return args.socket, loaded
    if loaded is not None:
        return str(loaded.config.control.socket), loaded
    return default_socket(), None


def _through_daemon(client: Client, options: Options, printer: Printer) -> Report | None:
    try:
        client.call("ping")
    except NotRunning:
        return None
    if options.yes:
        print("gatectl: gated is running, so nothing will move; stop it (systemctl stop gated) "
              "to use --yes", file=sys.stderr)
    print("self-test through the running gated ...", file=sys.stderr, flush=True)
    for msg in client.stream("selftest", only=list(options.only)):
        if "report" in msg:
            return report_from_dict(msg["report"])
        printer(msg)
    raise NotRunning("gated ended the self-test without a report (see gatectl logs)")


def _standalone(args: argparse.Namespace, loaded: Any, options: Options, printer: Printer) -> Report:
    loaded = loaded or load_config(DEFAULT_CONFIG)
    cfg = loaded.config
    print(f"gated is not running: self-test of {cfg.lane.site}/{cfg.lane.id} opening the "
          f"devices from {loaded.path} ...", file=sys.stderr, flush=True)
    return asyncio.run(run_standalone(cfg, options, printer.aprogress))


def cmd_selftest(args: argparse.Namespace) -> int:
    try:
        options = _options(args)
        path, loaded = _socket(args)
        printer = Printer()
        report = _through_daemon(Client(Path(path), timeout=30), options, printer)
        if report is None:
            report = _standalone(args, loaded, options, printer)
    except Usage as exc:
        print(f"gatectl selftest: {exc}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2
    except (NotRunning, Refused) as exc:
        print(f"gatectl selftest: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("gatectl selftest: interrupted", file=sys.stderr)
        return 130
    print(json.dumps(report.to_dict(), ensure_ascii=False) if args.json else report_text(report))
    return exit_status(report)
