"""The wire-level safety checker catches what it claims to (it guards the e2e tests)."""

from tests.e2e.io_rules import violations


def ev(kind, name, value, t):
    return {"event": kind, "name": name, "value": value, "t": t}


def test_a_safe_passage_passes():
    log = [ev("output", "barrier_open", True, 0.0), ev("input", "open_limit", True, 1.0),
           ev("output", "green", True, 1.1), ev("input", "safety", True, 2.0),
           ev("output", "green", False, 2.05), ev("input", "safety", False, 3.0),
           ev("output", "barrier_open", False, 3.5), ev("output", "barrier_close", True, 5.1),
           ev("input", "open_limit", False, 5.1)]
    assert violations(log, clear_delay_s=2.0) == []


def test_each_rule_is_caught():
    early = [ev("input", "safety", True, 0.0), ev("input", "safety", False, 1.0),
             ev("output", "barrier_close", True, 2.0)]
    assert "rule 1" in violations(early, 2.0)[0]
    occupied = [ev("input", "safety", True, 0.0), ev("output", "barrier_close", True, 0.5)]
    assert "occupied" in violations(occupied, 2.0)[0]
    green = [ev("output", "green", True, 0.0)]
    assert "rule 2" in violations(green, 2.0)[0]
    both = [ev("output", "barrier_open", True, 0.0), ev("output", "barrier_close", True, 0.1)]
    assert any("together" in v for v in violations(both, 2.0))
