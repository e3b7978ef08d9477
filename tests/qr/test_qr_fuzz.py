"""A small share of scripts/fuzz_qr.py in CI: no input makes the parsers raise."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "fuzz_qr.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fuzz_qr", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_qr"] = module
    spec.loader.exec_module(module)
    return module


fuzz = _load()


@pytest.mark.parametrize("target", fuzz.TARGETS)
def test_every_generated_input_gets_a_verdict(target: str) -> None:
    tally = fuzz.Tally()
    fuzz.run_target(target, 150, tally)
    key = "keys" if target == "keys" else target
    assert tally.counts[key] >= 50  # hypothesis really generated inputs


def test_the_fuzz_oracle_catches_an_accepted_forgery(monkeypatch: pytest.MonkeyPatch) -> None:
    """The property must fail if the verifier accepted something it should not."""
    from gated.qr.verdict import QrVerdict

    monkeypatch.setattr(
        fuzz,
        "verify_unguarded",
        lambda text, ctx: QrVerdict(ok=True, reason=None, source="qr-signed"),
    )
    with pytest.raises(AssertionError, match="accepted"):
        fuzz.check_text("GP1:forged", fuzz.Tally(), "mutated")
