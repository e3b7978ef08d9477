"""gatectl io: request checks, refusals, the CLI, and the handlers on a real module."""

from __future__ import annotations

import argparse
import asyncio
from types import SimpleNamespace

import pytest

from gated.control.server import CommandError
from gated.devices import cli, io_handlers
from gated.devices.interfaces import LaneInputs, LaneOutputs
from gated.devices.iocontrol import (
    IoView,
    PulseRequest,
    RequestError,
    check_pulse,
    pulse_outputs,
    show,
)
from tests.io.harness import modbus_cfg, running_link

FREE = LaneInputs(presence=False, safety=False, open_limit=False, closed_limit=True)
OK_DEV = {"name": "io", "kind": "io", "ok": True, "detail": "ok", "since": 0.0, "faults": 0}


def view(mode="manual", inputs=FREE, dev=OK_DEV) -> IoView:
    return IoView(mode, inputs, LaneOutputs(), LaneOutputs(), dev)


def pulse(**kw) -> dict:
    return {"output": "barrier_open", "ms": 300, "confirm": True, "operator": "tuan",
            "reason": "wiring check", **kw}


def test_show_reports_inputs_and_outputs():
    result = show(view())
    assert result["inputs"]["closed_limit"] is True
    assert result["outputs"]["written"] == {"barrier": "hold", "light": "red"}
    text = cli.render(result)
    assert "closed limit   ON" in text and "barrier hold, light red" in text


def test_accepted_pulse_carries_operator_and_reason():
    assert check_pulse(pulse(), view()) == PulseRequest("barrier_open", 300, "tuan", "wiring check")


@pytest.mark.parametrize("args, v, code, words", [
    (pulse(), view(mode="auto"), "refused", "auto mode"),
    (pulse(), view(inputs=LaneInputs(False, True, False, True)), "refused", "safety loop is occupied"),
    (pulse(), view(inputs=None), "refused", "not answering"),
    (pulse(), view(dev={**OK_DEV, "ok": False}), "refused", "not answering"),
    (pulse(output="green"), view(), "refused", "confirmed open"),
    (pulse(output="horn"), view(), "invalid", "unknown output"),
    (pulse(ms=9000), view(), "invalid", "ms must be"),
    (pulse(ms=True), view(), "invalid", "ms must be"),
    (pulse(confirm=False), view(), "invalid", "--yes"),
    (pulse(operator=" "), view(), "invalid", "operator is required"),
    (pulse(reason=None), view(), "invalid", "reason is required"),
    (["barrier_open"], view(), "invalid", "must be an object"),
])
def test_refused_requests_say_why(args, v, code, words):
    with pytest.raises(RequestError) as err:
        check_pulse(args, v)
    assert err.value.code == code and words in str(err.value)


def test_pulse_never_leaves_a_barrier_command_behind():
    base = LaneOutputs("close", "red")
    assert pulse_outputs("barrier_open", base) == (LaneOutputs("open", "red"), LaneOutputs("hold", "red"))
    assert pulse_outputs("red", LaneOutputs("hold", "off")) == (LaneOutputs("hold", "red"),
                                                                LaneOutputs("hold", "off"))


def parse(argv):
    parser = argparse.ArgumentParser(prog="gatectl")
    cli.add_subparser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_cli_builds_calls_and_refuses_without_yes(capsys):
    args = parse(["io"])
    assert cli.request(args) == ("io", {}) and args.fn is cli.cmd_io
    args = parse(["io", "pulse", "barrier_close", "--ms", "200", "--yes", "--reason", "test",
                  "--operator", "lan"])
    assert cli.request(args) == ("io.pulse", {"output": "barrier_close", "ms": 200, "confirm": True,
                                              "operator": "lan", "reason": "test"})
    args = parse(["io", "pulse", "red", "--reason", "x", "--operator", "lan"])
    assert cli.cmd_io(None, args) == 2 and "--yes" in capsys.readouterr().err
    for bad in (["io", "pulse", "horn", "--yes"], ["io", "pulse", "red", "--yes", "--reason", "x"]):
        with pytest.raises(SystemExit):
            parse(bad)


def test_handlers_pulse_the_real_module_and_audit(tcp_lane):
    peer, port = tcp_lane
    cfg = modbus_cfg(profile="relay-8x8", transport="tcp", host="127.0.0.1", port=port)
    audits = []

    async def audit(**entry):
        audits.append(entry)

    async def main():
        async with running_link(cfg) as (link, seen):
            app = SimpleNamespace(runtime=SimpleNamespace(state=SimpleNamespace(mode="auto")),
                                  devices=SimpleNamespace(io_link=link), audit=audit)
            await seen.until(lambda: seen.current is not None, what="first reading")
            await link.write(LaneOutputs("hold", "red"))
            assert (await io_handlers.io_show(app, {}))["inputs"]["closed_limit"] is True
            with pytest.raises(CommandError, match="auto mode"):
                await io_handlers.io_pulse(app, pulse(ms=100))
            app.runtime.state.mode = "manual"
            mark = peer.mark()
            assert await io_handlers.io_pulse(app, pulse(ms=100)) == {"pulsed": "barrier_open", "ms": 100}
            await peer.aevent(lambda e: e.get("name") == "barrier_open" and e["value"], mark)
            await peer.aevent(lambda e: e.get("name") == "barrier_open" and not e["value"], mark)
            assert link.wanted == LaneOutputs("hold", "red")
        assert [(a["ok"], a["operator"], a["action"]) for a in audits] == [
            (False, "tuan", "io.pulse"), (True, "tuan", "io.pulse")]
    asyncio.run(main())


def test_watch_prints_only_changes_until_ctrl_c(capsys):
    replies = iter([show(view()), show(view()), show(view(inputs=None))])

    class Client:  # a stand-in for gatectl's socket client (pure CLI test)
        def call(self, cmd, **_):
            assert cmd == "io"
            try:
                return next(replies)
            except StopIteration:
                raise KeyboardInterrupt from None

    assert cli.watch(Client(), parse(["io", "--watch"]), period_s=0) == 0
    out = capsys.readouterr().out
    assert out.count("mode: manual") == 2 and "presence loop  ?" in out
