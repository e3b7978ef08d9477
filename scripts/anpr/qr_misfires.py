"""Count the detector's misfires on QR passes in the demo lane's frames.

    python -m scripts.anpr.qr_misfires [--models DIR] [--keys 16] [--no-guard]

The e2e scenario's three QR trucks (a signed pass, a forged one, another truck's pass) are
rendered for ``--keys`` deterministic signing keys (so as many different passes), and every
second frame of those trucks is read. Any read that is not one of their plates is a misfire
(a patch of the pass read as a plate: docs/anpr.md, "QR passes are not plates"). With
``--no-guard`` the reader's QR guard is off, which measures the detector itself.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gated.anpr.models import models_dir
from gated.anpr.reader import AnprReader, ReaderConfig
from gated.core.plates import normalise
from scripts.demo_world import passes, render
from scripts.demo_world.scenario import E2E, FPS

#: E2E vehicle index -> its plate, for every vehicle that shows a pass at the cab window.
QR_TRUCKS = {i: normalise("".join(v.lines)) for i, v in enumerate(E2E.vehicles) if v.qr != "none"}


def misfires(reader: AnprReader, key: Ed25519PrivateKey) -> list[tuple[int, str, float]]:
    """(frame, text, confidence) of every read of a QR truck's frame that is not its plate."""
    out = []
    for i, frame in enumerate(render.frames(E2E, passes.qr_texts(E2E, key))):
        at = E2E.vehicle_at(i / FPS)
        if i % 2 or not at or at[0] not in QR_TRUCKS:
            continue
        out += [(i, r.text, r.confidence) for r in reader.read(frame) if r.text not in QR_TRUCKS.values()]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=Path, default=None, help="models folder (default: the shipped)")
    ap.add_argument("--keys", type=int, default=16)
    ap.add_argument("--no-guard", action="store_true", help="switch the reader's QR guard off")
    args = ap.parse_args()
    reader = AnprReader(args.models or models_dir(), ReaderConfig(qr_guard=not args.no_guard))
    total, keys = 0, 0
    for k in range(args.keys):
        found = misfires(reader, Ed25519PrivateKey.from_private_bytes(bytes([k + 1]) * 32))
        for frame, text, conf in found:
            print(f"key {k} frame {frame}: {text} ({conf:.3f})", flush=True)
        total, keys = total + len(found), keys + bool(found)
    print(f"misfires {total} in {keys} of {args.keys} passes (guard {'off' if args.no_guard else 'on'})")


if __name__ == "__main__":
    main()
