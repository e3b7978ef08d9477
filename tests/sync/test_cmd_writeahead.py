"""An actuating command interrupted by a crash is never run a second time on redelivery.

Real SQLite store, reopened as after a restart; the lane is a recorder (pure logic here).
"""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

from gated.core.lane.model import Reply
from gated.store import AsyncStore, Store
from gated.sync.cmdexec import CommandRunner, Lane
from tests.sync.test_pure import cmd_obj


def runner(path, submit) -> CommandRunner:
    store = Store(path, site="huu-nghi", lane="in-01")
    store.open()

    async def nothing(*a, **k):
        return None

    lane = Lane(submit=submit, audit=nothing, config=dict, resync=nothing, replay=nothing,
                publish_image=lambda *a: "")
    return CommandRunner(AsyncStore(store), lane, skew_s=2.0, require_signed=False,
                         keys=lambda kid: None)


def test_crash_while_barrier_open_runs_is_answered_interrupted(tmp_path):
    payload = json.dumps(cmd_obj(id="c-crash")).encode()
    calls: list = []

    async def hang(inp):
        calls.append(inp)
        await asyncio.Event().wait()  # the process dies here

    async def first_life():
        r = runner(tmp_path / "g.db", hang)
        task = asyncio.create_task(r.handle(payload))
        while not calls:
            await asyncio.sleep(0.01)
        task.cancel()
        r.astore.shutdown()

    async def ok(inp):
        calls.append(inp)
        return SimpleNamespace(reply=Reply(True, message="opened"))

    async def second_life():
        r = runner(tmp_path / "g.db", ok)
        try:
            return await r.handle(payload), await r.handle(json.dumps(cmd_obj(id="c-2")).encode())
        finally:
            r.astore.shutdown()

    asyncio.run(first_life())
    again, fresh = asyncio.run(second_life())
    assert len(calls) == 2 and calls[1].command_id == "c-2"  # c-crash never ran again
    assert again["ok"] is False and again["error"]["code"] == "interrupted"
    assert fresh == {"id": "c-2", "ok": True, "result": {"message": "opened"}}


def test_settled_result_replaces_the_provisional_one(tmp_path):
    async def ok(inp):
        return SimpleNamespace(reply=Reply(True, message="opened"))

    async def main():
        r = runner(tmp_path / "g.db", ok)
        try:
            first = await r.handle(json.dumps(cmd_obj(id="c-1")).encode())
            return first, await asyncio.to_thread(r.store.command_result, "c-1")
        finally:
            r.astore.shutdown()

    first, stored = asyncio.run(main())
    assert first["ok"] is True and stored == first
