"""Model-based search without Gaussian processes: TPE, BOHB (asynchronous and synchronous),
regularized evolution and DEHB, as named schedulers.

* :class:`TPE`: FIFO scheduling of :class:`~tunesmith.searchers.kde.KDESearcher` configs.
* :class:`REA`: FIFO scheduling of :class:`~tunesmith.searchers.evolution.RegularizedEvolution`.
* :class:`BOHB`: asynchronous Hyperband (:class:`~tunesmith.schedulers.HyperbandScheduler`)
  whose new configs come from the KDE model at the largest resource level with enough data.
* :class:`SyncBOHB`: the same model in synchronous Hyperband (Falkner et al., 2018).
* :class:`DEHB`: synchronous Hyperband whose configs after the first bracket are evolved by
  differential evolution, one subpopulation per resource level (Awad et al., 2021); during the
  first Hyperband iteration, rungs are filled by promotions as in Hyperband.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import astuple, dataclass
from typing import Any

from tunesmith.schedulers.fifo import FIFOScheduler
from tunesmith.schedulers.hyperband import HyperbandScheduler
from tunesmith.schedulers.rungs import resource_value
from tunesmith.schedulers.synchronous import SyncHyperband, _Bracket
from tunesmith.searchers.de import DifferentialEvolution
from tunesmith.searchers.evolution import (
    DEFAULT_POPULATION_SIZE,
    DEFAULT_SAMPLE_SIZE,
    RegularizedEvolution,
)
from tunesmith.searchers.kde import KDESearcher
from tunesmith.trial import Decision, Suggestion, Trial

__all__ = ["BOHB", "DEHB", "REA", "TPE", "SyncBOHB"]


def _kde(
    config_space: Mapping[str, Any],
    *,
    metric: str,
    mode: str,
    random_seed: int | None,
    points_to_evaluate: Sequence[Mapping[str, Any]] | None,
    **options: Any,
) -> KDESearcher:
    return KDESearcher(
        config_space,
        metric=metric,
        mode=mode,
        random_seed=random_seed,
        points_to_evaluate=points_to_evaluate,
        **options,
    )


class TPE(FIFOScheduler):
    """Tree-structured Parzen estimator (Bergstra, Bardenet, Bengio, Kégl, 2011: "Algorithms for
    Hyper-Parameter Optimization"), with BOHB's multivariate kernel density estimator by default
    (Falkner, Klein, Hutter, 2018): every trial runs to its end; each new config maximizes the
    ratio of the densities of good and bad configs. The arguments are those of
    :class:`~tunesmith.searchers.kde.KDESearcher` (build ``FIFOScheduler(searcher=
    KDESearcher(...))`` for the others), with two defaults of its own, measured on the HPOLib
    tables (docs/tpe.md): ``num_min_data_points=5`` (10 random configs, then the model; the good
    set holds at least 5) and ``random_fraction=0.0`` (every later config from the model).

    >>> from tunesmith import uniform
    >>> TPE({"x": uniform(0, 1)}, metric="loss", random_seed=0).suggest(0).config
    {'x': 0.6369616873214543}
    """

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str,
        mode: str = "min",
        gamma: float = 0.15,
        num_min_data_points: int | None = 5,
        num_candidates: int = 64,
        bandwidth_factor: float = 3.0,
        random_fraction: float = 0.0,
        multivariate: bool = True,
        random_seed: int | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
    ):
        searcher = _kde(
            config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
            gamma=gamma,
            num_min_data_points=num_min_data_points,
            num_candidates=num_candidates,
            bandwidth_factor=bandwidth_factor,
            random_fraction=random_fraction,
            multivariate=multivariate,
            restrict_configurations=restrict_configurations,
        )
        super().__init__(config_space, searcher=searcher, metric=metric, mode=mode)


class REA(FIFOScheduler):
    """Regularized evolution (Real, Aggarwal, Huang, Le, 2019: "Regularized Evolution for Image
    Classifier Architecture Search"): every trial runs to its end; new configs mutate one
    hyperparameter of the best of ``sample_size`` members of the population of the
    ``population_size`` latest results. The defaults (30 and 10; Syne Tune's are 100 and 10)
    evolve 70 of a 100-evaluation budget: see
    :class:`~tunesmith.searchers.evolution.RegularizedEvolution`; for REA inside Hyperband pass
    that searcher to :class:`~tunesmith.schedulers.HyperbandScheduler`.
    """

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str,
        mode: str = "min",
        population_size: int = DEFAULT_POPULATION_SIZE,
        sample_size: int = DEFAULT_SAMPLE_SIZE,
        random_seed: int | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
    ):
        searcher = RegularizedEvolution(
            config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
            population_size=population_size,
            sample_size=sample_size,
            restrict_configurations=restrict_configurations,
        )
        super().__init__(config_space, searcher=searcher, metric=metric, mode=mode)


class BOHB(HyperbandScheduler):
    """Asynchronous BOHB: asynchronous Hyperband (ASHA's rungs, ``brackets``,
    ``rung_system_per_bracket`` and ``type`` as in
    :class:`~tunesmith.schedulers.HyperbandScheduler`) whose new configs come from
    :class:`~tunesmith.searchers.kde.KDESearcher`, fitted at the largest rung level with at
    least ``num_min_data_points`` results (Falkner, Klein, Hutter, 2018: "BOHB: Robust and
    Efficient Hyperparameter Optimization at Scale"; asynchronous as Syne Tune's ``BOHB``).
    Running trials are pending evaluations of the model at their next rung.
    ``early_checkpoint_removal_kwargs``: see :class:`~tunesmith.schedulers.HyperbandScheduler`.
    """

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str,
        mode: str = "min",
        resource_attr: str = "epoch",
        max_t: int | None = None,
        grace_period: int = 1,
        reduction_factor: float = 3,
        brackets: int = 1,
        rung_system_per_bracket: bool = True,
        type: str = "stopping",
        max_resource_attr: str | None = None,
        searcher_data: str = "rungs",
        early_checkpoint_removal_kwargs: Mapping[str, Any] | None = None,
        gamma: float = 0.15,
        num_min_data_points: int | None = None,
        num_candidates: int = 64,
        bandwidth_factor: float = 3.0,
        random_fraction: float = 1 / 3,
        multivariate: bool = True,
        random_seed: int | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
    ):
        searcher = _kde(
            config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
            gamma=gamma,
            num_min_data_points=num_min_data_points,
            num_candidates=num_candidates,
            bandwidth_factor=bandwidth_factor,
            random_fraction=random_fraction,
            multivariate=multivariate,
            restrict_configurations=restrict_configurations,
        )
        super().__init__(
            config_space,
            searcher=searcher,
            metric=metric,
            mode=mode,
            resource_attr=resource_attr,
            max_t=max_t,
            grace_period=grace_period,
            reduction_factor=reduction_factor,
            brackets=brackets,
            rung_system_per_bracket=rung_system_per_bracket,
            type=type,
            max_resource_attr=max_resource_attr,
            searcher_data=searcher_data,
            early_checkpoint_removal_kwargs=early_checkpoint_removal_kwargs,
        )


class SyncBOHB(SyncHyperband):
    """BOHB (Falkner, Klein, Hutter, 2018: "BOHB: Robust and Efficient Hyperparameter
    Optimization at Scale"): synchronous Hyperband (brackets and rungs of
    :class:`~tunesmith.schedulers.SyncHyperband`) whose new configs come from
    :class:`~tunesmith.searchers.kde.KDESearcher`, fitted at the largest rung level with at
    least ``num_min_data_points`` results; random until one has. Promotions are Hyperband's.
    """

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str,
        mode: str = "min",
        resource_attr: str = "epoch",
        max_t: int | None = None,
        grace_period: int = 1,
        reduction_factor: float = 3,
        brackets: int | None = None,
        max_resource_attr: str | None = None,
        gamma: float = 0.15,
        num_min_data_points: int | None = None,
        num_candidates: int = 64,
        bandwidth_factor: float = 3.0,
        random_fraction: float = 1 / 3,
        multivariate: bool = True,
        random_seed: int | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
    ):
        searcher = _kde(
            config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
            gamma=gamma,
            num_min_data_points=num_min_data_points,
            num_candidates=num_candidates,
            bandwidth_factor=bandwidth_factor,
            random_fraction=random_fraction,
            multivariate=multivariate,
            restrict_configurations=restrict_configurations,
        )
        super().__init__(
            config_space,
            searcher=searcher,
            metric=metric,
            mode=mode,
            resource_attr=resource_attr,
            max_t=max_t,
            grace_period=grace_period,
            reduction_factor=reduction_factor,
            brackets=brackets,
            max_resource_attr=max_resource_attr,
        )


# -- DEHB ------------------------------------------------------------------------------------------


@dataclass
class _Job:
    """A trial whose result at ``level`` goes into the selection against slot ``slot``."""

    level: int
    slot: int
    vector: list[float]
    filled: bool = False


class DEHB(SyncHyperband):
    """Differential evolution Hyperband (Awad, Mallik, Hutter, 2021: "DEHB: Evolutionary
    Hyperband for Scalable, Robust and Efficient Hyperparameter Optimization", IJCAI).

    The brackets and rungs are :class:`~tunesmith.schedulers.SyncHyperband`'s (``bracket_table``)
    and so is the scheduling on asynchronous workers. There is one subpopulation per rung level,
    with as many slots as the largest rung at that level (``population_sizes``). Each trial is
    matched against one slot of the subpopulation at its rung level, its *target*; the slots
    are taken in turn (a counter per level, cycling).

    * The first bracket starts random configs (``points_to_evaluate`` first).
    * During the first Hyperband iteration (the first ``brackets`` brackets), the rungs above a
      bracket's first are filled as synchronous successive halving does: the best trials of the
      rung below are promoted and resume from their checkpoints. So the subpopulations of all
      levels fill at the cost of plain Hyperband.
    * Every other trial is a new config, evolved on the unit encoding
      (:class:`~tunesmith.searchers.de.DifferentialEvolution`): a ``rand/1`` mutant of a parent
      set, crossed over with the trial's target. Parents: at a bracket's first rung, the best
      ``n_0`` members of the subpopulation at that level; at a later rung ``i``, the best
      ``n_i`` members of the subpopulation one level below (filled by the rung before). Fewer
      than three are topped up from all subpopulations.
    * Selection: the trial's result at its level replaces the target if it is at least as good.
      After the first iteration, trials of a rung below a bracket's top are STOPped at their
      level: their configs never go on, evolved children do.

    ``mutation_factor`` and ``crossover_probability`` are DE's ``F`` and ``p``.
    ``restrict_configurations`` (a tabulated benchmark's configs) makes each evolved vector the
    nearest of those configs not tried yet.
    """

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str,
        mode: str = "min",
        resource_attr: str = "epoch",
        max_t: int | None = None,
        grace_period: int = 1,
        reduction_factor: float = 3,
        brackets: int | None = None,
        max_resource_attr: str | None = None,
        mutation_factor: float = 0.5,
        crossover_probability: float = 0.5,
        random_seed: int | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
    ):
        searcher = DifferentialEvolution(
            config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
            mutation_factor=mutation_factor,
            crossover_probability=crossover_probability,
            restrict_configurations=restrict_configurations,
        )
        super().__init__(
            config_space,
            searcher=searcher,
            metric=metric,
            mode=mode,
            resource_attr=resource_attr,
            max_t=max_t,
            grace_period=grace_period,
            reduction_factor=reduction_factor,
            brackets=brackets,
            max_resource_attr=max_resource_attr,
        )
        self.searcher: DifferentialEvolution
        sizes: dict[int, int] = {}
        for rungs in self.bracket_table:
            for n, level in rungs:
                sizes[level] = max(sizes.get(level, 0), n)
        #: slots of the subpopulation at each rung level
        self.population_sizes = dict(sorted(sizes.items()))
        # level -> slots, each None or [vector, score to minimize]
        self._pop: dict[int, list[list | None]] = {
            level: [None] * n for level, n in self.population_sizes.items()
        }
        self._next_slot = dict.fromkeys(self.population_sizes, 0)  # level -> next target
        self._jobs: dict[int, _Job] = {}

    # -- inspection ------------------------------------------------------------------------
    def subpopulation(self, level: int) -> list[tuple[dict[str, Any], float] | None]:
        """The members at rung level ``level``: ``(config, metric value)`` per slot, or None for
        a slot not filled yet."""
        sign = 1.0 if self.mode == "min" else -1.0
        return [
            None if slot is None else (self.searcher.decode(slot[0]), sign * slot[1])
            for slot in self._pop[level]
        ]

    def _promoting(self, bracket: _Bracket) -> bool:
        """Whether the bracket's rungs above its first are filled by promotions."""
        return bracket.id < self.brackets

    # -- jobs --------------------------------------------------------------------------------
    def _job(self, bracket: _Bracket, trial_id: int) -> Suggestion | None:
        if bracket.id == 0 and bracket.rung == 0:  # random configs
            suggestion = super()._job(bracket, trial_id)
            if suggestion is not None:
                self._assign(trial_id, bracket.levels[0], self.searcher.encode(suggestion.config))
            return suggestion
        if bracket.rung > 0 and self._promoting(bracket):
            return self._resume(bracket)
        return self._evolved_job(bracket, trial_id)

    def _resume(self, bracket: _Bracket) -> Suggestion | None:
        if not self._promoting(bracket):
            return None  # such rungs start evolved configs instead
        suggestion = super()._resume(bracket)
        if suggestion is not None:
            tid = suggestion.resume_trial_id
            self._assign(tid, bracket.levels[bracket.rung], self._jobs[tid].vector)
        return suggestion

    def _assign(self, tid: int, level: int, vector: list[float]) -> None:
        slot = self._next_slot[level]
        self._next_slot[level] = (slot + 1) % self.population_sizes[level]
        self._jobs[tid] = _Job(level, slot, vector)

    def _best_members(self, level: int, n: int) -> list[list[float]]:
        members = sorted(
            (entry[1], i) for i, entry in enumerate(self._pop[level]) if entry is not None
        )
        return [self._pop[level][i][0] for _, i in members[:n]]

    def _evolved_job(self, bracket: _Bracket, trial_id: int) -> Suggestion | None:
        rung, level = bracket.rung, bracket.levels[bracket.rung]
        if rung == 0:
            if self._exhausted or bracket.started >= bracket.sizes[0]:
                return None
            parents = self._best_members(level, bracket.sizes[0])
        else:
            if not bracket.todo:
                return None
            parents = self._best_members(bracket.levels[rung - 1], bracket.sizes[rung])
        slot = self._next_slot[level]
        target = self._pop[level][slot]
        pool = [s[0] for slots in self._pop.values() for s in slots if s is not None]
        child = self.searcher.evolve(parents, None if target is None else target[0], pool)
        if child is None:
            self._on_exhausted(bracket)
            return None
        config, vector = child
        if rung == 0:
            bracket.started += 1
        else:
            self._forget(bracket.todo.pop(0))  # a promotion slot, filled by a new trial
        bracket.running.add(trial_id)
        self._trials[trial_id] = [bracket.id, 0, 0, 0]
        self._assign(trial_id, level, vector)
        return Suggestion.start(config)

    def _on_exhausted(self, bracket: _Bracket) -> None:
        """No new config is left: shrink the brackets filling rung 0 (as SyncHyperband does) and
        give up the jobs of this rung that did not start."""
        self._exhausted = True
        for other in list(self._active):
            self._shrink(other)
        if bracket.rung > 0 and bracket.todo:
            bracket.sizes[bracket.rung] -= len(bracket.todo)
            for tid in bracket.todo:
                self._forget(tid)
            bracket.todo = []
            self._check_rung(bracket)

    # -- results -----------------------------------------------------------------------------
    def on_trial_result(self, trial: Trial, result: Mapping[str, Any]) -> Decision:
        job = self._jobs.get(trial.trial_id)
        bracket = self._bracket(self._trials.get(trial.trial_id))
        decision = super().on_trial_result(trial, result)
        if job is not None and not job.filled:
            level = resource_value(result, self.resource_attr)
            if job.level <= level <= self.max_t:
                self._fill(job, self.score(result))
        if decision is Decision.PAUSE and bracket is not None and not self._promoting(bracket):
            return Decision.STOP
        return decision

    def on_trial_complete(self, trial: Trial, result: Mapping[str, Any]) -> None:
        job = self._jobs.get(trial.trial_id)
        super().on_trial_complete(trial, result)
        level = resource_value(result, self.resource_attr)
        if job is not None and not job.filled and level >= job.level:
            self._fill(job, self.score(result))

    def _fill(self, job: _Job, score: float) -> None:
        """Selection: the trial's result against the target in its slot."""
        job.filled = True
        slots = self._pop[job.level]
        target = slots[job.slot]
        if target is None or score <= target[1]:
            slots[job.slot] = [job.vector, score]

    def _forget(self, tid: int) -> None:
        super()._forget(tid)
        self._jobs.pop(tid, None)

    # -- state -------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["dehb"] = {
            "population": [[level, slots] for level, slots in self._pop.items()],
            "next_slot": [[level, slot] for level, slot in self._next_slot.items()],
            "jobs": [[tid, *astuple(job)] for tid, job in self._jobs.items()],
        }
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        super().load_state_dict(state)
        dehb = state["dehb"]
        self._pop = {
            int(level): [None if s is None else list(s) for s in slots]
            for level, slots in dehb["population"]
        }
        self._next_slot = {int(level): int(slot) for level, slot in dehb["next_slot"]}
        self._jobs = {int(row[0]): _Job(*row[1:]) for row in dehb["jobs"]}

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(max_t={self.max_t}, brackets={self.brackets}, "
            f"population_sizes={self.population_sizes}, metric={self.metric!r}, "
            f"mode={self.mode!r})"
        )
