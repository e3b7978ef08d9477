"""Bad replies are rejected with a logged reason and the lane carries on."""

from __future__ import annotations

import asyncio
import time

import pytest
from structlog.testing import capture_logs

from tests.io.harness import modbus_cfg, running_link

REASONS = {
    "exception": "exception response 4 (device_failure)",
    "wrong_unit": "wrong unit id",
    "garbage": "rejected 8 bytes that are no valid reply",
    "short": "bytes that are no valid reply",
    "oversized": "",  # the valid frame is taken; what follows breaks the next reply
}


def cfg_for(request, transport: str):
    if transport == "tcp":
        peer, port = request.getfixturevalue("tcp_lane")
        return peer, modbus_cfg(profile="relay-8x8", transport="tcp", host="127.0.0.1", port=port)
    peer, dev = request.getfixturevalue("rtu_lane")
    return peer, modbus_cfg(profile="plc-registers", transport="rtu", device=dev)


@pytest.mark.parametrize("mode", sorted(REASONS))
@pytest.mark.parametrize("transport", ["tcp", "rtu"])
def test_bad_replies_are_rejected_with_reason(transport, mode, request):
    peer, cfg = cfg_for(request, transport)

    async def main():
        async with running_link(cfg) as (link, seen):
            await seen.until(lambda: seen.current is not None, what="first reading")
            with capture_logs() as logs:
                peer.request({"op": "fault", "mode": mode})
                rejected = lambda: [e for e in logs if e["event"] == "modbus.rejected"]
                await seen.until(rejected, what=f"a rejection for {mode}")
                peer.request({"op": "fault", "mode": "none"})
            assert all(e["device"] == "io" for e in rejected())
            assert any(REASONS[mode] in e["reason"] for e in rejected()), rejected()
            # the lane carries on: readings resume and reflect the module again
            await peer.arequest({"op": "set", "inputs": {"presence": True}})
            await seen.until(lambda: seen.current and seen.current.presence, what="reading after")
            await seen.until(lambda: link.reporter.health.ok, what="healthy again")
    asyncio.run(main())


def test_module_answering_only_exceptions_is_a_fault(request):
    peer, cfg = cfg_for(request, "tcp")

    async def main():
        async with running_link(cfg) as (_link, seen):
            await seen.until(lambda: seen.current is not None, what="first reading")
            peer.request({"op": "fault", "mode": "exception"})
            t0 = time.monotonic()
            await seen.until(lambda: seen.faults, what="fault")
            assert seen.faults[0][0] - t0 <= 1.0
            assert "exception response 4" in seen.faults[0][1]
            peer.request({"op": "fault", "mode": "none"})
            await seen.until(lambda: seen.recovered, what="recovery")
    asyncio.run(main())
