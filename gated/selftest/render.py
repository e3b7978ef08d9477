"""How a self-test looks in a terminal: one line per step while it runs, then the table.

Pure: strings in, strings out. Untrusted text (camera or QR content, broker messages)
is already bounded by the checks; here it is only laid out.
"""

from __future__ import annotations

from gated.control.render import table
from gated.selftest.report import Report, Result

MARK = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "skip": "skip"}


def progress_line(done: int, result: Result) -> str:
    """One line per finished step, printed as it finishes (on stderr)."""
    figure = f"  {result.figure}" if result.figure else ""
    return f"[{done:>2}] {MARK[result.status]}  {result.name}{figure}"


def started_line(check: str, devices: list[str]) -> str:
    what = f"{check} ({', '.join(d for d in devices if d)})" if any(devices) else check
    return f"     ...  testing {what}"


def _todo(r: Result) -> str:
    if r.remedy:
        return r.remedy
    return r.detail if r.status == "pass" else ""


def report_text(report: Report) -> str:
    rows = [
        {"status": MARK[r.status], "check": r.check, "device": r.device or None,
         "step": r.step, "figure": r.figure or None, "todo": _todo(r) or None}
        for r in report.results
    ]
    body = table(rows, [("status", "RESULT"), ("check", "CHECK"), ("device", "DEVICE"),
                        ("step", "STEP"), ("figure", "MEASURED"),
                        ("todo", "WHAT TO DO / SEEN")])
    d = report.to_dict()["summary"]
    verdict = "LANE OK" if report.ok else "LANE NOT OK"
    tail = (f"{verdict}: {d['pass']} pass, {d['warn']} warn, {d['fail']} fail, "
            f"{d['skip']} skipped in {report.duration_s:.1f} s "
            f"({report.mode}, {report.site}/{report.lane}, {report.started_at})")
    return f"{body}\n\n{tail}"
