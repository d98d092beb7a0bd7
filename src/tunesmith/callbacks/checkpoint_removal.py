"""Speculative removal of the checkpoints of paused trials.

Promotion-type Hyperband schedulers (``type="promotion"``, PASHA, ``"cost_promotion"``) pause
every trial at every rung level, and any paused trial may be resumed later, so each one keeps its
checkpoint: checkpoints pile up on disk. :class:`RemoveCheckpointsCallback` keeps at most
``max_num_checkpoints`` of them. Once more paused trials hold a checkpoint, it deletes the
checkpoints whose loss is expected to cost least. A trial resumed without its checkpoint trains
again from scratch (the scheduler ignores its results up to the level where it paused), which
costs the resource it had used, so the expected cost of removing a checkpoint is

    cost = (resource the trial used) x P(the trial is resumed)

``P`` comes from the trial's standing in its rung (rank ``k`` of ``n`` values there, promotion
quantile ``q``): a trial may be promoted while ``k < floor(q * n)``. Each later arrival at the
rung ranks better than it with probability ``p_r``, so after ``m`` more arrivals it may be
promoted iff ``k + B < floor(q * (n + m))`` with ``B ~ Binomial(m, p_r)``. ``m`` is the number of
arrivals the rung had so far, times the remaining over the elapsed part of the budget (from the
tuner's ``max_num_trials_started`` or ``max_wallclock_time``; as many again without either).

``p_r`` is estimated per rung level: each arrival at a rung gives one observation for every
paused trial with a checkpoint there (1 if the newcomer ranks better). A Beta prior with mean
``prior_beta_mean`` and effective sample size ``prior_beta_size`` gives the posterior mean
(Beta-binomial); a rung with fewer than ``min_data_at_rung`` observations uses the estimator fed
by every rung's observations. The baselines: ``strategy="random"`` removes random checkpoints,
``"by_level"`` those of the lowest rung level first, the worst ranked first within a level.
"""

from __future__ import annotations

import logging
import math
import random
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Integral, Real
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunesmith.callbacks.base import TunerCallback
from tunesmith.trial import Trial, TrialStatus

if TYPE_CHECKING:
    from tunesmith.tuner import Tuner

__all__ = ["STRATEGIES", "BetaBinomialEstimator", "RemoveCheckpointsCallback", "resume_probability"]

logger = logging.getLogger("tunesmith")

STRATEGIES = ("speculative", "random", "by_level")


class BetaBinomialEstimator:
    """Posterior mean of the probability ``p = P(X = 1)`` of a Bernoulli variable ``X`` under a
    Beta prior of mean ``prior_mean`` and effective sample size ``prior_size`` (``a + b``):
    ``(a + ones) / (a + b + total)``."""

    def __init__(self, prior_mean: float, prior_size: float):
        self.a = prior_mean * prior_size
        self.b = prior_size - self.a
        self.num_one = 0
        self.num_total = 0

    def update(self, ones: int, total: int) -> None:
        """``total`` more observations, ``ones`` of them equal to 1."""
        if not 0 <= ones <= total:
            raise ValueError(f"need 0 <= ones <= total, but got ones={ones}, total={total}")
        self.num_one += ones
        self.num_total += total

    def posterior_mean(self) -> float:
        return (self.a + self.num_one) / (self.a + self.b + self.num_total)

    def __repr__(self) -> str:
        return (
            f"BetaBinomialEstimator(ones={self.num_one}, total={self.num_total}, "
            f"mean={self.posterior_mean():.3f})"
        )


def resume_probability(
    rank: int, size: int, quantile: float, p_better: float, arrivals: int
) -> float:
    """The probability that a trial ranked ``rank`` (0: best) of ``size`` at a rung with
    promotion quantile ``quantile`` may be promoted after ``arrivals`` more arrivals, each of
    which ranks better than it with probability ``p_better``: 1 if it may be promoted now, else
    ``P(rank + B < floor(quantile * (size + arrivals)))``, ``B ~ Binomial(arrivals, p_better)``.

    >>> resume_probability(0, 3, 1 / 3, 0.3, 0)
    1.0
    >>> resume_probability(2, 3, 1 / 3, 0.3, 0)
    0.0
    >>> round(resume_probability(1, 3, 1 / 3, 0.5, 3), 3)  # needs B = 0 of 3: 0.5**3
    0.125
    """
    if rank < math.floor(quantile * size + 1e-9):
        return 1.0
    most = math.floor(quantile * (size + arrivals) + 1e-9) - rank - 1  # largest B allowed
    if most < 0:
        return 0.0
    if most >= arrivals:
        return 1.0
    from scipy.special import bdtr  # the binomial distribution function

    return float(bdtr(most, arrivals, p_better))


@dataclass
class _Paused:
    level: int  # the rung level where it waits
    resource: int  # the resource it had used (what a restart from scratch costs)
    score: float  # its value at the rung, to minimize


