"""One rung of asynchronous successive halving: the metric values recorded at a resource level,
kept sorted so that every decision costs O(log n).

Scores are minimized (the scheduler negates them for ``mode="max"``). In a *keyed* rung (the
pause-and-resume types) each entry is ``(score, seq)``, where ``seq`` is a global arrival counter
that breaks ties in favour of the earlier arrival, so "the best ``k`` entries" is always exactly
``k`` entries, and entries are found by trial. The stopping type only counts better values, so its
rungs hold bare scores (cheaper to insert and compare).

Two cutoffs decide who may go on (``q`` the rung's promotion quantile, ``n`` its values):

* ``"rank"``: a newcomer goes on iff fewer than ``q * n`` values are strictly better; a paused
  trial may be promoted iff it ranks among the best ``floor(q * n)`` (Li et al., 2018).
* ``"interpolated"``: the value ``c`` at quantile ``q`` of the rung's values, linearly
  interpolated between neighbours as ``numpy.quantile`` does; a value goes on (or may be
  promoted) iff it is ``<= c``, and nothing is cut while the rung holds fewer than 2 values
  (Syne Tune's ``HyperbandScheduler`` up to version 0.13, seed 002).
"""

from __future__ import annotations

from typing import Any

from sortedcontainers import SortedList

__all__ = ["CUTOFFS", "Rung"]

#: how a rung decides who may go on (see the module docstring)
CUTOFFS = ("rank", "interpolated")


class Rung:
    """Values recorded at rung ``level``; ``waiting`` holds the trials paused here and not yet
    promoted (promotion-type schedulers only); ``costs`` the cost of each entry
    (``cost_promotion`` only)."""

    __slots__ = (
        "by_trial",
        "costs",
        "den",
        "entries",
        "interpolated",
        "keyed",
        "level",
        "num",
        "promoted",
        "waiting",
    )

    def __init__(
        self,
        level: int,
        quantile: tuple[float, float],
        *,
        keyed: bool = True,
        cutoff: str = "rank",
    ):
        self.level = level
        self.num, self.den = quantile
        self.keyed = keyed
        self.interpolated = cutoff == "interpolated"
        self.entries: SortedList = SortedList()  # (score, seq), or score when not keyed
        self.by_trial: dict[int, tuple[float, int]] = {}
        self.waiting: SortedList = SortedList()  # (score, seq, trial_id)
        self.promoted = 0
        self.costs: dict[int, float] = {}  # seq -> cost

    def __len__(self) -> int:
        return len(self.entries)

    # -- recording ---------------------------------------------------------------------------
    def add(self, trial_id: int, score: float, seq: int, *, cost: float | None = None) -> None:
        if not self.keyed:
            self.entries.add(score)
            return
        key = (score, seq)
        self.entries.add(key)
        self.by_trial[trial_id] = key
        if cost is not None:
            self.costs[seq] = cost

    def wait(self, trial_id: int) -> None:
        score, seq = self.by_trial[trial_id]
        self.waiting.add((score, seq, trial_id))

    def unwait(self, trial_id: int) -> bool:
        key = self.by_trial.get(trial_id)
        if key is None:
            return False
        entry = (*key, trial_id)
        if entry in self.waiting:
            self.waiting.remove(entry)
            return True
        return False

    # -- decisions ---------------------------------------------------------------------------
    def in_top_fraction(self, score: float) -> bool:
        """Whether ``score`` (already recorded) is among the best ``q`` fraction of the values
        here: fewer than ``q * n`` values are strictly better (or, interpolated: ``score`` is at
        most the ``q``-quantile of the values)."""
        if self.interpolated:
            cutoff = self.quantile_value()
            return cutoff is None or score <= cutoff
        better = self.entries.bisect_left((score, -1) if self.keyed else score)
        return better * self.den < len(self.entries) * self.num

    def quantile_value(self) -> float | None:
        """The ``q``-quantile of the values here, linearly interpolated (``numpy.quantile``'s
        default method); None while there are fewer than 2 values."""
        n = len(self.entries)
        if n < 2:
            return None
        position = (n - 1) * self.num  # position (n - 1) * q, kept as a fraction of den
        lo = int(position // self.den)
        weight = (position - lo * self.den) / self.den
        low = self._score_at(lo)
        if weight == 0:
            return low
        return low + weight * (self._score_at(lo + 1) - low)

    def _score_at(self, index: int) -> float:
        entry = self.entries[index]
        return entry[0] if self.keyed else entry

    def top_count(self) -> int:
        return int((len(self.entries) * self.num) // self.den)

    def promotable(self, *, keep_size_ratios: bool, cost_based: bool) -> tuple[Any, ...] | None:
        """The best waiting entry ``(score, seq, trial_id)`` if it may be promoted, else None.

        It may if it ranks among the best ``floor(q * n)`` entries (Li et al., 2018; with the
        interpolated cutoff: if its value is at most the ``q``-quantile), or, with
        ``cost_based``, if the entries ranked up to it cost at most ``q`` of the rung's total
        cost. With ``keep_size_ratios`` at most ``floor(q * n)`` trials are promoted in all.
        """
        if not self.waiting:
            return None
        best = self.waiting[0]
        rank = self.entries.bisect_left((best[0], best[1]))
        if keep_size_ratios and self.promoted >= self.top_count():
            return None
        if cost_based:
            return best if self._within_cost_quantile(rank) else None
        if self.interpolated:
            cutoff = self.quantile_value()
            return best if cutoff is not None and best[0] <= cutoff else None
        return best if rank < self.top_count() else None

    def _within_cost_quantile(self, rank: int) -> bool:
        # C(k) = cost of the best k entries; eligible iff C(rank + 1) <= q * C(n).
        total = sum(self.costs.values())
        limit = total * self.num / self.den
        spent = 0.0
        for _, seq in self.entries.islice(0, rank + 1):
            spent += self.costs.get(seq, 0.0)
            if spent > limit:
                return False
        return True

    # -- state -------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        if not self.keyed:
            return {"scores": list(self.entries)}
        waiting = {entry[2] for entry in self.waiting}
        return {
            "entries": [
                [tid, score, seq, self.costs.get(seq), tid in waiting]
                for tid, (score, seq) in self.by_trial.items()
            ],
            "promoted": self.promoted,
        }

    def load(self, state: dict[str, Any]) -> None:
        if not self.keyed:
            self.entries = SortedList(float(score) for score in state["scores"])
            return
        self.entries = SortedList()
        self.by_trial = {}
        self.waiting = SortedList()
        self.costs = {}
        for tid, score, seq, cost, waiting in state["entries"]:
            self.add(int(tid), float(score), int(seq), cost=cost)
            if waiting:
                self.wait(int(tid))
        self.promoted = int(state["promoted"])
