"""The demo scenario's one timeline: the pictures and the loops agree, and wrap together."""

import itertools

import pytest

from gated.config import load_config
from scripts.demo_world.scenario import DEMO, E2E, FPS, Loops, Scenario
from scripts.demo_world.stack import DEMO_CONFIG


def sample(scenario: Scenario):
    return [(i + 0.3) / FPS for i in range(scenario.frames)]  # off the 0.1 s edges


@pytest.mark.parametrize("scenario", [DEMO, E2E], ids=lambda s: s.name)
def test_loops_only_under_a_visible_vehicle_and_wrap_with_the_video(scenario):
    for t in sample(scenario):
        loops, pose = scenario.loops(t), scenario.pose(t)
        if loops.presence:  # a vehicle stands at the barrier: the camera sees it close up
            assert pose.index is not None and pose.scale > 0.8, t
        assert scenario.loops(t + 3 * scenario.duration_s) == loops
    assert scenario.loops(-1.0) == Loops(False, False) and scenario.pose(-1.0).index is None


@pytest.mark.parametrize("scenario", [DEMO, E2E], ids=lambda s: s.name)
def test_follower_gap_is_a_tailgate_for_the_demo_lane(scenario):
    timing = load_config(DEMO_CONFIG).config.timing
    gap = scenario.timing.follower_gap_s
    assert timing.tailgate_gap_s <= gap < timing.clear_delay_s  # flagged before the boom closes
    assert any(v.follower for v in scenario.vehicles)


def test_every_vehicle_gets_a_segment_in_order():
    for scenario in (DEMO, E2E):
        segs = scenario.segments()
        assert [s.vehicle for s in segs] == list(scenario.vehicles)
        assert all(a.end == b.start for a, b in itertools.pairwise(segs))
        assert scenario.frames == round(segs[-1].end * FPS)
