"""Hyper-Tune (Li et al., 2022) as a named scheduler: asynchronous Hyperband whose new configs
come from :class:`~tunesmith.searchers.hypertune.HyperTuneSearcher` and whose bracket
distribution is learned from the same rung-level weights."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tunesmith.schedulers.hyperband import HyperbandScheduler
from tunesmith.schedulers.rungs import make_rung_spec, resolve_max_t
from tunesmith.searchers.hypertune import HyperTuneSearcher
from tunesmith.space import check_space

__all__ = ["HyperTune"]


class HyperTune(HyperbandScheduler):
    """Hyper-Tune (Li, Shen, Jiang, Gao, Zhang, Xu, Cui, 2022: "Hyper-Tune: Towards Efficient
    Hyper-parameter Tuning at Scale", VLDB), as Syne Tune's ``HyperTune``: a
    :class:`~tunesmith.schedulers.hyperband.HyperbandScheduler` (``type``, ``brackets``,
    ``rung_system_per_bracket``, ``searcher_data`` as there) with two model-based parts, both
    driven by weights ``theta_r`` over rung levels that measure how well level ``r`` predicts
    the ordering of configs at ``r_*``, the highest level with ``min_level_observations``
    results (see :mod:`tunesmith.searchers.hypertune`):

    * new configs maximize expected improvement under the mixture of the GP's predictions at
      the levels, weighted by ``theta_r``;
    * with ``brackets > 1``, a new trial's bracket (its first rung ``r``) is drawn from
      ``P(r) = M * (theta_r / r) / sum_{r' <= r_0} (theta_r' / r')`` for ``r <= r_0 =
      min(r_*, largest first rung)``, and the default distribution ``P_0(r)`` above, where
      ``M = sum_{r <= r_0} P_0(r)``; ``P_0`` until ``r_*`` passes the lowest level.

    ``model="independent"`` (default): a GP per level sharing one kernel; ``"joint"``:
    MOBSTER's GP over (config, resource). ``num_samples`` posterior samples estimate the
    weights. Each level's model holds at most ``max_size_data_for_model=500`` results (Syne
    Tune's default; the ensemble predicts with one model per level). :attr:`theta` shows the
    current weights, :meth:`learned_bracket_probabilities` the current bracket probabilities.

    >>> from tunesmith import uniform
    >>> HyperTune({"lr": uniform(0, 1), "epochs": 9}, metric="loss", random_seed=0).rung_levels
    [1, 3]
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
        rung_levels: Sequence[int] | None = None,
        brackets: int = 1,
        rung_system_per_bracket: bool = True,
        type: str = "stopping",
        max_resource_attr: str | None = None,
        searcher_data: str = "rungs",
        early_checkpoint_removal_kwargs: Mapping[str, Any] | None = None,
        model: str = "independent",
        num_samples: int = 50,
        min_level_observations: int = 6,
        random_seed: int | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        num_init_random: int = 5,
        max_size_data_for_model: int | None = 500,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
        target_transform: str | None = None,
    ):
        space = check_space(config_space)
        top = resolve_max_t(space, max_t=max_t, max_resource_attr=max_resource_attr)
        spec = make_rung_spec(
            max_t=top,
            grace_period=grace_period,
            reduction_factor=reduction_factor,
            rung_levels=rung_levels,
        )
        searcher = HyperTuneSearcher(
            config_space,
            max_t=top,
            levels=[*spec.levels, top],
            model=model,
            num_samples=num_samples,
            min_level_observations=min_level_observations,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
            num_init_random=num_init_random,
            max_size_data_for_model=max_size_data_for_model,
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
            reduction_factor=reduction_factor,
            rung_levels=rung_levels,
            brackets=brackets,
            rung_system_per_bracket=rung_system_per_bracket,
            type=type,
            max_resource_attr=max_resource_attr,
            searcher_data=searcher_data,
            early_checkpoint_removal_kwargs=early_checkpoint_removal_kwargs,
        )
        self.searcher: HyperTuneSearcher

    @property
    def theta(self) -> dict[int, float]:
        """The rung-level weights of the last model-based suggestion (level -> weight)."""
        return dict(self.searcher.theta)

    def learned_bracket_probabilities(self) -> np.ndarray:
        """The probabilities of the brackets for the next new trial (see the class docstring)."""
        base = np.asarray(self.bracket_probabilities, dtype=float)
        theta = self.searcher.theta
        levels = self.rung_levels[: self.brackets]
        r_star = max(theta)
        if self.brackets == 1 or r_star <= levels[0]:
            return base
        r_0 = min(r_star, levels[-1])
        low = [b for b, r in enumerate(levels) if r <= r_0]
        raw = np.array([theta.get(levels[b], 0.0) / levels[b] for b in low])
        if not raw.sum() > 0:
            return base
        out = base.copy()
        out[low] = base[low].sum() * raw / raw.sum()
        return out / out.sum()

    def _draw_bracket(self) -> int:
        if self.brackets == 1:
            return 0
        return int(self._rng.choice(self.brackets, p=self.learned_bracket_probabilities()))
