"""``gatectl qr`` and ``gatectl pass``: decode images, explain, mint and key passes.

The foundation's ``gatectl`` calls :func:`add_subparser` with its subparsers; each
command sets ``func``/``fn(args) -> int`` and ``offline=True`` (exit code: 0 ok,
1 rejected/undecodable, 2 usage).
``python -m gated.qr.cli`` runs the same commands standalone.

Errors are one plain line on stderr, never a traceback: QR text is untrusted and every
piece of it printed is JSON-escaped or passed through :func:`gated.qr.safe_text.safe`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from gated.qr import bind, parse_keys_payload, verify
from gated.qr.keyring import KeyConfigError, Keyring
from gated.qr.safe_text import safe


class CliError(Exception):
    """A usage or input problem; the message is shown as is."""


Handler = Callable[[argparse.Namespace], int]


def _guard(fn: Handler) -> Handler:
    def run(args: argparse.Namespace) -> int:
        try:
            return fn(args)
        except CliError as exc:
            print(f"gatectl: error: {exc}", file=sys.stderr)
            return 2

    return run


def _handles(parser: argparse.ArgumentParser, fn: Handler) -> None:
    """Set the handler under both conventions: ``func`` and gatectl's ``fn`` + ``offline``
    (these commands never talk to the daemon)."""
    guarded = _guard(fn)
    parser.set_defaults(func=guarded, fn=guarded, offline=True)


def _when(value: str | None, default: float | None = None) -> float:
    """Epoch seconds from ``None`` (default/now), a number, or RFC 3339 with an offset."""
    if value is None:
        return time.time() if default is None else default
    try:
        return float(value)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CliError(f"bad time {safe(value, 40)!r}: use epoch seconds or RFC 3339") from None
    if parsed.tzinfo is None:
        raise CliError(f"time {safe(value, 40)!r} needs an offset, e.g. +07:00")
    return parsed.timestamp()


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_bytes())
    except OSError as exc:
        raise CliError(f"cannot read {what} {path}: {exc.strerror}") from None
    except ValueError:
        raise CliError(f"{what} {path} is not JSON") from None


# -- gatectl qr ----------------------------------------------------------------------


def cmd_qr(args: argparse.Namespace) -> int:
    import cv2

    from gated.qr.decode import DecoderUnavailable, make_decoder

    try:
        decoder = make_decoder(args.backend)
    except (DecoderUnavailable, ValueError) as exc:
        raise CliError(str(exc)) from None
    status = 0
    for name in args.files:
        line: dict[str, Any] = {"file": name, "codes": []}
        image = cv2.imread(name, cv2.IMREAD_COLOR) if os.path.isfile(name) else None
        if image is None:
            line["error"] = "cannot read image"
            status = 1
        else:
            line["codes"] = [c.as_json() for c in decoder.decode(image)]
        print(json.dumps(line), flush=True)
    return status


# -- gatectl pass verify -------------------------------------------------------------


def _keyring(path: Path | None) -> Keyring:
    """Keys from a ``keys`` topic payload ``{"keys": [...]}`` or a bare list of entries."""
    if path is None:
        return Keyring()
    data = _read_json(path, "keys file")
    if isinstance(data, list):
        try:
            return Keyring.from_config(data)
        except KeyConfigError as exc:
            raise CliError(str(exc)) from None
    update = parse_keys_payload(json.dumps(data).encode())
    if not update.ok:
        raise CliError(f"keys file {path}: {update.reason}: {update.detail}")
    for r in update.rejected:
        print(
            f"gatectl: warning: key #{r.index + 1} ({r.kid}) ignored: {r.reason}: {r.detail}",
            file=sys.stderr,
        )
    return Keyring().with_topic(update)


def _passbook(path: Path | None) -> Any:
    from pydantic import ValidationError

    from gated.core.passes import Pass, PassBook

    if path is None:
        return PassBook()
    data = _read_json(path, "passes file")
    items = data.get("passes") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise CliError(f'passes file {path}: expected a list of passes or {{"passes": [...]}}')
    try:
        return PassBook.build([Pass.model_validate(p) for p in items])
    except ValidationError as exc:
        raise CliError(f"passes file {path}: {exc.error_count()} invalid field(s)") from None


def _token(text: str) -> str:
    return sys.stdin.read(8192) if text == "-" else text


def _lane(args: argparse.Namespace) -> tuple[str, str, str]:
    """Site, lane and direction: from the options, else from ``--config``'s [lane]."""
    site, lane, direction = args.site, args.lane, args.direction
    if getattr(args, "config", None) and None in (site, lane, direction):
        from gated.config import ConfigError, load_config

        try:
            section = load_config(args.config).config.lane
        except ConfigError as exc:
            raise CliError(f"config {args.config}: {exc.problems[0]}") from None
        site, lane, direction = (
            site or section.site,
            lane or section.id,
            direction or section.direction,
        )
    if None in (site, lane, direction):
        raise CliError("give --site, --lane and --direction, or --config LANE.toml")
    return site, lane, direction


