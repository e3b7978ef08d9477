"""``gatectl``: the lane technician's command line.

Talks to the running daemon over its control socket; ``config check`` works offline.
Exit status: 0 ok, 1 daemon unreachable or request refused, 2 usage or config problems.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path

import structlog

from gated.config import ConfigError, load_config
from gated.control import render
from gated.control.client import Client, NotRunning, Refused, default_socket
from gated.anpr.cli import add_subparser as add_anpr_command
from gated.control.examples import add_missing_examples
from gated.devices.cli import add_subparser as add_io_commands
from gated.field import export
from gated.field.logs import add_subparser as add_logs_command
from gated.field.snapshot import add_subparser as add_snapshot_command
from gated.qr.cli import add_subparser as add_qr_commands
from gated.selftest.cli import add_subparser as add_selftest_command

EXAMPLES = """examples:
  gatectl status
  gatectl events --limit 50
  gatectl events --follow
  gatectl open --operator nguyen.van.a --reason "paper pass checked"
  gatectl mode manual --operator nguyen.van.a --reason "camera cleaning"
  gatectl passes lookup 29C-123.45
  gatectl config check /etc/gated/lane.toml
  gatectl qr photo-of-pass.jpg
  gatectl pass verify "GP1:eyJ..." --config /etc/gated/lane.toml
  gatectl selftest
  gatectl snapshot front
  gatectl events --csv --day 2026-11-23 > day.csv
  gatectl logs --level warning
