"""gatectl io: request validation, refusals, the CLI, and a pulse on a real module."""

from __future__ import annotations

import argparse
import asyncio

import pytest

from gated.devices import cli
from gated.devices.interfaces import LaneInputs, LaneOutputs
from gated.devices.iocontrol import (IoView, PulseRequest, RequestError, handle_io_request,
                                     pulse_output, pulse_outputs)
from tests.io.harness import modbus_cfg, running_link

FREE = LaneInputs(presence=False, safety=False, open_limit=False, closed_limit=True)
OK_DEV = {"name": "io", "kind": "io", "ok": True, "detail": "ok", "since": 0.0, "faults": 0}


def view(mode="manual", inputs=FREE, dev=OK_DEV) -> IoView:
    return IoView(mode, inputs, LaneOutputs(), LaneOutputs(), dev)


def pulse(**kw) -> dict:
    return {"cmd": "io.pulse", "output": "barrier_open", "ms": 300, "confirm": True,
            "operator": "tuan", "reason": "wiring check", **kw}


def test_show_reports_inputs_and_outputs():
    resp, todo = handle_io_request({"cmd": "io.show"}, view())
    assert todo is None and resp["ok"] and resp["inputs"]["closed_limit"] is True
    assert resp["outputs"]["written"] == {"barrier": "hold", "light": "red"}
    text = cli.render(resp)
    assert "closed limit" in text and "barrier hold, light red" in text


def test_accepted_pulse_carries_operator_and_reason():
    resp, todo = handle_io_request(pulse(), view())
    assert resp["ok"] and todo == PulseRequest("barrier_open", 300, "tuan", "wiring check")
    assert resp["event"] == {"type": "io.pulse", "output": "barrier_open", "ms": 300,
                             "operator": "tuan", "reason": "wiring check"}


@pytest.mark.parametrize("req, v, words", [
    (pulse(), view(mode="auto"), "auto mode"),
    (pulse(), view(inputs=FREE.__class__(False, True, False, True)), "safety loop is occupied"),
    (pulse(), view(inputs=None), "not answering"),
    (pulse(), view(dev={**OK_DEV, "ok": False}), "not answering"),
    (pulse(output="green"), view(), "confirmed open"),
    (pulse(output="horn"), view(), "unknown output"),
    (pulse(ms=9000), view(), "ms must be"),
    (pulse(ms=True), view(), "ms must be"),
    (pulse(confirm=False), view(), "--yes"),
    (pulse(operator=" "), view(), "operator is required"),
    (pulse(reason=None), view(), "reason is required"),
    ({"cmd": "io.dance"}, view(), "unknown command"),
    (["io.show"], view(), "JSON object"),
])
def test_refused_requests_say_why(req, v, words):
    resp, todo = handle_io_request(req, v)
    assert todo is None and not resp["ok"] and words in resp["error"], resp
    with pytest.raises(RequestError, match=words.split()[0]):
        cli.render(resp)


def test_pulse_never_leaves_a_barrier_command_behind():
    base = LaneOutputs("close", "red")
    assert pulse_outputs("barrier_open", base) == (LaneOutputs("open", "red"), LaneOutputs("hold", "red"))
    assert pulse_outputs("red", LaneOutputs("hold", "off")) == (LaneOutputs("hold", "red"),
                                                                LaneOutputs("hold", "off"))


def parse(argv):
    parser = argparse.ArgumentParser(prog="gatectl")
    cli.add_subparser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_cli_builds_requests_and_refuses_without_yes():
    args = parse(["io"])
    assert args.io_request(args) == {"cmd": "io.show"}
    args = parse(["io", "pulse", "barrier_close", "--ms", "200", "--yes", "--reason", "test",
                  "--operator", "lan"])
    assert args.io_request(args) == {"cmd": "io.pulse", "output": "barrier_close", "ms": 200,
                                     "confirm": True, "operator": "lan", "reason": "test"}
    with pytest.raises(RequestError, match="--yes"):
        args = parse(["io", "pulse", "red", "--reason", "x"])
        args.io_request(args)
    with pytest.raises(SystemExit):
        parse(["io", "pulse", "horn", "--yes"])


def test_pulse_drives_the_real_module(tcp_lane):
    peer, port = tcp_lane
    cfg = modbus_cfg(profile="relay-8x8", transport="tcp", host="127.0.0.1", port=port)

    async def main():
        async with running_link(cfg) as (link, seen):
            await seen.until(lambda: seen.current is not None, what="first reading")
            await link.write(LaneOutputs("hold", "red"))
            mark = peer.mark()
            resp, todo = handle_io_request(pulse(ms=100), IoView("manual", link.last_inputs,
                                           link.wanted, link.written, link.reporter.health.to_dict()))
            assert resp["ok"]
            await pulse_output(link, todo)
            await peer.aevent(lambda e: e.get("name") == "barrier_open" and e["value"], mark)
            await peer.aevent(lambda e: e.get("name") == "barrier_open" and not e["value"], mark)
            assert link.wanted == LaneOutputs("hold", "red")
    asyncio.run(main())
