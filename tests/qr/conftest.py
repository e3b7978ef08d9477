"""Shared fixtures for the QR pass tests: keys, passes and a verify() with lane defaults."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gated.core.passes import Pass, PassBook
from gated.qr import Keyring, QrVerdict, verify
from gated.qr import mint as m

NOW = 1_795_000_000.0  # 2026-11-18, fixed: no test reads the clock
SITE, LANE, DIRECTION = "huu-nghi", "in-01", "in"
PLATE = "29C12345"


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


@pytest.fixture(scope="session")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


@pytest.fixture(scope="session")
def other_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


@pytest.fixture(scope="session")
def keyring(key: Ed25519PrivateKey) -> Keyring:
    return Keyring.of(m.trusted(key, "k1"))


def claims(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "pid": "P-2026-000123",
        "plate": "29C-123.45",
        "site": SITE,
        "iat": NOW - 60,
        "nbf": NOW - 60,
        "exp": NOW + 3600,
    }
    base.update(overrides)
    return m.pass_claims(**base)


def a_pass(**overrides: Any) -> Pass:
    data: dict[str, Any] = {
        "id": "P-2026-000777",
        "plate": "29C-678.90",
        "direction": "in",
        "valid_from": iso(NOW - 3600),
        "valid_to": iso(NOW + 3600),
    }
    data.update(overrides)
    return Pass.model_validate(data)


@pytest.fixture
def book() -> PassBook:
    return PassBook.build([a_pass()])


@pytest.fixture
def check(keyring: Keyring, book: PassBook) -> Callable[..., QrVerdict]:
    """verify() with this lane's defaults; any keyword can be overridden."""

    def run(text: str, **kw: Any) -> QrVerdict:
        args: dict[str, Any] = {
            "keyring": keyring,
            "passes": book,
            "site": SITE,
            "lane": LANE,
            "direction": DIRECTION,
            "now": NOW,
            "skew_s": 2.0,
            "used": None,
        }
        args.update(kw)
        return verify(text, **args)

    return run


@pytest.fixture
def signed(key: Ed25519PrivateKey) -> Callable[..., str]:
    """A GP1: token signed by the trusted key ``k1`` with claims overridden by keywords."""

    def make(**overrides: Any) -> str:
        return m.mint(key, claims(**overrides), kid="k1")

    return make
