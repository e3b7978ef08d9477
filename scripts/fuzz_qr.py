#!/usr/bin/env python3
"""Fuzz the QR pass parser and verifier with hypothesis (non-CI; CI runs a small share).

    python scripts/fuzz_qr.py --examples 100000

Every generated input must get a verdict: no exception escapes ``verify_unguarded`` (the
verifier without its last-resort guard), a rejection carries one known reason and a
printable detail, and nothing but an untouched token signed by the trusted key is ever
accepted. The keys-topic parser must never raise. Inputs: arbitrary text and bytes
(non-UTF-8 too), oversize payloads, bad base64, truncated and mutated tokens, header
tricks, and correctly signed tokens with hostile claims.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gated.core.passes import PassBook
from gated.qr import VERIFY_REASONS, parse_keys_payload
from gated.qr import mint as m
from gated.qr.keyring import Keyring
from gated.qr.verify import make_context, verify_unguarded

NOW = 1_795_000_000.0
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
RING = Keyring.of(m.trusted(KEY, "k1"))
CTX = make_context(
    keyring=RING,
    passes=PassBook(),
    site="huu-nghi",
    lane="in-01",
    direction="in",
    now=NOW,
    skew_s=2.0,
)
GOOD_CLAIMS = m.pass_claims(
    pid="P-1", plate="29C12345", site="huu-nghi", iat=NOW, nbf=NOW - 10, exp=NOW + 10
)
GOOD = m.mint(KEY, GOOD_CLAIMS, kid="k1")


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _containers(kids: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    _containers,
    max_leaves=12,
)
ALGS = ["EdDSA", "none", "None", "HS256", "RS256", "ES256", "eddsa", "Ed25519", "", None, 0]
headers = st.fixed_dictionaries(
    {},
    optional={
        "alg": st.sampled_from(ALGS) | json_values,
        "kid": st.sampled_from(["k1", "", "k2"]) | json_values,
        "typ": st.sampled_from(["gate-pass+jwt", "JWT"]) | json_values,
        "crit": json_values,
        "jwk": json_values,
        "b64": st.booleans(),
    },
)
claims = st.fixed_dictionaries(
    {},
    optional={k: st.just(v) | json_values for k, v in GOOD_CLAIMS.items()}
    | {
        "trl": json_values,
        "dir": st.sampled_from(["in", "out", "any", "up"]) | json_values,
        "lanes": st.lists(st.text(max_size=6), max_size=3) | json_values,
    },
)


@st.composite
def structured_tokens(draw: Any) -> str:
    """GP1: + three base64url parts built from tricky headers, payloads and signatures."""
    header = draw(headers | st.builds(json.dumps, json_values))
    head = json.dumps(header) if isinstance(header, dict) else header
    payload = draw(st.builds(json.dumps, claims) | st.text(max_size=60))
    sig = draw(st.binary(min_size=0, max_size=80))
    return f"GP1:{b64(head.encode())}.{b64(payload.encode('utf-8', 'surrogatepass'))}.{b64(sig)}"


EDGE_VALUES = (
    st.sampled_from(
        [
            NOW,
            NOW - 1e6,
            NOW + 1e6,
            "mong-cai",
            "out",
            ["in-02"],
            [],
            -1,
            2**63,
            1e308,
            "",
            "29C 123.45",
            "\u202e",
        ]
    )
    | json_values
)


@st.composite
def signed_hostile_claims(draw: Any) -> str:
    """Correctly signed by the trusted key, so the claim checks are what is exercised:
    either arbitrary claims, or the good claims with a few members changed or dropped."""
    if draw(st.booleans()):
        return m.mint(KEY, draw(claims), kid="k1")
    body = dict(GOOD_CLAIMS)
    for key in draw(st.lists(st.sampled_from([*GOOD_CLAIMS, "trl", "dir", "lanes"]), max_size=3)):
        if draw(st.booleans()):
            body.pop(key, None)
        else:
            body[key] = draw(EDGE_VALUES)
    return m.mint(KEY, body, kid="k1")


@st.composite
def mutated_tokens(draw: Any) -> str:
    token = GOOD
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["cut", "flip", "insert", "delete", "dup"]))
        i = draw(st.integers(0, len(token)))
        if op == "cut":
            token = token[:i]
        elif op == "flip" and i < len(token):
            token = token[:i] + draw(st.characters()) + token[i + 1 :]
        elif op == "insert":
            token = token[:i] + draw(st.text(max_size=4)) + token[i:]
        elif op == "delete":
            token = token[:i] + token[i + 1 :]
        else:
            token = token[:i] + token[i:] * 2
    return token


TEXTS: dict[str, st.SearchStrategy[Any]] = {
    "text": st.text(max_size=300),
    "bytes": st.binary(max_size=300),
    "prefixed": st.builds(
        lambda p, t: p + t, st.sampled_from(["GP1:", "GPR:", " GP1:"]), st.text(max_size=300)
    ),
    "oversize": st.builds(
        lambda p, n, c: p + c * n,
        st.sampled_from(["GP1:", "GPR:", ""]),
        st.integers(1900, 20_000),
        st.sampled_from(["A", ".", "é", "\x00"]),
    ),
    "structured": structured_tokens(),
    "signed_claims": signed_hostile_claims(),
    "mutated": mutated_tokens(),
}
KEYS_PAYLOADS: st.SearchStrategy[Any] = (
    st.binary(max_size=300)
    | st.builds(lambda v: json.dumps(v).encode(), json_values)
    | st.builds(
        lambda ks: json.dumps({"keys": ks}).encode(),
        st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "kid": json_values,
                    "alg": st.sampled_from(["EdDSA", "HS256"]) | json_values,
                    "x": st.just(b64(m.public_x(KEY))) | json_values,
                    "nbf": st.just("2026-01-01T00:00:00+07:00") | json_values,
                    "exp": json_values,
                },
            ),
            max_size=5,
        ),
    )
)


@dataclass
class Tally:
    counts: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)


def check_text(text: Any, tally: Tally, target: str) -> None:
    verdict = verify_unguarded(text, CTX)
    tally.counts[target] = tally.counts.get(target, 0) + 1
    tally.reasons[str(verdict.reason)] = tally.reasons.get(str(verdict.reason), 0) + 1
    if verdict.ok:
        stripped = text.strip(" \t\r\n") if isinstance(text, str) else text
        signed_by_us = target == "signed_claims" and verdict.claims.get("site") == "huu-nghi"
        assert signed_by_us or stripped in (GOOD, GOOD.encode()), f"accepted {text!r}"
        assert verdict.reason is None
    else:
        assert verdict.reason in VERIFY_REASONS, verdict.reason
        assert verdict.detail.replace("…", "").isprintable()


def check_keys(payload: bytes, tally: Tally) -> None:
    update = parse_keys_payload(payload)
    tally.counts["keys"] = tally.counts.get("keys", 0) + 1
    assert update.ok or update.reason in {"malformed", "oversize", "bad_algorithm"}
    Keyring().with_topic(update)


def run_target(target: str, examples: int, tally: Tally) -> None:
    opts = settings(
        max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    if target == "keys":
        opts(given(KEYS_PAYLOADS)(lambda p: check_keys(p, tally)))()
    else:
        opts(given(TEXTS[target])(lambda t: check_text(t, tally, target)))()


TARGETS = [*TEXTS, "keys"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=100_000, help="total, split over targets")
    ap.add_argument("--targets", default=",".join(TARGETS))
    args = ap.parse_args(argv)
    targets = [t for t in args.targets.split(",") if t]
    tally = Tally()
    start = time.monotonic()
    for target in targets:
        t0 = time.monotonic()
        run_target(target, max(1, args.examples // len(targets)), tally)
        print(
            f"{target:14} {tally.counts.get(target, 0):7d} inputs  {time.monotonic() - t0:6.1f} s",
            flush=True,
        )
    total = sum(tally.counts.values())
    print(f"total {total} inputs in {time.monotonic() - start:.0f} s, no exception escaped")
    print("verdicts: " + ", ".join(f"{k}={v}" for k, v in sorted(tally.reasons.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
