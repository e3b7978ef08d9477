"""Examples for every ``gatectl`` command's ``--help``.

Commands registered by other packages (qr, pass, anpr) keep their own parsers; where one
has no example in its help, :func:`add_missing_examples` gives it one from
:data:`EXAMPLES` -- without touching its options or logic.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

EXAMPLES: dict[str, list[str]] = {
    "passes": ["gatectl passes lookup 29C-123.45"],
    "config": ["gatectl config check /etc/gated/lane.toml"],
    "io show": ["gatectl io show", "gatectl io show --json"],
    "qr": ["gatectl qr photo-of-pass.jpg", "gatectl qr --backend zbar pass1.png pass2.png"],
    "pass": ['gatectl pass verify "GP1:eyJ..." --config /etc/gated/lane.toml --plate 29C-123.45',
             "gatectl pass keygen --out lane-key.pem"],
    "pass verify": [
        'gatectl pass verify "GP1:eyJ..." --config /etc/gated/lane.toml --plate 29C-123.45',
        ("gatectl pass verify - --site huu-nghi --lane in-01 --direction in --keys keys.json "
         "< scanned.txt")],
    "pass mint": [("gatectl pass mint --key lane-key.pem --plate 29C-123.45 --site huu-nghi "
                   "--valid-for 86400 --png pass.png")],
    "pass keygen": ["gatectl pass keygen --out lane-key.pem --kid huu-nghi-2026"],
    "anpr": ["gatectl anpr photo.jpg", "gatectl anpr --camera front --config /etc/gated/lane.toml"],
}


def walk(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[
        tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every (command path, parser) under ``parser``, itself first."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from walk(sub, (*path, name))


def has_example(parser: argparse.ArgumentParser) -> bool:
    return "example" in parser.format_help().lower()


def add_missing_examples(parser: argparse.ArgumentParser) -> None:
    for path, sub in walk(parser):
        examples = EXAMPLES.get(" ".join(path))
        if examples and not has_example(sub):
            sub.epilog = "examples:\n" + "\n".join(f"  {e}" for e in examples)
            sub.formatter_class = argparse.RawDescriptionHelpFormatter