def cmd_verify(args: argparse.Namespace) -> int:
    used = set(args.used or ())
    site, lane, direction = _lane(args)
    verdict = verify(
        _token(args.text),
        keyring=_keyring(args.keys),
        passes=_passbook(args.passes),
        site=site,
        lane=lane,
        direction=direction,
        now=_when(args.now),
        skew_s=args.skew,
        used=used.__contains__,
    )
    if args.plate is not None:
        verdict = bind(verdict, args.plate, trailer_read=args.trailer)
    summary = verdict.summary()
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print(f"{'ACCEPTED' if verdict.ok else 'REJECTED'}: {summary['reason'] or 'valid'}")
        rows = [("why", summary["explanation"]), ("detail", summary["detail"])]
        rows += [(k, summary[k]) for k in ("source", "pass_id", "plate", "trailer_plate", "kid")]
        if summary["claims"]:
            rows.append(("claims", json.dumps(summary["claims"], ensure_ascii=False)))
        if args.plate is None and verdict.ok:
            rows.append(("note", "not bound to a plate (give --plate to check the binding)"))
        for label, value in rows:
            print(f"  {label + ':':<15}{value}")
    return 0 if verdict.ok else 1


# -- gatectl pass mint / keygen ------------------------------------------------------


def _private(path: Path) -> Any:
    from gated.qr.mint import load_private

    try:
        return load_private(path.read_bytes())
    except OSError as exc:
        raise CliError(f"cannot read key {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise CliError(f"key {path}: {exc}") from None


def cmd_mint(args: argparse.Namespace) -> int:
    from gated.qr import mint as m

    private = _private(args.key)
    nbf = _when(args.valid_from)
    exp = _when(args.valid_to) if args.valid_to else nbf + args.valid_for
    if exp <= nbf:
        raise CliError("the pass would end before it starts")
    claims = m.pass_claims(
        pid=args.pid or f"P-{uuid.uuid4().hex[:12]}",
        plate=args.plate,
        site=args.site,
        iat=time.time(),
        nbf=nbf,
        exp=exp,
        trl=args.trailer,
        dir=args.dir,
        lanes=args.lanes.split(",") if args.lanes else None,
    )
    token = m.mint(private, claims, kid=args.kid)
    if args.png:
        _write_png(token, args.png)
    print(token)
    return 0


def _write_png(text: str, path: Path) -> None:
    import cv2

    from gated.qr.encode import bitmap

    if not cv2.imwrite(str(path), bitmap(text, 8)):
        raise CliError(f"cannot write {path}")


def cmd_keygen(args: argparse.Namespace) -> int:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from gated.qr import mint as m

    private = Ed25519PrivateKey.generate()
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if args.force else os.O_EXCL)
    try:
        fd = os.open(args.out, flags, 0o600)
    except FileExistsError:
        raise CliError(f"{args.out} exists; use --force to replace it") from None
    except OSError as exc:
        raise CliError(f"cannot create {args.out}: {exc.strerror}") from None
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(fh.fileno(), 0o600)
        fh.write(m.private_pem(private))
    entry = m.keys_entry(private, args.kid, args.nbf, args.exp)
    print(json.dumps(entry))
    print(
        f"private key written to {args.out} (mode 0600); publish the line above in the "
        "keys topic or the lane config",
        file=sys.stderr,
    )
    return 0


