"""The keys topic payload and the keyring: bad input is reported, never raised."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gated.qr import KeyConfigError, Keyring, parse_keys_payload
from gated.qr import mint as m

from .conftest import NOW


def _entry(key: Any, name: str, **kw: Any) -> dict[str, Any]:
    entry = m.keys_entry(
        key, name, nbf="2026-01-01T00:00:00.000+07:00", exp="2027-01-01T00:00:00.000+07:00"
    )
    entry.update(kw)
    return entry


def _payload(*entries: Any) -> bytes:
    return json.dumps({"keys": list(entries)}).encode()


def test_good_payload_gives_every_key_with_its_window(key: Any, other_key: Any) -> None:
    up = parse_keys_payload(_payload(_entry(key, "a"), _entry(other_key, "b", exp=NOW + 5)))
    assert up.ok and not up.rejected
    assert [k.kid for k in up.keys] == ["a", "b"]
    assert up.keys[0].nbf == 1767200400.0 and up.keys[1].exp == NOW + 5
    ring = Keyring().with_topic(up)
    assert ring.kids == ("a", "b") and ring.get("b") is not None


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", None),
        (b"not json", "malformed"),
        (b"\xff\xfe\x00", "malformed"),
        (b"[]", "malformed"),
        (b'{"keys": {}}', "malformed"),
        (b'{"keys": [], "keys": []}', "malformed"),
        (b" " * (64 * 1024 + 1), "oversize"),
        (json.dumps({"keys": [{}] * 65}).encode(), "oversize"),
        (b"[" * 100_000, "oversize"),
    ],
)
def test_bad_payloads_are_rejected_whole(payload: bytes, reason: str | None) -> None:
    up = parse_keys_payload(payload)
    assert up.reason == reason
    assert up.ok is (reason is None) and up.keys == ()


def test_deeply_nested_payload_is_rejected_not_crashed() -> None:
    up = parse_keys_payload(b'{"keys":' + b"[" * 20_000 + b"]" * 20_000 + b"}")
    assert (up.ok, up.reason) == (False, "malformed")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"alg": "ES256"}, "bad_algorithm"),
        ({"alg": None}, "bad_algorithm"),
        ({"crv": "Ed448"}, "bad_algorithm"),
        ({"kid": ""}, "malformed"),
        ({"kid": None}, "malformed"),
        ({"x": "AAAA"}, "malformed"),
        ({"x": "!!!!"}, "malformed"),
        ({"x": 5}, "malformed"),
        ({"nbf": "2026-01-01T00:00:00"}, "malformed"),  # no offset
        ({"exp": "soon"}, "malformed"),
        ({"exp": True}, "malformed"),
        ({"exp": 1e300}, "malformed"),
    ],
)
def test_bad_entries_are_listed_and_good_ones_kept(
    key: Any, other_key: Any, change: dict[str, Any], reason: str
) -> None:
    up = parse_keys_payload(_payload(_entry(key, "good"), _entry(other_key, "bad", **change)))
    assert up.ok and [k.kid for k in up.keys] == ["good"]
    assert [(r.index, r.reason) for r in up.rejected] == [(1, reason)]


def test_window_members_are_required_in_the_topic_but_may_be_null(key: Any) -> None:
    entry = _entry(key, "a")
    del entry["exp"]
    assert parse_keys_payload(_payload(entry)).rejected[0].reason == "malformed"
    up = parse_keys_payload(_payload(_entry(key, "a", nbf=None, exp=NOW)))
    assert (up.keys[0].nbf, up.keys[0].exp) == (None, NOW)


def test_duplicate_kid_rejects_every_copy(key: Any, other_key: Any) -> None:
    up = parse_keys_payload(_payload(_entry(key, "a"), _entry(other_key, "a")))
    assert up.ok and up.keys == () and {r.detail for r in up.rejected} == {"duplicate kid"}


def test_bad_update_keeps_the_previous_keys_and_good_update_replaces_them(
    key: Any, other_key: Any
) -> None:
    ring = Keyring().with_topic(parse_keys_payload(_payload(_entry(key, "a"))))
    assert ring.with_topic(parse_keys_payload(b"{oops")).kids == ("a",)
    assert ring.with_topic(parse_keys_payload(_payload(_entry(other_key, "b")))).kids == ("b",)
    assert ring.with_topic(parse_keys_payload(b"")).kids == ()


def test_config_keys_win_over_topic_keys_with_the_same_kid(key: Any, other_key: Any) -> None:
    ring = Keyring.from_config([m.keys_entry(key, "a")])
    up = parse_keys_payload(_payload(_entry(other_key, "a"), _entry(other_key, "b")))
    merged = ring.with_topic(up)
    assert merged.get("a") == ring.get("a") and merged.kids == ("a", "b")
    assert ring.shadowed(up) == ("a",)


@pytest.mark.parametrize("entries", [[{"kid": "a", "alg": "HS256", "x": "AA"}], [{}], ["x"]])
def test_bad_config_keys_fail_loudly_with_a_clear_message(entries: Any) -> None:
    with pytest.raises(KeyConfigError, match="trusted key #1"):
        Keyring.from_config(entries)


def test_duplicate_config_kid_fails(key: Any) -> None:
    with pytest.raises(KeyConfigError, match="twice"):
        Keyring.from_config([m.keys_entry(key, "a"), m.keys_entry(key, "a")])


def test_config_key_without_window_is_unbounded(key: Any) -> None:
    ring = Keyring.from_config([m.keys_entry(key)])
    (kid,) = ring.kids
    assert kid == m.thumbprint(m.public_x(key))
    assert ring.get(kid).window_problem(1e11, 0) is None  # type: ignore[union-attr]


def test_config_keys_parsed_from_toml_keep_their_window(key: Any) -> None:
    import tomllib

    x = m.keys_entry(key)["x"]
    doc = tomllib.loads(
        f'[[k]]\nkid = "a"\nalg = "EdDSA"\nx = "{x}"\nexp = 2027-01-01T00:00:00+07:00\n'
        f'[[k]]\nkid = "b"\nalg = "EdDSA"\nx = "{x}"\nexp = 2027-01-01T00:00:00\n'
    )
    ring = Keyring.from_config(doc["k"][:1])
    assert ring.get("a").exp == 1798736400.0  # type: ignore[union-attr]
    with pytest.raises(KeyConfigError, match="offset"):
        Keyring.from_config(doc["k"][1:])
