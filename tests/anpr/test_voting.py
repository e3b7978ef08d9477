"""Multi-frame voting: clustering, format check after clustering, timing, timeouts."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gated.anpr.voting import Decision, PlateVoter, VoteConfig, consensus, edit_distance

FPS = 25
DT = 1 / FPS


def feed(voter: PlateVoter, frames: list[list[tuple[str, float]]], t0: float = 100.0) -> list[Decision]:
    out = []
    for i, reads in enumerate(frames):
        out += voter.add(reads, t0 + i * DT)
    return out


def test_clean_approach_decides_within_300_ms():
    voter = PlateVoter()
    decisions = feed(voter, [[("29C12345", 0.9)]] * 10)
    assert len(decisions) == 1
    d = decisions[0]
    assert (d.plate, d.status, d.reads) == ("29C12345", "read", 3)
    assert d.decided_at - d.first_seen <= 0.3
    assert d.confidence == pytest.approx(0.9)  # the reads' own confidence, not a share of them


def test_one_vehicle_gives_one_decision():
    voter = PlateVoter()
    decisions = feed(voter, [[("桂A1234挂", 0.8)]] * 50)
    assert [d.plate for d in decisions] == ["桂A1234挂"]


def test_misreads_are_outvoted_per_position():
    voter = PlateVoter()
    frames = [[("29C12345", 0.9)], [("29C12346", 0.5)], [("29C12345", 0.9)], [("28C12345", 0.4)],
              [("29C12345", 0.9)]]
    decisions = feed(voter, frames)
    assert [(d.plate, d.status) for d in decisions] == [("29C12345", "read")]
    assert decisions[0].reads == 5
    assert decisions[0].confidence == pytest.approx(0.9 * 3 / 5)  # the two misreads count 0


def test_confusable_reads_join_one_cluster():
    voter = PlateVoter()
    feed(voter, [[("29C12345", 0.9)], [("29C1B345", 0.6)], [("Z9C12345", 0.6)]])
    assert voter.open_clusters == 1


def test_tractor_and_trailer_are_two_clusters():
    voter = PlateVoter()
    decisions = feed(voter, [[("桂A12345", 0.9), ("桂B6789挂", 0.9)]] * 4)
    assert sorted(d.plate for d in decisions) == ["桂A12345", "桂B6789挂"]


def test_invalid_format_never_reads_and_times_out_low_confidence():
    voter = PlateVoter(VoteConfig(timeout=1.0))
    decisions = feed(voter, [[("ABC123", 0.9)]] * 30)
    assert [(d.plate, d.status) for d in decisions] == [("ABC123", "low_confidence")]
    assert decisions[0].decided_at - decisions[0].first_seen >= 1.0


def test_disagreeing_reads_time_out_low_confidence():
    voter = PlateVoter(VoteConfig(min_agree=3, timeout=0.5))
    frames = [[(f"29C1234{i}", 0.6)] for i in range(10)] * 2  # no read repeats within 0.5 s
    decisions = feed(voter, frames)
    assert len(decisions) == 1 and decisions[0].status == "low_confidence"


def test_single_stray_read_is_dropped_at_timeout():
    voter = PlateVoter(VoteConfig(timeout=0.5))
    out = voter.add([("29C12345", 0.9)], 0.0)
    out += voter.tick(0.6) + voter.tick(5.0)
    assert out == []
    assert voter.open_clusters == 0


def test_low_confidence_reads_are_ignored():
    voter = PlateVoter(VoteConfig(min_read_confidence=0.5))
    assert feed(voter, [[("29C12345", 0.3)]] * 10) == []
    assert voter.open_clusters == 0


def test_vehicle_forgotten_after_gap_then_decided_again():
    voter = PlateVoter(VoteConfig(forget_after=1.0))
    first = feed(voter, [[("51F44614", 0.9)]] * 5, t0=0.0)
    assert voter.tick(3.0) == [] and voter.open_clusters == 0
    second = feed(voter, [[("51F44614", 0.9)]] * 5, t0=10.0)
    assert len(first) == len(second) == 1


def test_two_identical_reads_beat_one_confident_misread():
    """Found by hypothesis: the per-position vote took a 0.99 misread's digit over two 0.3
    reads of the true plate, so the consensus was never read twice and the vehicle timed out."""
    voter = PlateVoter(VoteConfig(min_agree=2, timeout=100.0))
    decisions = feed(voter, [[("29C12845", 0.99)], [("29C12345", 0.3)], [("29C12345", 0.3)]])
    assert [(d.plate, d.status) for d in decisions] == [("29C12345", "read")]


def test_consensus_and_edit_distance():
    assert consensus([]) == ""
    assert consensus([("AB", 1.0), ("AC", 0.4), ("ABC", 5.0)]) == "AB"
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3


plates = st.sampled_from(["29C12345", "51F44614", "59T174443", "桂A12345", "云A1234挂", "皖AR201Z"])


def _variants(plate: str, rng: random.Random, n: int) -> list[str]:
    """``n`` distinct one-character misreads of ``plate``."""
    out: set[str] = set()
    while len(out) < n:
        i = rng.randrange(len(plate))
        v = plate[:i] + rng.choice("0123456789") + plate[i + 1 :]
        if v != plate:
            out.add(v)
    return sorted(out)


@settings(max_examples=200, deadline=None)
@given(plate=plates, n_noise=st.integers(0, 20), seed=st.integers(0, 10_000),
       min_agree=st.integers(2, 5))
def test_property_only_the_true_plate_is_ever_read(plate, n_noise, seed, min_agree):
    """Distinct misreads never win: only a plate read ``min_agree`` times identically can."""
    rng = random.Random(seed)
    reads = [plate] * min_agree + _variants(plate, rng, n_noise)
    rng.shuffle(reads)
    voter = PlateVoter(VoteConfig(min_agree=min_agree, timeout=100.0))
    decisions = feed(voter, [[(r, rng.uniform(0.3, 1.0))] for r in reads]) + voter.tick(1e6)
    assert len(decisions) == 1
    assert decisions[0].status == "read" and decisions[0].plate == plate


@settings(max_examples=200, deadline=None)
@given(frames=st.lists(st.lists(st.tuples(st.text("0123456789ABC", max_size=10),
                                           st.floats(0, 1)), max_size=3), max_size=60))
def test_property_at_most_one_decision_per_cluster_and_times_ordered(frames):
    voter = PlateVoter(VoteConfig(timeout=0.4))
    decisions = feed(voter, frames) + voter.tick(1e6)
    for d in decisions:
        assert d.first_seen <= d.decided_at
        assert 0.0 <= d.confidence <= 1.0
        assert d.reads >= 1
        assert d.status in ("read", "low_confidence")
    assert voter.open_clusters == 0
