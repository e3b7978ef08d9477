"""The MQTT check against a real mosquitto with TLS and a password file: each layer's
failure is reported at that layer, with its remedy, and the layers above are skipped."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from gated.config.schema import LaneConfig
from gated.selftest import Options, run_standalone
from tests.selftest.peers import Pki, free_port


def mqtt_report(tmp: Path, **mqtt) -> dict[str, dict]:
    creds = tmp / "creds"
    creds.mkdir(exist_ok=True)
    (creds / "mqtt-password").write_text("secret\n")
    cfg = LaneConfig.model_validate({
        "lane": {"site": "huu-nghi", "id": "in-01", "direction": "in"},
        "store": {"path": str(tmp / "db" / "gated.db")},
        "mqtt": {"enabled": True, "host": "127.0.0.1", **mqtt}})
    report = asyncio.run(run_standalone(cfg, Options(only=("mqtt",), credentials_dir=creds)))
    return {r.step: r.to_dict() for r in report.results}


def test_tls_login_and_round_trip_pass_with_certificate_expiry(tmp_path, tls_broker):
    broker, pki = tls_broker
    got = mqtt_report(tmp_path, port=broker.port, tls=True, ca_file=str(pki.ca), username="lane")
    assert {k: r["status"] for k, r in got.items()} == dict.fromkeys(
        ("dns", "tcp", "tls", "auth", "round_trip"), "pass")
    assert 88 <= got["tls"]["value"] <= 90  # the test certificate is valid for 90 days
    assert got["round_trip"]["unit"] == "ms" and got["round_trip"]["value"] > 0


@pytest.mark.parametrize("case, step, kind, remedy", [
    ("wrong_ca", "tls", "tls_verify", "not signed by [mqtt] ca_file"),
    ("wrong_password", "auth", "auth", "refused the login"),
    ("plain_to_tls_port", "auth", "no_connack", "tls = true"),
    ("nobody_there", "tcp", "refused", "is the broker up"),
])
def test_each_layer_fails_at_its_own_step(tmp_path, tls_broker, case, step, kind, remedy):
    broker, pki = tls_broker
    mqtt = {"port": broker.port, "tls": True, "ca_file": str(pki.ca), "username": "lane"}
    if case == "wrong_ca":
        mqtt["ca_file"] = str(Pki(tmp_path / "other-ca").ca)
    elif case == "wrong_password":
        mqtt["username"] = "intruder"
    elif case == "plain_to_tls_port":
        mqtt["tls"] = False
    else:
        mqtt["port"] = free_port()
    got = mqtt_report(tmp_path, **mqtt)
    failed = [r for r in got.values() if r["status"] == "fail"]
    assert [(r["step"], r["figure"]) for r in failed] == [(step, kind)]
    assert remedy in failed[0]["remedy"]
    order = list(got)
    assert all(got[s]["status"] == "skip" for s in order[order.index(step) + 1:])
