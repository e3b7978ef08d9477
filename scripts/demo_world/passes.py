"""The demo's pass-signing key and the QR texts the drivers show at the cab window.

The key is made on first use and kept beside the video (``var/demo/``); it is never in the
repository. Tokens are minted with fixed times (valid 2026-2036) so the same key gives the
same texts, and so the same cached video.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gated.core import plates
from gated.qr import mint as m

from .scenario import Scenario, Vehicle

SITE = "huu-nghi"
ISSUED = 1767225600  # 2026-01-01T00:00:00Z
EXPIRES = ISSUED + 10 * 365 * 86400
#: Pass ids in config/demo.toml: the QR truck's own pass (multi-use, so the looping video
#: is granted every time: a signed pass the store does not know is single-use), and the
#: declared truck's pass that another driver shows (qr = "other").
QR_PASS, OTHER_PASS, OTHER_PLATE = "P-2026-000125", "P-2026-000123", "29C12345"


def load_key(folder: Path) -> Ed25519PrivateKey:
    path = folder / "pass-signing.pem"
    if path.exists():
        return m.load_private(path.read_bytes())
    folder.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    path.write_bytes(m.private_pem(key))
    path.chmod(0o600)
    return key


def trusted_key_toml(key: Ed25519PrivateKey) -> str:
    """The ``[[qr.trusted_keys]]`` entry the lane needs to verify the demo's passes."""
    entry = m.keys_entry(key)
    return f'\n[[qr.trusted_keys]]\nkid = "{entry["kid"]}"\nx = "{entry["x"]}"\n'


def _signed(key: Ed25519PrivateKey, pid: str, plate: str, kid: str | None = None) -> str:
    claims = m.pass_claims(pid=pid, plate=plate, site=SITE, iat=ISSUED, nbf=ISSUED,
                           exp=EXPIRES, dir="in")
    return m.mint(key, claims, kid=kid)


def qr_text(vehicle: Vehicle, key: Ed25519PrivateKey) -> str | None:
    """What the driver of ``vehicle`` shows, or None."""
    plate = plates.normalise("".join(vehicle.lines))
    if vehicle.qr == "valid":
        return _signed(key, QR_PASS, plate)
    if vehicle.qr == "other":
        return _signed(key, OTHER_PASS, OTHER_PLATE)
    if vehicle.qr == "forged":  # same kid as the trusted key, signed by another key
        kid = m.keys_entry(key)["kid"]
        forger = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"forger").digest())
        return _signed(forger, "P-2026-000999", plate, kid=kid)
    return None


def qr_texts(scenario: Scenario, key: Ed25519PrivateKey) -> list[str | None]:
    return [qr_text(v, key) for v in scenario.vehicles]
