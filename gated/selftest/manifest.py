"""``models/MANIFEST.json``: what model files a release ships, with their checksums.

Format (``README.md, "Field engineer's page"`` documents it for whoever ships models)::

    {"format": "gated-models/1",
     "models": [
       {"file": "plate_det.onnx", "bytes": 812345, "sha256": "9f2c...",
        "role": "plate detector", "load": "onnx"},
       {"file": "plate_config.yaml", "bytes": 214, "sha256": "41ab...", "role": "OCR config"}
     ]}

``file`` is relative to the manifest's folder (no ``..``); ``load: "onnx"`` asks the
self-test to load it with onnxruntime and time that; other files are only checksummed.
Make or refresh it after training or exporting a model::

    python -m gated.selftest.manifest models/ --role plate_det.onnx="plate detector"
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

FORMAT = "gated-models/1"
NAME = "MANIFEST.json"
MODEL_SUFFIXES = (".onnx", ".yaml", ".yml", ".json", ".txt")


class ManifestError(ValueError):
    """The manifest is missing, not JSON, or not in the format above."""


@dataclass(frozen=True)
class Entry:
    file: str
    sha256: str
    bytes: int
    role: str = ""
    load: str | None = None


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _entry(raw: Any) -> Entry:
    if not isinstance(raw, dict):
        raise ManifestError("each model must be an object")
    file, digest, size = raw.get("file"), raw.get("sha256"), raw.get("bytes")
    if not isinstance(file, str) or not file or ".." in PurePosixPath(file).parts \
            or PurePosixPath(file).is_absolute():
        raise ManifestError(f"bad file name {file!r}: relative, no '..'")
    if not isinstance(digest, str) or len(digest) != 64:
        raise ManifestError(f"{file}: sha256 must be 64 hex characters")
    if not isinstance(size, int) or size < 0:
        raise ManifestError(f"{file}: bytes must be a whole number")
    load = raw.get("load")
    if load not in (None, "onnx"):
        raise ManifestError(f"{file}: load must be \"onnx\" or absent")
    return Entry(file, digest.lower(), size, str(raw.get("role", "")), load)


def parse(text: str) -> list[Entry]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ManifestError(f"not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ManifestError(f"not a {FORMAT} manifest")
    models = data.get("models")
    if not isinstance(models, list) or not models:
        raise ManifestError("models must be a non-empty list")
    return [_entry(m) for m in models]


def load(folder: Path) -> list[Entry]:
    try:
        return parse((folder / NAME).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ManifestError(f"cannot read {folder / NAME}: {exc.strerror}") from None


def build(folder: Path, roles: dict[str, str] | None = None) -> dict[str, Any]:
    """A manifest of every model-like file in ``folder`` (sorted, checksummed)."""
    roles = roles or {}
    entries = []
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix in MODEL_SUFFIXES and path.name != NAME:
            entry: dict[str, Any] = {"file": path.name, "bytes": path.stat().st_size,
                                     "sha256": sha256_of(path), "role": roles.get(path.name, "")}
            if path.suffix == ".onnx":
                entry["load"] = "onnx"
            entries.append(entry)
    return {"format": FORMAT, "models": entries}


def existing_roles(folder: Path) -> dict[str, str]:
    """Roles in the folder's current manifest (kept when it is rewritten); none if unreadable."""
    try:
        return {e.file: e.role for e in load(folder) if e.role}
    except ManifestError:
        return {}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m gated.selftest.manifest",
                                 description="Write MANIFEST.json for a models folder.",
                                 epilog='example: python -m gated.selftest.manifest models/ '
                                        '--role plate_det.onnx="plate detector"')
    ap.add_argument("folder", type=Path)
    ap.add_argument("--role", action="append", default=[], metavar="FILE=TEXT",
                    help="what a file is for (repeatable)")
    args = ap.parse_args(argv)
    if not args.folder.is_dir():
        print(f"manifest: {args.folder} is not a folder", file=sys.stderr)
        return 2
    roles = existing_roles(args.folder)
    roles.update(r.split("=", 1) for r in args.role if "=" in r)
    manifest = build(args.folder, roles)
    (args.folder / NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"{args.folder / NAME}: {len(manifest['models'])} file(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
