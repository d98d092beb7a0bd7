"""DyHPO (Wistuba et al., 2022) as a named scheduler: promotion-type asynchronous successive
halving on linearly spaced rungs, where a free worker resumes a paused trial or starts a new
config as :class:`~tunesmith.searchers.dyhpo.DyHPOSearcher` decides."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from tunesmith.schedulers.hyperband import HyperbandScheduler
from tunesmith.schedulers.rungs import resolve_max_t
from tunesmith.searchers.dyhpo import DyHPOSearcher
from tunesmith.space import check_space
from tunesmith.trial import Suggestion

__all__ = ["DyHPO"]


class DyHPO(HyperbandScheduler):
    """DyHPO (Wistuba, Kadra, Grabocka, 2022: "Supervising the Multi-Fidelity Race of
    Hyperparameter Configurations", NeurIPS), as Syne Tune's ``DyHPO``: without the deep
    kernel, on MOBSTER's joint GP over (config, resource), with Syne Tune's hybrid rule.

    Rungs are spaced linearly: ``grace_period + k * rung_increment`` below ``max_t``. Every trial
    PAUSEs at each rung (as ``type="promotion"``). A free worker:

    * with probability ``probability_sh`` (a coin of the scheduler's generator) first tries the
      successive-halving promotion of :class:`~tunesmith.schedulers.HyperbandScheduler`
      (the best paused trial among the top ``q = r_j / r_{j+1}`` of its rung);
    * otherwise, or when none may be promoted, lets the searcher compare every paused trial
      (expected improvement at the level it would reach) with ``num_new_candidates`` random
      new configs (expected improvement at ``grace_period``): the winner is resumed or started.

    ``probability_sh=0`` is DyHPO as published, which tends to start many trials before
    resuming any (all paused trials score poorly while higher levels have no data); the
    default 0.25 is Syne Tune's. ``rung_increment=2`` is Syne Tune's default too.
    The model is used at every free worker, not only for new configs, so it is refitted less
    often than MOBSTER's (as Syne Tune's ``opt_skip_period=3`` does): at every result up to
    ``refit_until=20`` results, then when their number grew by ``refit_growth=0.3`` (30 %), on
    at most ``max_size_data_for_model=500`` results (Syne Tune's default); between refits, new
    results extend the GP's factor. ``suggest_resume()`` (no new trial may start) resumes the
    paused trial the same rule prefers among the paused ones. Decision costs: a model step at
    every free worker once the first ``num_init_random`` configs ran (see
    ``benchmarks/overhead.py``).

    >>> from tunesmith import uniform
    >>> DyHPO({"lr": uniform(0, 1), "epochs": 9}, metric="loss", random_seed=0).rung_levels
    [1, 3, 5, 7]
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
        rung_increment: int = 2,
        probability_sh: float = 0.25,
        max_resource_attr: str | None = None,
        searcher_data: str = "rungs",
        early_checkpoint_removal_kwargs: Mapping[str, Any] | None = None,
        random_seed: int | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        num_init_random: int = 5,
        num_new_candidates: int = 250,
        max_size_data_for_model: int | None = 500,
        refit_until: int = 20,
        refit_growth: float = 0.3,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
        target_transform: str | None = None,
    ):
        ok = isinstance(probability_sh, int | float) and not isinstance(probability_sh, bool)
        if not ok or not 0.0 <= probability_sh <= 1.0 or math.isnan(probability_sh):
            raise ValueError(
                "`probability_sh` must be a number in [0, 1], but got "
                f"probability_sh={probability_sh!r}"
            )
        if not isinstance(rung_increment, int) or isinstance(rung_increment, bool):
            raise ValueError(
                f"`rung_increment` must be an int >= 1, but got rung_increment={rung_increment!r}"
            )
        self.probability_sh = float(probability_sh)
        searcher = DyHPOSearcher(
            config_space,
            max_t=resolve_max_t(
                check_space(config_space), max_t=max_t, max_resource_attr=max_resource_attr
            ),
            num_new_candidates=num_new_candidates,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
            num_init_random=num_init_random,
            max_size_data_for_model=max_size_data_for_model,
            refit_until=refit_until,
            refit_growth=refit_growth,
            restrict_configurations=restrict_configurations,
            target_transform=target_transform,
        )
        super().__init__(
            config_space,
            searcher=searcher,
            metric=metric,
            mode=mode,
            resource_attr=resource_attr,
            max_t=max_t,
            grace_period=grace_period,
            rung_increment=rung_increment,
            max_resource_attr=max_resource_attr,
            type="promotion",
            searcher_data=searcher_data,
            early_checkpoint_removal_kwargs=early_checkpoint_removal_kwargs,
        )
        self.searcher: DyHPOSearcher

    # -- decisions -------------------------------------------------------------------------
    def _paused(self) -> list[tuple[int, dict[str, Any], int]]:
        """``(trial_id, config, level it reaches if resumed)`` of each paused trial, by id."""
        out = []
        for tid, _, _ in self.paused_trials():
            state = self._trials[tid]
            out.append((tid, self._configs[tid], self._next_level(state)))
        return out

    def _decide_next(self, trial_id: int | None) -> Suggestion | None:
        paused = self._paused()
        if paused and self._rng.random() < self.probability_sh:
            promoted = self._promote()
            if promoted is not None:
                return promoted
        choice = self.searcher.choose(
            paused, min_level=self.rung_levels[0], allow_new=trial_id is not None
        )
        if choice is None:
            return None
        if isinstance(choice, int):
            return self._resume_paused(choice)
        self._new_brackets[trial_id] = 0
        return Suggestion.start(choice)

    def suggest(self, trial_id: int) -> Suggestion | None:
        return self._decide_next(trial_id)

    def suggest_resume(self) -> Suggestion | None:
        return self._decide_next(None)

    def _resume_paused(self, trial_id: int) -> Suggestion:
        state = self._trials[trial_id]
        rung = self._bracket_rungs[state.bracket][state.waiting - state.bracket]
        self._unwait(trial_id, state)
        rung.promoted += 1
        state.paused_at = state.last_level
        self.searcher.pending(self._configs[trial_id], resource=self._next_level(state))
        return Suggestion.resume(trial_id)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(rung_levels={self.rung_levels}, max_t={self.max_t}, "
            f"probability_sh={self.probability_sh}, metric={self.metric!r}, mode={self.mode!r})"
        )
