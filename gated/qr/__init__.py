"""QR passes: decode codes from frames, verify signed and reference passes, bind to plates.

The functional core is pure and import-light::

    from gated.qr import verify, bind, QrVerdict, Keyring, parse_keys_payload

Decoding camera frames (``gated.qr.decode``) needs ``pyzbar``/``libzbar0`` or
``zxing-cpp`` and is imported separately.
"""

from gated.qr.binding import bind, is_near_miss
from gated.qr.keyring import KeyConfigError, Keyring, KeysUpdate, TrustedKey, parse_keys_payload
from gated.qr.reasons import BIND_REASONS, EXPLANATIONS, VERIFY_REASONS, Reason, explain
from gated.qr.verdict import QrVerdict
from gated.qr.verify import StoreError, verify

__all__ = [
    "BIND_REASONS",
    "EXPLANATIONS",
    "VERIFY_REASONS",
    "KeyConfigError",
    "Keyring",
    "KeysUpdate",
    "QrVerdict",
    "Reason",
    "StoreError",
    "TrustedKey",
    "bind",
    "explain",
    "is_near_miss",
    "parse_keys_payload",
    "verify",
]
