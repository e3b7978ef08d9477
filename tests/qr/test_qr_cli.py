"""gatectl qr / pass: keygen, mint, decode and verify, as a technician runs them."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from gated.qr.cli import main

from .conftest import NOW

LANE = ["--site", "huu-nghi", "--lane", "in-01", "--direction", "in", "--now", str(NOW)]


@pytest.fixture
def commissioned(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    key, keys = tmp_path / "lane.pem", tmp_path / "keys.json"
    assert main(["pass", "keygen", "--out", str(key), "--kid", "t1"]) == 0
    entry = json.loads(capsys.readouterr().out)
    keys.write_text(json.dumps({"keys": [{**entry, "nbf": None, "exp": None}]}))
    return key, keys


def _mint(key: Path, capsys: pytest.CaptureFixture[str], *extra: str,
          plate: str = "29C-123.45", site: str = "huu-nghi") -> str:
    args = [
        "pass",
        "mint",
        "--key",
        str(key),
        "--kid",
        "t1",
        "--plate",
        plate,
        "--site",
        site,
        "--valid-from",
        str(NOW - 60),
        *extra,
    ]
    assert main(args) == 0
    return capsys.readouterr().out.strip()


def test_keygen_writes_a_private_file_and_refuses_to_overwrite(
    commissioned: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    key, _ = commissioned
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in key.read_bytes()
    assert main(["pass", "keygen", "--out", str(key)]) == 2
    assert "exists" in capsys.readouterr().err


def test_minted_pass_decodes_from_its_png_and_verifies(
    commissioned: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key, keys = commissioned
    png = tmp_path / "pass.png"
    token = _mint(key, capsys, "--dir", "in", "--png", str(png))
    assert main(["qr", str(png)]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["file"] == str(png) and [c["text"] for c in line["codes"]] == [token]
    assert len(line["codes"][0]["box"]) == 4
    assert main(["pass", "verify", token, "--keys", str(keys), *LANE, "--plate", "29C12345"]) == 0
    assert capsys.readouterr().out.startswith("ACCEPTED")


def test_verify_explains_a_rejection_as_json(
    commissioned: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    key, keys = commissioned
    token = _mint(key, capsys)
    rc = main(
        ["pass", "verify", token, "--keys", str(keys), *LANE, "--plate", "51D99999", "--json"]
    )
    out = json.loads(capsys.readouterr().out)
    assert rc == 1 and out["reason"] == "qr_plate_mismatch" and out["plate"] == "29C12345"


def test_verify_reference_against_a_passes_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    passes = tmp_path / "passes.json"
    passes.write_text(
        json.dumps(
            {
                "passes": [
                    {
                        "id": "P-9",
                        "plate": "29C-678.90",
                        "valid_from": "2026-01-01T00:00:00+07:00",
                        "valid_to": "2027-01-01T00:00:00+07:00",
                    }
                ]
            }
        )
    )
    assert main(["pass", "verify", "GPR:P-9", "--passes", str(passes), *LANE]) == 0
    assert main(["pass", "verify", "GPR:P-9", "--passes", str(passes), *LANE, "--used", "P-9"]) == 1
    assert "REJECTED: used" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["pass", "verify", "GPR:x", "--keys", "/nonexistent.json", *LANE], "cannot read keys"),
        (["pass", "verify", "GPR:x", *LANE[:-1], "yesterday"], "bad time"),
        (["pass", "mint", "--key", "/etc/hostname", "--plate", "P", "--site", "s"], "key"),
        (["qr", "--backend", "zebra", "x.png"], "unknown QR backend"),
    ],
)
def test_bad_input_is_one_clear_line_not_a_traceback(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("gatectl: error:") and message in err and "Traceback" not in err


def test_unreadable_image_is_reported_in_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png")
    assert main(["qr", str(bad)]) == 1
    assert json.loads(capsys.readouterr().out) == {
        "file": str(bad),
        "codes": [],
        "error": "cannot read image",
    }


def test_hostile_text_is_escaped_in_the_explanation(
    commissioned: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    key, keys = commissioned
    token = _mint(key, capsys, plate="29C12345", site="evil\x1b]0;pwned\x07\u202e")
    assert main(["pass", "verify", token, "--keys", str(keys), *LANE]) == 1
    out = capsys.readouterr().out
    assert "REJECTED: wrong_site" in out and "\\x1b]0;pwned\\x07\\u202e" in out
    assert not {"\x1b", "\x07", "\u202e"} & set(out)


def test_lane_comes_from_the_config_file(capsys: pytest.CaptureFixture[str]) -> None:
    demo = Path(__file__).resolve().parents[2] / "config" / "demo-sim.toml"
    assert main(["pass", "verify", "GPR:P-404", "--config", str(demo), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["reason"] == "unknown_pass"


def test_lane_is_required_without_a_config(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pass", "verify", "GPR:P-404", "--site", "huu-nghi"]) == 2
    assert "--config" in capsys.readouterr().err


def test_registration_follows_both_dispatch_conventions() -> None:
    import argparse

    from gated.qr.cli import add_subparser

    parser = argparse.ArgumentParser()
    add_subparser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["qr", "a.png"])
    assert args.offline is True and args.fn is args.func
