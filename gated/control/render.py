"""Human output for gatectl: aligned tables and short event lines."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any


def _width(text: str) -> int:
    """Terminal columns: CJK plate characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value) or "-"
    return str(value).replace("\n", " ")


def table(rows: Iterable[dict], columns: Sequence[tuple[str, str]]) -> str:
    body = [[_cell(r.get(key)) for key, _ in columns] for r in rows]
    head = [h for _, h in columns]
    widths = [max([_width(h)] + [_width(row[i]) for row in body]) for i, h in enumerate(head)]

    def line(cells: list[str]) -> str:
        return "  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths)).rstrip()

    return "\n".join([line(head), *(line(row) for row in body)])


def pairs(items: Sequence[tuple[str, Any]]) -> str:
    width = max(len(k) for k, _ in items)
    return "\n".join(f"{k.ljust(width)}  {_cell(v)}" for k, v in items)


def event_summary(e: dict) -> str:
    """One line saying what happened: plate, decision and reasons, device, operator..."""
    parts: list[str] = []
    vehicle = e.get("vehicle") or {}
    if vehicle.get("plate_display") or vehicle.get("plate"):
        conf = vehicle.get("plate_confidence")
        plate = vehicle.get("plate_display") or vehicle.get("plate")
        parts.append(f"{plate} ({conf:.2f})" if isinstance(conf, (int, float)) else plate)
    decision = e.get("decision") or {}
    if decision:
        parts.append(f"{str(decision.get('result', '')).upper()} "
                     f"[{', '.join(decision.get('reasons') or [])}] by {decision.get('by')}")
    p = e.get("pass") or {}
    if p.get("id"):
        parts.append(f"pass {p['id']}")
    for key in ("device", "reason", "operator", "action", "to", "vehicles"):
        if e.get(key) not in (None, ""):
            parts.append(f"{key}={e[key]}")
    return "  ".join(parts)


def event_rows(events: Iterable[dict]) -> str:
    rows = [
        {
            "seq": e.get("seq"),
            "time": (e.get("ts") or "")[11:23],
            "type": e.get("type"),
            "passage": (e.get("passage_id") or "")[-8:] or None,
            "what": event_summary(e),
        }
        for e in events
    ]
    cols = [("seq", "SEQ"), ("time", "TIME"), ("type", "TYPE"), ("passage", "PASSAGE"),
            ("what", "WHAT")]
    return table(rows, cols)


def status_text(s: dict) -> str:
    lane, st = s["lane"], s["state"]
    passage = st.get("passage") or {}
    io, out, outbox = s.get("inputs") or {}, s.get("outputs") or {}, s.get("outbox") or {}
    head = pairs([
        ("lane", f"{lane['site']}/{lane['lane']} ({lane['direction']}) {lane.get('name') or ''}"),
        ("version", f"{s['version']}  boot {s['boot_id']}  up {s['uptime_s']}s"),
        ("phase", f"{st['phase']} for {st['phase_age_s']}s  mode {st['mode']}"),
        ("passage", f"{passage.get('id')} plate {passage.get('plate')} "
                    f"{(passage.get('decision') or {}).get('result', '')}" if passage else None),
        ("inputs", " ".join(f"{k}={'on' if v else 'off'}" for k, v in io.items()) or "unknown"),
        ("outputs", f"barrier={out.get('barrier')} light={out.get('light')}" if out else "none"),
        ("board", s.get("board") or "(blank)"),
        ("outbox", f"depth {outbox.get('depth')}  last seq {outbox.get('last_seq')}  "
                   f"acked {outbox.get('acked_upto')}  in memory {outbox.get('buffered')}"),
        ("passes", f"{s['passes']['count']} (version {s['passes']['version']})"),
        ("uplink", ("online" if s["uplink"]["online"] else "offline") +
                   f"  {s['uplink'].get('detail', '')}"),
    ])
    devices = table(s["devices"], [("name", "DEVICE"), ("kind", "KIND"), ("ok", "OK"),
                                   ("detail", "DETAIL"), ("faults", "FAULTS")])
    last = event_rows(s.get("last_events") or [])
    return f"{head}\n\n{devices}\n\nlast events\n{last}"
