"""Population based training (Jaderberg et al., 2017, "Population Based Training of Neural
Networks", arXiv:1711.09846).

A population of ``population_size`` trials trains at once. Each time a trial has trained
``perturbation_interval`` more units of ``resource_attr`` since its last check, it is ranked
against the population by its latest result: a trial in the bottom ``quantile_fraction`` is
paused and *exploits* a trial of the top ``quantile_fraction`` (the donor, drawn at random among
those whose last report came with a checkpoint): it goes on from a copy of the donor's
checkpoint with the donor's config *explored*: each hyperparameter is resampled from its domain
with probability ``resample_probability``, else a number is multiplied by 0.8 or 1.2 (an integer
moves at least one step; both stay in the domain), an ordinal value or a ``finrange`` value moves
to a neighbour, and a ``choice`` (unordered) is resampled. ``custom_explore_fn(config) ->
config`` replaces these rules. Trials stop at ``max_t``, if given.

What the tuner does with an exploit (:mod:`tunesmith.exploits`): it journals it, copies the
donor's checkpoint folder over the trial's, then resumes the trial with the new config, so
training code must read its hyperparameters from the config (never from the checkpoint), and
should write its checkpoint atomically (to a temporary file, then ``os.replace``): a donor may be
running while its checkpoint is copied. Every exploit is in the study:
:meth:`TuningResult.lineage <tunesmith.results.TuningResult.lineage>` and
:meth:`StoredStudy.lineage <tunesmith.studies.StoredStudy.lineage>` give the chain of exploits
behind a trial.

Ask/tell users copy the checkpoint themselves: a trial that ``ask()`` returns with
``trial.metadata["checkpoint_from"]`` set goes on from that trial's checkpoint.
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from collections.abc import Callable, Mapping, Sequence
from numbers import Real
from typing import Any

import numpy as np

from tunesmith.domains import Categorical, Float, Integer, _Finite
from tunesmith.schedulers.base import Scheduler
from tunesmith.schedulers.fifo import make_searcher
from tunesmith.searchers.base import Searcher
from tunesmith.space import check_space, config_errors, hyperparameters
from tunesmith.trial import Decision, Suggestion, Trial

__all__ = ["PopulationBasedTraining", "explore"]


def _check_number(name: str, value: Any, rule: str, ok: Callable[[float], bool]) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not ok(float(value)):
        raise ValueError(f"`{name}` must be {rule}, but got {name}={value!r}")
    return float(value)


def explore(
    config: Mapping[str, Any],
    config_space: Mapping[str, Any],
    rng: np.random.Generator,
    resample_probability: float,
) -> dict[str, Any]:
    """A perturbed copy of ``config`` (the rules are in the module docstring)."""
    new = dict(config)
    for name, domain in hyperparameters(config_space).items():
        value = config[name]
        if rng.random() < resample_probability or isinstance(domain, Categorical):
            new[name] = domain.sample(rng)
            continue
        up = rng.random() < 0.5
        if isinstance(domain, _Finite):
            i = domain.index(value)
            i = 0 if i is None else min(max(i + (1 if up else -1), 0), len(domain.values) - 1)
            new[name] = domain.values[i]
        elif isinstance(domain, Integer):
            moved = round(value * (1.2 if up else 0.8))
            if moved == value:
                moved = value + (1 if up else -1)
            new[name] = int(min(max(moved, domain.lower), domain.upper))
        elif isinstance(domain, Float):
            new[name] = float(min(max(value * (1.2 if up else 0.8), domain.lower), domain.upper))
        else:  # a domain of another kind: resampled
            new[name] = domain.sample(rng)
    return new


class PopulationBasedTraining(Scheduler):
    """Population based training (see the module docstring).

    ``resource_attr``: the reported training progress (e.g. ``"epoch"``), increasing within a
    trial. ``perturbation_interval``: units of it between two rankings of a trial (> 0).
    ``quantile_fraction`` in (0, 0.5]: the share of the population at the top (donors) and at
    the bottom (exploiters); with fewer than ``1 / quantile_fraction`` ranked trials, one at each
    end. Trials that trained to their end (``max_t``, or completed) are neither ranked nor
    donors: an exploiter would have nothing left to train. ``resample_probability`` in
    [0, 1]. ``searcher``: where the first population's configs come from (``"random"``,
    ``"grid"``, or a Searcher). A failed member is replaced by a new trial; once the population
    is complete, only exploits are suggested.

    >>> from tunesmith import PopulationBasedTraining, loguniform
    >>> pbt = PopulationBasedTraining({"lr": loguniform(1e-4, 1e-1)}, metric="loss",
    ...     perturbation_interval=2, population_size=4, random_seed=0)
    >>> pbt.suggest(0).config
    {'lr': 0.008144886973076106}
    """

    #: the tuner adds ``ts_checkpoint`` to results and copies checkpoints for exploits
    exploits_checkpoints = True

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str,
        mode: str = "min",
        resource_attr: str = "epoch",
        max_t: float | None = None,
        population_size: int = 4,
        perturbation_interval: float = 60,
        quantile_fraction: float = 0.25,
        resample_probability: float = 0.25,
        custom_explore_fn: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
        searcher: str | Searcher = "random",
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        random_seed: int | None = None,
    ):
        super().__init__(metric=metric, mode=mode)
        if not isinstance(resource_attr, str) or not resource_attr:
            raise ValueError(
                "`resource_attr` must be the non-empty name of the reported training progress "
                f"(e.g. 'epoch'), but got resource_attr={resource_attr!r}"
            )
        if (
            isinstance(population_size, bool)
            or not isinstance(population_size, int)
            or population_size < 2
        ):
            raise ValueError(
                "`population_size` must be an int >= 2 (PBT copies from one trial to another), "
                f"but got population_size={population_size!r}"
            )
        self.perturbation_interval = _check_number(
            "perturbation_interval", perturbation_interval, "a number > 0", lambda v: v > 0
        )
        self.quantile_fraction = _check_number(
            "quantile_fraction", quantile_fraction, "in (0, 0.5]", lambda v: 0 < v <= 0.5
        )
        self.resample_probability = _check_number(
            "resample_probability", resample_probability, "in [0, 1]", lambda v: 0 <= v <= 1
        )
        if max_t is not None:
            max_t = _check_number("max_t", max_t, "a number > 0 or None", lambda v: v > 0)
        if custom_explore_fn is not None and not callable(custom_explore_fn):
            raise ValueError(
                "`custom_explore_fn` must be a function config -> config or None, but got "
                f"custom_explore_fn={custom_explore_fn!r}"
            )
        self.config_space = check_space(config_space)
        self.searcher = make_searcher(
            searcher,
            self.config_space,
            metric=self.metric,
            mode=self.mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
        )
        self.random_seed = self.searcher.random_seed
        self.resource_attr = resource_attr
        self.max_t = max_t
        self.population_size = population_size
        self.custom_explore_fn = custom_explore_fn
        # its own generator (donors, explore), seeded from the searcher's seed
        self._rng = np.random.default_rng([int(self.random_seed or 0), 0x5B7])
        self._members: list[int] = []  # trials started from the searcher, in order
        self._out: set[int] = set()  # failed or removed: neither ranked nor donors
        self._done: set[int] = set()  # trained to the end: neither ranked nor donors
        self._configs: dict[int, dict[str, Any]] = {}  # each trial's current config
        #: per trial: [score of its last result, its resource, whether it had a checkpoint]
        self._last: dict[int, list] = {}
        self._checked_at: dict[int, float] = {}  # resource at the trial's last ranking
        self._queue: list[list[int]] = []  # [trial, donor]: paused, to exploit
        #: (score, trial id) of the ranked trials (scored, neither out, done nor waiting to
        #: exploit), sorted: kept up to date, so a decision costs O(log n), not a sort
        self._ranking: list[tuple[float, int]] = []
        self._keys: dict[int, tuple[float, int]] = {}

    # -- the scheduler contract ----------------------------------------------------------------
    def suggest(self, trial_id: int) -> Suggestion | None:
        exploit = self._next_exploit()
        if exploit is not None:
            return exploit
        if len(self._members) - len(self._out & set(self._members)) >= self.population_size:
            return None  # the population is complete: only exploits from now on
        config = self.searcher.suggest()
        return None if config is None else Suggestion.start(config)

    def suggest_resume(self) -> Suggestion | None:
        return self._next_exploit()

    def on_trial_add(self, trial: Trial) -> None:
        self.searcher.pending(trial.config)
        self._members.append(trial.trial_id)
        self._configs[trial.trial_id] = dict(trial.config)

    def on_trial_result(self, trial: Trial, result: Mapping[str, Any]) -> Decision:
        tid = trial.trial_id
        t = self._record(trial, result)
        if self.max_t is not None and t >= self.max_t:
            self._done.add(tid)
            self._rerank(tid)
            return Decision.STOP
        if t - self._checked_at.get(tid, 0.0) < self.perturbation_interval:
            return Decision.CONTINUE
        self._checked_at[tid] = t
        ranking = self._ranking
        m = len(ranking)
        if m < 2 or tid not in self._keys:
            return Decision.CONTINUE
        n = min(max(1, math.ceil(m * self.quantile_fraction)), m // 2)
        if bisect_left(ranking, self._keys[tid]) < m - n:  # not in the bottom quantile
            return Decision.CONTINUE
        last = self._last
        donors = [d for _, d in ranking[:n] if d != tid and last[d][2]]
        if not donors:  # no top trial has a checkpoint yet: nothing to exploit
            return Decision.CONTINUE
        donor = donors[int(self._rng.integers(len(donors)))]
        self._queue.append([tid, donor])
        self._rerank(tid)
        return Decision.PAUSE

    def on_trial_complete(self, trial: Trial, result: Mapping[str, Any]) -> None:
        self._record(trial, result)
        self._done.add(trial.trial_id)
        self._rerank(trial.trial_id)
        self.searcher.observe(trial.config, result)

    def on_trial_error(self, trial: Trial) -> None:
        self._drop(trial)
        self.searcher.failed(trial.config)

    def on_trial_remove(self, trial: Trial) -> None:
        self._drop(trial)
        self.searcher.failed(trial.config)

    # -- the algorithm -------------------------------------------------------------------------
    def _record(self, trial: Trial, result: Mapping[str, Any]) -> float:
        """Keep the result's score and resource; returns the resource."""
        score = self.score(result)
        if self.resource_attr not in result:
            raise ValueError(
                f"the result has no {self.resource_attr!r} (resource_attr; reported keys: "
                f"{sorted(result)}); report the training progress with it"
            )
        t = float(result[self.resource_attr])
        if not math.isfinite(t):
            raise ValueError(f"{self.resource_attr!r} must be finite, but got {t!r}")
        checkpointed = bool(result.get("ts_checkpoint", True))
        self._last[trial.trial_id] = [score, t, checkpointed]
        self._configs[trial.trial_id] = dict(trial.config)
        self._rerank(trial.trial_id)
        return t

    def _rerank(self, tid: int) -> None:
        """Put ``tid`` where it belongs in the ranking now, or take it out of it."""
        old = self._keys.pop(tid, None)
        if old is not None:
            del self._ranking[bisect_left(self._ranking, old)]
        if (
            tid in self._last
            and tid not in self._out
            and tid not in self._done
            and all(entry[0] != tid for entry in self._queue)
        ):
            key = (self._last[tid][0], tid)
            insort(self._ranking, key)
            self._keys[tid] = key

    def _next_exploit(self) -> Suggestion | None:
        while self._queue:
            tid, donor = self._queue.pop(0)
            if tid in self._out:
                continue
            if donor in self._out or donor in self._done:  # (meanwhile): go on unchanged
                self._rerank(tid)
                return Suggestion.resume(tid)
            config = self._explore(self._configs[donor])
            self._configs[tid] = config
            score, t, _ = self._last[donor]
            self._last[tid] = [score, t, True]  # the donor's model, until it reports
            self._checked_at[tid] = t
            self._rerank(tid)
            return Suggestion.resume(tid, config, checkpoint_from=donor)
        return None

    def _explore(self, config: Mapping[str, Any]) -> dict[str, Any]:
        if self.custom_explore_fn is None:
            return explore(config, self.config_space, self._rng, self.resample_probability)
        new = self.custom_explore_fn(dict(config))
        errors = config_errors(self.config_space, new)
        if errors:
            raise ValueError(
                f"custom_explore_fn returned a config outside the config space: {errors[0]} "
                f"(config={new!r})"
            )
        return dict(new)

    def _drop(self, trial: Trial) -> None:
        self._out.add(trial.trial_id)
        self._queue = [entry for entry in self._queue if entry[0] != trial.trial_id]
        self._rerank(trial.trial_id)

    # -- persistence ---------------------------------------------------------------------------
    def spec(self, **overrides: Any) -> dict[str, Any]:
        fn = self.custom_explore_fn
        if fn is not None and "custom_explore_fn" not in overrides:
            # by name: a function's repr holds its address, which changes from run to run
            name = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"
            overrides["custom_explore_fn"] = {"__repr__": f"<function {name}>"}
        return super().spec(**overrides)

    def state_dict(self) -> dict[str, Any]:
        return {
            "searcher": self.searcher.state_dict(),
            "rng": self._rng.bit_generator.state,
            "members": list(self._members),
            "out": sorted(self._out),
            "done": sorted(self._done),
            "configs": [[tid, c] for tid, c in self._configs.items()],
            "last": [[tid, *v] for tid, v in self._last.items()],
            "checked_at": [[tid, t] for tid, t in self._checked_at.items()],
            "queue": [list(e) for e in self._queue],
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.searcher.load_state_dict(state["searcher"])
        self._rng.bit_generator.state = state["rng"]
        self._members = [int(t) for t in state["members"]]
        self._out = {int(t) for t in state["out"]}
        self._done = {int(t) for t in state["done"]}
        self._configs = {int(tid): dict(c) for tid, c in state["configs"]}
        self._last = {int(tid): [float(s), float(t), bool(c)] for tid, s, t, c in state["last"]}
        self._checked_at = {int(tid): float(t) for tid, t in state["checked_at"]}
        self._queue = [[int(a), int(b)] for a, b in state["queue"]]
        self._ranking, self._keys = [], {}
        for tid in self._last:
            self._rerank(tid)

    def __repr__(self) -> str:
        return (
            f"PopulationBasedTraining(metric={self.metric!r}, mode={self.mode!r}, "
            f"population_size={self.population_size}, "
            f"perturbation_interval={self.perturbation_interval:g})"
        )
