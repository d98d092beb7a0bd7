"""Transfer learning from earlier tasks, as named schedulers.

Every class takes ``transfer_learning_evaluations``: task name ->
:class:`~tunesmith.searchers.transfer.TransferLearningTaskEvaluations` (built by hand, from a
table or from a stored study), with the scheduler's ``metric`` among its objectives.

* :class:`BoundingBox`: the config space shrunk to the box around the earlier tasks' best
  configs, and any scheduler run on it (Perrone et al., 2019).
* :class:`ZeroShotTransfer`: FIFO scheduling of
  :class:`~tunesmith.searchers.transfer.ZeroShotSearcher` (Wistuba et al., 2015).
* :class:`ASHACTS`: ASHA whose new configs come from
  :class:`~tunesmith.searchers.quantile.QuantileBasedSurrogateSearcher` (Copula Thompson
  sampling, Salinas et al., 2020).
* :class:`RUSH`: ASHA with ``type="rush_stopping"`` or ``"rush_promotion"``: earlier tasks'
  best configs first, their values as thresholds (Zappella et al., 2021; see
  :mod:`tunesmith.schedulers.rush`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tunesmith.domains import Categorical, Domain, Float, Integer, ReverseLogFloat, _Finite
from tunesmith.schedulers.base import Scheduler
from tunesmith.schedulers.fifo import FIFOScheduler
from tunesmith.schedulers.hyperband import HyperbandScheduler
from tunesmith.schedulers.rush import hurdle_points
from tunesmith.searchers.quantile import QuantileBasedSurrogateSearcher
from tunesmith.searchers.random import RandomSearcher
from tunesmith.searchers.transfer import (
    TransferLearningTaskEvaluations,
    ZeroShotSearcher,
    check_evaluations,
    top_configs_per_task,
)
from tunesmith.space import check_space, ordinal
from tunesmith.trial import Decision, Suggestion, Trial

__all__ = ["ASHACTS", "RUSH", "BoundingBox", "ZeroShotTransfer", "bounding_box"]

Evaluations = Mapping[str, TransferLearningTaskEvaluations]


def _narrowed(domain: Domain, values: list[Any]) -> Any:
    """``domain`` restricted to the smallest part holding ``values`` (a constant when that is
    one value)."""
    if isinstance(domain, Categorical):
        kept = [c for c in domain.categories if c in values]
        return kept[0] if len(kept) == 1 else type(domain)(kept)
    if isinstance(domain, _Finite):
        index = [domain.index(v) for v in values]
        lo, hi = min(index), max(index)
        return domain.values[lo] if lo == hi else ordinal(domain.values[lo : hi + 1])
    lo, hi = min(values), max(values)
    if lo == hi:
        return lo
    if isinstance(domain, ReverseLogFloat):
        return ReverseLogFloat(lo, hi)
    if isinstance(domain, Float):
        return Float(lo, hi, log=domain.log)
    if isinstance(domain, Integer):
        return Integer(int(lo), int(hi), log=domain.log)
    return domain  # an unknown kind: kept whole


def bounding_box(
    config_space: Mapping[str, Any],
    transfer_learning_evaluations: Evaluations,
    *,
    metric: str,
    mode: str = "min",
    num_hyperparameters_per_task: int = 1,
) -> dict[str, Any]:
    """The config space restricted to the box of the best ``num_hyperparameters_per_task``
    configs of each earlier task: numbers between the least and the largest of them, ordered
    values between the first and last of them, categories to those seen (Perrone, Shen,
    Seeger, Archambeau, Jenatton, 2019). Configs that do not fit the space are left out."""
    space = check_space(config_space)
    evaluations = check_evaluations(transfer_learning_evaluations, metric)
    per_task = top_configs_per_task(
        evaluations, num_hyperparameters_per_task, metric=metric, mode=mode, config_space=space
    )
    best = [config for configs in per_task.values() for config in configs]
    if not best:
        raise ValueError(
            "no config of the earlier tasks fits the config space, so there is no box to "
            "restrict it to"
        )
    out = dict(space)
    for name, domain in space.items():
        if isinstance(domain, Domain):
            out[name] = _narrowed(domain, [config[name] for config in best])
    return out


class BoundingBox(Scheduler):
    """Any scheduler run on the config space restricted to the bounding box of the earlier
    tasks' best configs (see :func:`bounding_box`; Perrone et al., 2019, "Learning search
    spaces for Bayesian optimization: Another view of hyperparameter transfer learning",
    NeurIPS).

    ``scheduler_fun(new_config_space, mode, metric)`` builds the scheduler that runs (give it
    its seed and other arguments there). Every call goes to it; ``config_space`` is the
    original space, ``box`` the restricted one.
    """

    def __init__(
        self,
        scheduler_fun: Callable[[dict[str, Any], str, str], Scheduler],
        config_space: Mapping[str, Any],
        *,
        metric: str,
        transfer_learning_evaluations: Evaluations,
        mode: str = "min",
        num_hyperparameters_per_task: int = 1,
    ):
        super().__init__(metric=metric, mode=mode)
        if not callable(scheduler_fun):
            raise TypeError(
                "`scheduler_fun` must be a function (config_space, mode, metric) -> scheduler, "
                f"but got scheduler_fun={scheduler_fun!r}"
            )
        self.config_space = check_space(config_space)
        self.box = bounding_box(
            self.config_space,
            transfer_learning_evaluations,
            metric=self.metric,
            mode=self.mode,
            num_hyperparameters_per_task=num_hyperparameters_per_task,
        )
        scheduler = scheduler_fun(dict(self.box), self.mode, self.metric)
        if not isinstance(scheduler, Scheduler):
            raise TypeError(f"`scheduler_fun` must return a Scheduler, but returned {scheduler!r}")
        if (scheduler.metric, scheduler.mode) != (self.metric, self.mode):
            raise ValueError(
                f"the scheduler from `scheduler_fun` optimizes metric={scheduler.metric!r}, "
                f"mode={scheduler.mode!r}, but BoundingBox metric={self.metric!r}, "
                f"mode={self.mode!r}"
            )
        self.scheduler = scheduler
        self.pauses = getattr(scheduler, "pauses", False)
        self.random_seed = getattr(scheduler, "random_seed", None)

    def suggest(self, trial_id: int) -> Suggestion | None:
        return self.scheduler.suggest(trial_id)

    def suggest_resume(self) -> Suggestion | None:
        return self.scheduler.suggest_resume()

    def on_trial_add(self, trial: Trial) -> None:
        self.scheduler.on_trial_add(trial)

    def on_trial_result(self, trial: Trial, result: Mapping[str, Any]) -> Decision:
        return self.scheduler.on_trial_result(trial, result)

    def on_trial_complete(self, trial: Trial, result: Mapping[str, Any]) -> None:
        self.scheduler.on_trial_complete(trial, result)

    def on_trial_error(self, trial: Trial) -> None:
        self.scheduler.on_trial_error(trial)

    def on_trial_remove(self, trial: Trial) -> None:
        self.scheduler.on_trial_remove(trial)

    def state_dict(self) -> dict[str, Any]:
        return {"scheduler": self.scheduler.state_dict()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.scheduler.load_state_dict(state["scheduler"])

    def spec(self, **overrides: Any) -> dict[str, Any]:
        fn = self._init_args[1].get("scheduler_fun", (self._init_args[0] or [None])[0])
        if fn is not None and "scheduler_fun" not in overrides:
            # named by module and qualified name: a function's repr changes from run to run
            name = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"
            overrides["scheduler_fun"] = {"__repr__": f"<function {name}>"}
        overrides.setdefault("inner", self.scheduler.spec())
        return super().spec(**overrides)

    def __repr__(self) -> str:
        return f"BoundingBox({self.scheduler!r})"


class ZeroShotTransfer(FIFOScheduler):
    """Zero-shot transfer (Wistuba, Schilling, Schmidt-Thieme, 2015: "Sequential Model-Free
    Hyperparameter Tuning", ICDM): every trial runs to its end; configs come greedily from the
    earlier tasks' evaluations, each the one that most improves the mean rank of the chosen
    set (see :class:`~tunesmith.searchers.transfer.ZeroShotSearcher`), then at random.

    ``sort_transfer_learning_evaluations`` (Syne Tune) is not needed: configs are matched
    across tasks by value, whatever their order. ``use_surrogates=True``: for tasks that did not
    evaluate the same configs.
    """

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        transfer_learning_evaluations: Evaluations,
        metric: str,
        mode: str = "min",
        use_surrogates: bool = False,
        random_seed: int | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
    ):
        searcher = ZeroShotSearcher(
            config_space,
            transfer_learning_evaluations=transfer_learning_evaluations,
            metric=metric,
            mode=mode,
            use_surrogates=use_surrogates,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
            restrict_configurations=restrict_configurations,
        )
        super().__init__(config_space, searcher=searcher, metric=metric, mode=mode)


class ASHACTS(HyperbandScheduler):
    """ASHA whose new configs come from Copula Thompson sampling on earlier tasks (Salinas,
    Shen, Perrone, 2020: "A Quantile-based Approach for Hyperparameter Transfer Learning",
    ICML; see :class:`~tunesmith.searchers.quantile.QuantileBasedSurrogateSearcher`). The
    rungs and ``type`` are ASHA's (:class:`~tunesmith.schedulers.HyperbandScheduler`).
    """

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str,
        transfer_learning_evaluations: Evaluations,
        mode: str = "min",
        resource_attr: str = "epoch",
        max_t: int | None = None,
        grace_period: int = 1,
        reduction_factor: float = 3,
        type: str = "stopping",
        max_resource_attr: str | None = None,
        early_checkpoint_removal_kwargs: Mapping[str, Any] | None = None,
        normalization: str = "gaussian",
        max_fit_samples: int = 512,
        num_candidates: int = 5000,
        random_seed: int | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
    ):
        if type not in ("stopping", "promotion"):
            raise ValueError(
                f"ASHACTS's `type` must be 'stopping' or 'promotion', but got type={type!r}"
            )
        searcher = QuantileBasedSurrogateSearcher(
            config_space,
            transfer_learning_evaluations=transfer_learning_evaluations,
            metric=metric,
            mode=mode,
            normalization=normalization,
            max_fit_samples=max_fit_samples,
            num_candidates=num_candidates,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
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
            type=type,
            max_resource_attr=max_resource_attr,
            early_checkpoint_removal_kwargs=early_checkpoint_removal_kwargs,
        )


class RUSH(HyperbandScheduler):
    """RUSH (Zappella, Salinas, Archambeau, 2021: "A resource-efficient method for repeated
    HPO and NAS", AutoML workshop at ICML): ASHA where the earlier tasks' best configs
    (``num_hyperparameters_per_task`` of each, after ``custom_rush_points``) run first and set,
    at each rung, a threshold every other trial must also clear. ``type``: ``"stopping"``
    (``HyperbandScheduler(type="rush_stopping")``) or ``"promotion"`` (``"rush_promotion"``).
    ``points_to_evaluate`` run after the hurdles and set no threshold. See
    :mod:`tunesmith.schedulers.rush`.
    """

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str,
        transfer_learning_evaluations: Evaluations | None = None,
        mode: str = "min",
        resource_attr: str = "epoch",
        max_t: int | None = None,
        grace_period: int = 1,
        reduction_factor: float = 3,
        type: str = "stopping",
        max_resource_attr: str | None = None,
        early_checkpoint_removal_kwargs: Mapping[str, Any] | None = None,
        num_hyperparameters_per_task: int = 1,
        custom_rush_points: Sequence[Mapping[str, Any]] | None = None,
        random_seed: int | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
    ):
        if type not in ("stopping", "promotion"):
            raise ValueError(
                f"RUSH's `type` must be 'stopping' or 'promotion', but got type={type!r}"
            )
        searcher: Any = "random"
        if restrict_configurations is not None:
            hurdles = hurdle_points(
                check_space(config_space),
                metric=metric,
                mode=mode,
                transfer_learning_evaluations=transfer_learning_evaluations,
                num_hyperparameters_per_task=num_hyperparameters_per_task,
                custom_rush_points=custom_rush_points,
            )
            searcher = RandomSearcher(
                config_space,
                metric=metric,
                mode=mode,
                random_seed=random_seed,
                points_to_evaluate=hurdles + list(points_to_evaluate or []),
                restrict_configurations=restrict_configurations,
            )
            points_to_evaluate = None
        super().__init__(
            config_space,
            searcher=searcher,
            metric=metric,
            mode=mode,
            resource_attr=resource_attr,
            max_t=max_t,
            grace_period=grace_period,
            reduction_factor=reduction_factor,
            type=f"rush_{type}",
            max_resource_attr=max_resource_attr,
            early_checkpoint_removal_kwargs=early_checkpoint_removal_kwargs,
            random_seed=random_seed if isinstance(searcher, str) else None,
            points_to_evaluate=points_to_evaluate,
            transfer_learning_evaluations=transfer_learning_evaluations,
            num_hyperparameters_per_task=num_hyperparameters_per_task,
            custom_rush_points=custom_rush_points,
        )