class RemoveCheckpointsCallback(TunerCallback):
    """Keeps at most ``max_num_checkpoints`` checkpoints of paused trials of a promotion-type
    :class:`~tunesmith.schedulers.HyperbandScheduler` (see the module docstring), deleting the
    ``checkpoint`` folders of the others.

    ``strategy``: ``"speculative"`` (lowest expected cost first), ``"random"`` (``random_seed``
    seeds it) or ``"by_level"``. ``num_checkpoints_removed`` counts removals;
    ``trials_resumed_without_checkpoint`` lists ``(trial_id, level)`` of trials resumed after
    their checkpoint was removed (they trained again from scratch)::

        callback = RemoveCheckpointsCallback(20)
        Tuner(backend, ASHA(space, metric="loss", type="promotion"), stop, callbacks=[callback])

    or, as Syne Tune has it, ``ASHA(..., type="promotion",
    early_checkpoint_removal_kwargs={"max_num_checkpoints": 20})``: the tuner adds the
    callback (``tuner.checkpoint_removal``).
    """

    def __init__(
        self,
        max_num_checkpoints: int,
        *,
        strategy: str = "speculative",
        prior_beta_mean: float = 0.33,
        prior_beta_size: float = 2.0,
        min_data_at_rung: int = 5,
        random_seed: int | None = None,
    ):
        _check_int("max_num_checkpoints", max_num_checkpoints, 0)
        if strategy not in STRATEGIES:
            raise ValueError(
                f"`strategy` must be one of {list(STRATEGIES)}, but got strategy={strategy!r}"
            )
        if not _is_real(prior_beta_mean) or not 0 < prior_beta_mean < 1:
            raise ValueError(
                "`prior_beta_mean` must be a number in (0, 1) (the prior probability that a "
                f"newcomer ranks better; below 1/2), but got prior_beta_mean={prior_beta_mean!r}"
            )
        if not _is_real(prior_beta_size) or not prior_beta_size > 0:
            raise ValueError(
                "`prior_beta_size` must be a number > 0 (the prior's effective sample size), but "
                f"got prior_beta_size={prior_beta_size!r}"
            )
        _check_int("min_data_at_rung", min_data_at_rung, 0)
        if random_seed is not None:
            _check_int("random_seed", random_seed, 0)
        self.max_num_checkpoints = int(max_num_checkpoints)
        self.strategy = strategy
        self.prior_beta_mean = float(prior_beta_mean)
        self.prior_beta_size = float(prior_beta_size)
        self.min_data_at_rung = int(min_data_at_rung)
        self.random_seed = random_seed
        self._reset()

    #: the keyword arguments :meth:`from_kwargs` takes
    KWARGS = (
        "max_num_checkpoints",
        "strategy",
        "prior_beta_mean",
        "prior_beta_size",
        "min_data_at_rung",
        "random_seed",
    )

    @classmethod
    def from_kwargs(cls, kwargs: Any) -> RemoveCheckpointsCallback:
        """The callback of a scheduler's ``early_checkpoint_removal_kwargs`` (a dict with
        ``max_num_checkpoints`` and any other of :attr:`KWARGS`), as the tuner builds it."""
        what = "early_checkpoint_removal_kwargs"
        if not isinstance(kwargs, Mapping) or "max_num_checkpoints" not in kwargs:
            raise ValueError(
                f"`{what}` must be a dict with 'max_num_checkpoints' (and optionally "
                f"{', '.join(repr(k) for k in cls.KWARGS[1:])}), but got {what}={kwargs!r}"
            )
        unknown = sorted(str(k) for k in kwargs if k not in cls.KWARGS)
        if unknown:
            raise ValueError(f"`{what}` has unknown keys {unknown}; allowed are {list(cls.KWARGS)}")
        return cls(**kwargs)

    def _reset(self) -> None:
        self._tuner: Tuner | None = None
        self._rng = random.Random(self.random_seed)
        self._paused: dict[int, _Paused] = {}  # paused trials that keep a checkpoint
        self._removed: dict[int, int] = {}  # paused trials whose checkpoint went -> level
        self._estimators: dict[int, BetaBinomialEstimator] = {}
        self._global = self._estimator()
        self.num_checkpoints_removed = 0
        self.trials_resumed_without_checkpoint: list[tuple[int, int]] = []

    def _estimator(self) -> BetaBinomialEstimator:
        return BetaBinomialEstimator(self.prior_beta_mean, self.prior_beta_size)

    # -- views ---------------------------------------------------------------------------------
    @property
    def num_trials_resumed_without_checkpoint(self) -> int:
        return len(self.trials_resumed_without_checkpoint)

    @property
    def num_checkpoints(self) -> int:
        """Paused trials that keep a checkpoint now."""
        return len(self._paused)

    def estimator_for_rung(self, level: int) -> BetaBinomialEstimator:
        """The estimator of ``p_r`` used at rung ``level`` now (the global one while the rung has
        fewer than ``min_data_at_rung`` observations)."""
        estimator = self._estimators.get(level)
        if estimator is None or estimator.num_total < self.min_data_at_rung:
            return self._global
        return estimator

    # -- hooks ---------------------------------------------------------------------------------
    def on_tuning_start(self, tuner: Tuner) -> None:
        scheduler = tuner.scheduler
        if not getattr(scheduler, "pauses", False) or not hasattr(scheduler, "paused_standing"):
            raise TypeError(
                "RemoveCheckpointsCallback needs a HyperbandScheduler that pauses trials "
                "(type='promotion', 'pasha' or 'cost_promotion'), but the tuner's scheduler is "
                f"{scheduler!r}"
            )
        self._reset()
        self._tuner = tuner
        for tid, level, _ in scheduler.paused_trials():  # a resumed study's paused trials
            trial = tuner.trials.get(tid)
            if trial is not None and trial.last_result is not None and self._has_checkpoint(tid):
                self._paused[tid] = self._describe(trial, level)
        self._enforce()

    def on_trial_complete(self, trial: Trial) -> None:
        if trial.status is not TrialStatus.PAUSED or trial.last_result is None:
            return
        standing = self._tuner.scheduler.paused_standing(trial.trial_id)
        if standing is None:
            return
        paused = self._describe(trial, standing[0])
        others = [p.score for p in self._paused.values() if p.level == paused.level]
        if others:
            ones = sum(paused.score < score for score in others)  # ties: the earlier ranks first
            self._estimators.setdefault(paused.level, self._estimator()).update(ones, len(others))
            self._global.update(ones, len(others))
        if self._has_checkpoint(trial.trial_id):
            self._paused[trial.trial_id] = paused
            self._enforce()

    def on_trial_start(self, trial: Trial, *, resumed: bool) -> None:
        self._paused.pop(trial.trial_id, None)
        level = self._removed.pop(trial.trial_id, None)
        if level is not None:
            self.trials_resumed_without_checkpoint.append((trial.trial_id, level))

    # -- removal -------------------------------------------------------------------------------
    def _describe(self, trial: Trial, level: int) -> _Paused:
        scheduler = self._tuner.scheduler
        resource = trial.last_result.get(scheduler.resource_attr, level)
        return _Paused(level, int(resource), scheduler.score(trial.last_result))

    def _folder(self, trial_id: int) -> Path:
        return self._tuner.backend.trial_dir(trial_id) / "checkpoint"

    def _has_checkpoint(self, trial_id: int) -> bool:
        folder = self._folder(trial_id)
        return folder.is_dir() and any(folder.iterdir())

    def _enforce(self) -> None:
        excess = len(self._paused) - self.max_num_checkpoints
        if excess <= 0:
            return
        for trial_id in self.choose_victims(excess):
            paused = self._paused.pop(trial_id)
            try:
                shutil.rmtree(self._folder(trial_id))
            except OSError as err:
                logger.warning("could not remove the checkpoint of trial %d: %s", trial_id, err)
                continue
            self._removed[trial_id] = paused.level
            self.num_checkpoints_removed += 1
            logger.debug("removed the checkpoint of paused trial %d", trial_id)

    def choose_victims(self, count: int) -> list[int]:
        """The ``count`` paused trials whose checkpoints go, by ``strategy``."""
        ids = sorted(self._paused)
        if self.strategy == "random":
            return self._rng.sample(ids, min(count, len(ids)))
        ratio = self._remaining_ratio()

        def key(tid: int) -> tuple:
            standing = self._tuner.scheduler.paused_standing(tid)
            if standing is None:  # no longer waiting for promotion: never resumed
                return (-1, 0, 0, tid)
            if self.strategy == "by_level":
                return (standing[0], -standing[1], tid)
            cost = self.expected_cost(tid, standing, ratio)  # ties: the cheaper loss first
            return (cost, self._paused[tid].resource, -standing[1], tid)

        return sorted(ids, key=key)[:count]

    def expected_cost(
        self, trial_id: int, standing: tuple[int, int, int, float], ratio: float
    ) -> float:
        """Resource used x probability of being resumed, for a paused trial with ``standing``
        ``(level, rank, n, q)`` and ``ratio`` = remaining / elapsed part of the budget."""
        level, rank, size, quantile = standing
        p_better = self.estimator_for_rung(level).posterior_mean()
        arrivals = round(size * ratio)
        probability = resume_probability(rank, size, quantile, p_better, arrivals)
        return self._paused[trial_id].resource * probability

    def _remaining_ratio(self) -> float:
        tuner = self._tuner
        ratios = []
        limit = getattr(tuner.stop_criterion, "max_num_trials_started", None)
        if limit is not None:
            started = tuner.status.num_trials_started
            ratios.append(max(limit - started, 0) / max(started, 1))
        limit = getattr(tuner.stop_criterion, "max_wallclock_time", None)
        if limit is not None:
            elapsed = tuner.elapsed
            ratios.append(max(limit - elapsed, 0.0) / max(elapsed, 1e-9))
        return min(ratios, default=1.0)

    def __repr__(self) -> str:
        return f"RemoveCheckpointsCallback({self.max_num_checkpoints}, strategy={self.strategy!r})"


def _is_real(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def _check_int(name: str, value: Any, minimum: int) -> None:
    if not isinstance(value, Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"`{name}` must be an int >= {minimum}, but got {name}={value!r}")
