"""The test central as its own process (benchmarks: its memory is not the lane's).

``python -m tests.sync.central_proc PORT EXPECTED`` prints one JSON line when ready, then
one when every seq 1..EXPECTED has arrived (or after ``--timeout``), with the report.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict

from tests.sync.central import Central


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("expected", type=int)
    p.add_argument("--timeout", type=float, default=600.0)
    args = p.parse_args()
    c = Central(args.port, client_id="central-bench").start()
    print(json.dumps({"ready": True}), flush=True)
    first = None
    deadline = time.monotonic() + args.timeout
    while c.contiguous < args.expected and time.monotonic() < deadline:
        if first is None and c.received:
            first = time.monotonic()
        time.sleep(0.05)
    done = time.monotonic()
    report = c.report(args.expected)
    print(json.dumps({"done": c.contiguous >= args.expected, "first_to_last_s":
                      round(done - (first or done), 2), **asdict(report)}), flush=True)
    c.close()


if __name__ == "__main__":
    main()