# -- argument parsing ----------------------------------------------------------------


def _add_verify(sub: Any) -> None:
    p = sub.add_parser("verify", help="explain the verdict on one QR text (offline)")
    p.add_argument("text", help="the scanned text, or - to read it from stdin")
    p.add_argument("--keys", type=Path, help="keys topic payload or list of key entries (JSON)")
    p.add_argument("--passes", type=Path, help='synced passes (JSON list or {"passes": [...]})')
    p.add_argument("--config", help="lane config (TOML): site, lane and direction from [lane]")
    p.add_argument("--site", help="this site (default: from --config)")
    p.add_argument("--lane", help="this lane (default: from --config)")
    p.add_argument("--direction", choices=("in", "out"), help="(default: from --config)")
    p.add_argument("--now", help="epoch seconds or RFC 3339 (default: the clock)")
    p.add_argument("--skew", type=float, default=2.0, help="clock skew tolerance, s")
    p.add_argument("--plate", help="the plate ANPR read: also check the binding")
    p.add_argument("--trailer", help="the trailer plate read, if any")
    p.add_argument("--used", action="append", metavar="PASS_ID", help="a pass already used")
    p.add_argument("--json", action="store_true", help="one JSON object instead of text")
    _handles(p, cmd_verify)


def _add_mint(sub: Any) -> None:
    p = sub.add_parser("mint", help="make a signed GP1: pass (commissioning, tests)")
    p.add_argument("--key", type=Path, required=True, help="Ed25519 private key (PEM)")
    p.add_argument("--kid", help="key id (default: the key's RFC 7638 thumbprint)")
    p.add_argument("--plate", required=True)
    p.add_argument("--site", required=True)
    p.add_argument("--pid", help="pass id (default: a random one)")
    p.add_argument("--trailer")
    p.add_argument("--dir", choices=("in", "out", "any"))
    p.add_argument("--lanes", help="comma-separated lanes (default: every lane)")
    p.add_argument("--valid-from", help="epoch seconds or RFC 3339 (default: now)")
    p.add_argument("--valid-to", help="epoch seconds or RFC 3339")
    p.add_argument("--valid-for", type=float, default=86400.0, help="seconds (default 1 day)")
    p.add_argument("--png", type=Path, help="also write the QR code image here")
    _handles(p, cmd_mint)


def _add_keygen(sub: Any) -> None:
    p = sub.add_parser("keygen", help="new Ed25519 pass-signing key; prints its keys entry")
    p.add_argument("--out", type=Path, required=True, help="private key file (PEM, mode 0600)")
    p.add_argument("--kid", help="key id (default: RFC 7638 thumbprint)")
    p.add_argument("--nbf", help="RFC 3339 start of the key's validity")
    p.add_argument("--exp", help="RFC 3339 end of the key's validity")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    _handles(p, cmd_keygen)


def add_subparser(subparsers: Any) -> None:
    """Register ``qr`` and ``pass`` (verify, mint, keygen) on gatectl's subparsers."""
    qr = subparsers.add_parser("qr", help="decode QR codes in image files (one JSON line each)")
    qr.add_argument("files", nargs="+", metavar="FILE")
    qr.add_argument("--backend", default="auto", help="auto, zxing, zbar or zxing+zbar")
    _handles(qr, cmd_qr)
    passes = subparsers.add_parser("pass", help="QR passes: verify, mint, keygen")
    sub = passes.add_subparsers(dest="pass_command", required=True)
    _add_verify(sub)
    _add_mint(sub)
    _add_keygen(sub)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gatectl")
    add_subparser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
