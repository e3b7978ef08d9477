"""Multi-frame voting: turn per-frame plate reads into one decision per vehicle.

Pure: time is passed in (``now``, seconds, monotonic), nothing is read from a clock.

* Reads are clustered per vehicle: a read joins the open cluster whose consensus is
  within ``max_distance`` edits of it (compared on OCR-confusion keys, so ``8``/``B``
  misreads still join), else opens a new cluster. A tractor and its trailer plate are
  two clusters.
* The consensus is a per-position, confidence-weighted vote over the cluster's reads of
  the most common length. The plate format (Vietnamese or Chinese) is checked after
  clustering, on the consensus.
* A cluster is decided (``status="read"``) as soon as ``min_agree`` reads equal a valid
  consensus, or, failing that, as soon as ``min_agree`` reads are one identical valid
  plate. A cluster open ``timeout`` seconds without that is decided
  ``low_confidence`` (with the best guess, possibly invalid), unless it holds fewer than
  ``min_reads`` reads (a stray read, dropped).
* A decided cluster stays open, silently absorbing reads of the same vehicle, until it
  has seen no read for ``forget_after`` seconds, so one vehicle gives one decision.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from gated.core.plates import confusion_key, is_valid

Status = Literal["read", "low_confidence"]


@dataclass(frozen=True, slots=True)
class VoteConfig:
    min_agree: int = 3
    min_reads: int = 2  # a cluster with fewer reads at timeout was noise: dropped silently
    min_read_confidence: float = 0.2
    max_distance: int = 2
    timeout: float = 1.5
    forget_after: float = 2.0


@dataclass(frozen=True, slots=True)
class Decision:
    plate: str
    confidence: float
    reads: int
    status: Status
    first_seen: float
    decided_at: float


@dataclass(slots=True)
class _Cluster:
    first_seen: float
    last_seen: float
    reads: list[tuple[str, float]] = field(default_factory=list)
    decided: bool = False


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def consensus(reads: list[tuple[str, float]]) -> str:
    """Per-position weighted vote over the reads of the most common length."""
    if not reads:
        return ""
    length = Counter(len(t) for t, _ in reads).most_common(1)[0][0]
    same = [(t, c) for t, c in reads if len(t) == length]
    out = []
    for i in range(length):
        votes: Counter[str] = Counter()
        for t, c in same:
            votes[t[i]] += c
        out.append(max(sorted(votes), key=lambda ch: votes[ch]))
    return "".join(out)


def agreed(reads: list[tuple[str, float]], min_agree: int) -> str | None:
    """The plate a cluster can be decided on now, if any: its consensus when ``min_agree``
    reads equal it and it is valid; else the valid text read identically most often (at
    least ``min_agree`` times) — a confident one-off misread can tip the per-position vote
    without ever being read twice."""
    plate = consensus(reads)
    counts = Counter(t for t, _ in reads)
    if is_valid(plate) and counts[plate] >= min_agree:
        return plate
    weight: Counter[str] = Counter()
    for t, c in reads:
        weight[t] += c
    repeated = [t for t, n in counts.items() if n >= min_agree and is_valid(t)]
    return max(repeated, key=lambda t: (counts[t], weight[t], t)) if repeated else None


def agreement(reads: list[tuple[str, float]], plate: str) -> float:
    """The confidence of ``plate`` over ``reads``: the confidences of the reads that equal it,
    summed over all reads (a read that disagrees counts 0). Three reads at 0.9 give 0.9; a
    misread among them lowers it. Used for the vote's decision and a crop's 6-copy vote."""
    return sum(c for t, c in reads if t == plate) / len(reads) if reads else 0.0


class PlateVoter:
    """Feed it every frame's reads with ``add``; call ``tick`` when frames carry no plate."""

    def __init__(self, config: VoteConfig | None = None) -> None:
        self.config = config or VoteConfig()
        self._clusters: list[_Cluster] = []

    @property
    def open_clusters(self) -> int:
        return len(self._clusters)

    def add(self, reads: list[tuple[str, float]], now: float) -> list[Decision]:
        """Add one frame's reads (normalised text, confidence); return new decisions."""
        for text, conf in reads:
            if text and conf >= self.config.min_read_confidence:
                self._cluster_for(text, now).reads.append((text, conf))
        return self.tick(now)

    def tick(self, now: float) -> list[Decision]:
        """Decide what can be decided at ``now`` and forget departed vehicles."""
        out = [d for c in self._clusters if (d := self._decide(c, now))]
        self._clusters = [c for c in self._clusters if now - c.last_seen < self.config.forget_after]
        return out

    def _cluster_for(self, text: str, now: float) -> _Cluster:
        key = confusion_key(text)
        best, best_d = None, self.config.max_distance + 1
        for c in self._clusters:
            d = edit_distance(key, confusion_key(consensus(c.reads)))
            if d < best_d:
                best, best_d = c, d
        if best is None:
            best = _Cluster(first_seen=now, last_seen=now)
            self._clusters.append(best)
        best.last_seen = now
        return best

    def _decide(self, c: _Cluster, now: float) -> Decision | None:
        if c.decided:
            return None
        plate = agreed(c.reads, self.config.min_agree)
        if plate is not None:
            c.decided = True
            return Decision(plate, agreement(c.reads, plate), len(c.reads), "read", c.first_seen, now)
        if now - c.first_seen >= self.config.timeout:
            c.decided = True
            if len(c.reads) < self.config.min_reads:
                return None
            plate = consensus(c.reads)
            return Decision(plate, agreement(c.reads, plate), len(c.reads), "low_confidence", c.first_seen, now)
        return None