"""


def _out(args, data, human: Callable[[object], str]) -> None:
    print(json.dumps(data, ensure_ascii=False) if args.json else human(data))


def cmd_status(client: Client, args) -> int:
    _out(args, client.call("status"), render.status_text)
    return 0


def cmd_events(client: Client, args) -> int:
    if export.wanted(args):
        return export.cmd_export(client, args)
    if not args.follow:
        _out(args, client.call("events", limit=args.limit), render.event_rows)
        return 0
    try:
        for msg in client.stream("events.follow", limit=args.limit):
            event = msg.get("event", {})
            if args.json:
                print(json.dumps(event, ensure_ascii=False), flush=True)
            else:
                print(render.event_rows([event]).split("\n", 1)[1], flush=True)
    except KeyboardInterrupt:
        pass
    return 0


def cmd_open(client: Client, args) -> int:
    res = client.call("open", operator=args.operator, reason=args.reason)
    _out(args, res, lambda r: f"{r['message']} (passage {r.get('passage_id')})")
    return 0


def cmd_mode(client: Client, args) -> int:
    res = client.call("mode", mode=args.mode, operator=args.operator, reason=args.reason)
    _out(args, res, lambda r: f"mode {r['mode']} (was {r['was']})")
    return 0


def _lookup_text(r: dict) -> str:
    head = f"{r['display']}  ({r['plate']}, {r['country'] or 'unknown format'})"
    rows = render.table(r["passes"], [("id", "PASS"), ("plate", "PLATE"), ("match", "MATCH"),
                                      ("status", "STATUS"), ("direction", "DIR"),
                                      ("valid_to", "VALID TO"), ("problem", "PROBLEM")])
    w = r["would_decide"]
    return f"{head}\n{rows}\nwould decide: {w['result']} [{', '.join(w['reasons'])}]"


def cmd_passes_lookup(client: Client, args) -> int:
    _out(args, client.call("passes.lookup", plate=args.plate), _lookup_text)
    return 0


def cmd_config_check(args) -> int:
    status = 0
    for path in args.files:
        try:
            loaded = load_config(path)
        except ConfigError as exc:
            for problem in exc.problems:
                print(problem)
            status = 2
            continue
        print(f"{path}: ok (lane {loaded.config.lane.site}/{loaded.config.lane.id})")
    return status


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: an option given before the subcommand is not reset by the subparser
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="machine-readable JSON output")
    common.add_argument("--socket", default=argparse.SUPPRESS,
                        help="control socket (default $GATED_SOCKET or /run/gated/control.sock)")
    common.add_argument("--config", default=argparse.SUPPRESS,
                        help="lane config: use its [control] socket")
    p = argparse.ArgumentParser(prog="gatectl", description="Lane technician's CLI for gated.",
                                epilog=EXAMPLES, formatter_class=argparse.RawTextHelpFormatter,
                                parents=[common])
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name, help_, fn, example, **kw):
        sp = sub.add_parser(name, help=help_, parents=[common], epilog=f"example: {example}",
                            description=help_, **kw)
        sp.set_defaults(fn=fn)
        return sp

    add("status", "lane state, devices, outbox, last events", cmd_status, "gatectl status")
    ev = add("events", "recent events, new ones as they come, or a day's as CSV", cmd_events,
             "gatectl events -f\n  gatectl events --csv --day 2026-11-23 --out day.csv",
             formatter_class=argparse.RawDescriptionHelpFormatter)
    ev.add_argument("--follow", "-f", action="store_true", help="keep printing new events")
    ev.add_argument("--limit", "-n", type=int, default=20, help="how many recent events")
    export.add_arguments(ev)
    op = add("open", "open the barrier by hand (audited)", cmd_open,
             'gatectl open --operator nguyen.van.a --reason "paper pass checked"')
    md = add("mode", "set the lane mode (audited)", cmd_mode,
             'gatectl mode manual --operator nguyen.van.a --reason "camera cleaning"')
    md.add_argument("mode", choices=["auto", "manual", "closed"])
    for sp in (op, md):
        sp.add_argument("--operator", required=True, help="who does this (your login name)")
        sp.add_argument("--reason", required=True, help="why (kept in the audit log)")
    add_passes_and_config_commands(sub, common)  # gatectl passes lookup, gatectl config check
    add_io_commands(sub, parents=[common])  # gatectl io [show|pulse]
    add_qr_commands(sub)  # gatectl qr FILE..., gatectl pass verify|mint|keygen
    add_anpr_command(sub)  # gatectl anpr FILE... | --camera NAME
    add_selftest_command(sub, [common])  # gatectl selftest
    add_snapshot_command(sub, [common])  # gatectl snapshot CAMERA
    add_logs_command(sub, [common])  # gatectl logs
    add_missing_examples(p)
    return p


def add_passes_and_config_commands(sub, common: argparse.ArgumentParser) -> None:
    ps = sub.add_parser("passes", help="synced passes", parents=[common])
    ps_sub = ps.add_subparsers(dest="passes_command", required=True, metavar="SUBCOMMAND")
    lk = ps_sub.add_parser("lookup", help="passes matching a plate, and the decision now",
                           parents=[common], epilog="example: gatectl passes lookup 29C-123.45")
    lk.add_argument("plate")
    lk.set_defaults(fn=cmd_passes_lookup)
    cf = sub.add_parser("config", help="configuration files", parents=[common])
    cf_sub = cf.add_subparsers(dest="config_command", required=True, metavar="SUBCOMMAND")
    ck = cf_sub.add_parser("check", help="validate lane config files (exit 2 on problems)",
                           parents=[common],
                           epilog="example: gatectl config check /etc/gated/lane.toml")
    ck.add_argument("files", nargs="+")
    ck.set_defaults(fn=cmd_config_check, offline=True)


def _socket_path(args) -> str:
    if args.socket:
        return args.socket
    if args.config:
        try:
            return str(load_config(args.config).config.control.socket)
        except ConfigError as exc:
            raise NotRunning(exc.problems[0]) from None
    return default_socket()


def quiet_logs() -> None:
    """Driver warnings (a refused Modbus reply, a bad serial frame) go to stderr, never
    into the output a technician or a script reads; gatectl reports them itself."""
    structlog.configure(
        processors=[structlog.processors.add_log_level,
                    structlog.dev.ConsoleRenderer(colors=False)],
        wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    quiet_logs()
    for name, default in (("json", False), ("socket", None), ("config", None)):
        if not hasattr(args, name):
            setattr(args, name, default)
    if getattr(args, "offline", False):
        return args.fn(args)
    try:
        return args.fn(Client(Path(_socket_path(args))), args)
    except NotRunning as exc:
        print(f"gatectl: {exc}", file=sys.stderr)
        return 1
    except Refused as exc:
        print(f"gatectl: refused: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
