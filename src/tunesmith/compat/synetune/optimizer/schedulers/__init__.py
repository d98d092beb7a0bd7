"""``syne_tune.optimizer.schedulers``: ``FIFOScheduler`` and ``HyperbandScheduler`` with a
``searcher`` name build the native scheduler of the matching baseline (``"bayesopt"`` with
Hyperband is MOBSTER, ``"kde"`` is BOHB, ``"bore"`` is ASHABORE, ...); a tunesmith
``Searcher`` object is used as given. ``MedianStoppingRule`` wraps a scheduler with
tunesmith's rule set to Syne Tune's semantics; ``PopulationBasedTraining`` is tunesmith's PBT
with Syne Tune's defaults. :mod:`.transfer_learning` has ``TransferLearningTaskEvaluations`` and
``BoundingBox``, :mod:`.multiobjective` has ``MOASHA``."""

from __future__ import annotations

from typing import Any

from tunesmith.compat.synetune.errors import InvalidArgument, NotSupported
from tunesmith.compat.synetune.optimizer import baselines
from tunesmith.compat.synetune.optimizer._translate import (
    FIFO_KEYS,
    HYPERBAND_KEYS,
    common,
    hyperband,
    options,
)

__all__ = [
    "FIFOScheduler", "HyperbandScheduler", "MedianStoppingRule", "PopulationBasedTraining",
]  # fmt: skip

_CLOSEST = {"botorch": "searcher='bayesopt'"}
#: multi-fidelity searcher names: the baseline that runs them
_MULTI_FIDELITY = {"hypertune": "HyperTune", "dyhpo": "DyHPO"}


def _searcher_object(searcher: Any) -> bool:
    from tunesmith.searchers import Searcher

    return isinstance(searcher, Searcher)


def FIFOScheduler(config_space: dict[str, Any], **kwargs: Any) -> Any:
    """``searcher``: ``"random"`` (default), ``"grid"``, ``"bayesopt"``, ``"kde"``,
    ``"bore"``, ``"cqr"``, ``"bayesopt_constrained"`` (``search_options["constraint_attr"]``),
    ``"bayesopt_cost"`` (``search_options["cost_attr"]``), or a tunesmith ``Searcher``."""
    searcher = kwargs.pop("searcher", "random")
    if _searcher_object(searcher):
        from tunesmith.schedulers import FIFOScheduler as Native

        out = common("FIFOScheduler", kwargs, FIFO_KEYS)
        out.pop("points_to_evaluate")  # Syne Tune: set them on the searcher object
        out.pop("random_seed")
        return Native(config_space, searcher=searcher, **out)
    metric = kwargs.pop("metric", None)
    if metric is None:
        raise InvalidArgument("FIFOScheduler() missing required argument: 'metric'")
    simple = {
        "random": baselines.RandomSearch,
        "grid": baselines.GridSearch,
        "bayesopt": baselines.BayesianOptimization,
        "kde": baselines.KDE,
        "bore": baselines.BORE,
        "cqr": baselines.CQR,
    }
    if searcher in simple:
        return simple[searcher](config_space, metric, **kwargs)
    options = dict(kwargs.pop("search_options", None) or {})
    if searcher == "bayesopt_constrained":
        attr = options.pop("constraint_attr", None)
        if attr is None:
            raise ValueError(
                "searcher='bayesopt_constrained' needs search_options['constraint_attr']"
            )
        return baselines.ConstrainedBayesianOptimization(
            config_space, metric, attr, search_options=options, **kwargs
        )
    if searcher == "bayesopt_cost":
        import tunesmith.schedulers as native

        attr = options.pop("cost_attr", None)
        if attr is None:
            raise ValueError("searcher='bayesopt_cost' needs search_options['cost_attr']")
        return native.CostAwareBayesianOptimization(
            config_space, metric=metric, cost_attr=attr, mode=kwargs.get("mode", "min"),
            random_seed=kwargs.get("random_seed"),
            points_to_evaluate=kwargs.get("points_to_evaluate") or [{}],
        )  # fmt: skip
    if searcher in _MULTI_FIDELITY:
        raise ValueError(
            f"searcher={searcher!r} is multi-fidelity: use HyperbandScheduler(searcher="
            f"{searcher!r}, ...) or the {_MULTI_FIDELITY[searcher]} baseline"
        )
    if searcher in _CLOSEST:
        raise NotSupported(f"searcher={searcher!r} is not in tunesmith: use {_CLOSEST[searcher]}")
    raise ValueError(f"unknown searcher {searcher!r}")


def HyperbandScheduler(config_space: dict[str, Any], **kwargs: Any) -> Any:
    """``searcher``: ``"random"`` (ASHA; default), ``"bayesopt"`` (MOBSTER), ``"kde"``
    (BOHB), ``"bore"`` (ASHABORE), ``"cqr"`` (ASHACQR), ``"hypertune"`` (HyperTune),
    ``"dyhpo"`` (DyHPO; ``type="dyhpo"``, ``rung_system_kwargs["probability_sh"]``),
    ``"grid"``, or a tunesmith ``Searcher``."""
    searcher = kwargs.pop("searcher", "random")
    metric = kwargs.pop("metric", None)
    resource_attr = kwargs.pop("resource_attr", "epoch")
    if metric is None:
        raise InvalidArgument("HyperbandScheduler() missing required argument: 'metric'")
    if kwargs.get("type") == "pasha" and searcher == "random":
        return baselines.PASHA(config_space, metric, resource_attr, **kwargs)
    named = {
        "random": baselines.ASHA,
        "bayesopt": baselines.MOBSTER,
        "kde": baselines.BOHB,
        "bore": baselines.ASHABORE,
        "cqr": baselines.ASHACQR,
        "hypertune": baselines.HyperTune,
        "dyhpo": baselines.DyHPO,
    }
    if isinstance(searcher, str) and searcher in named:
        return named[searcher](config_space, metric, resource_attr, **kwargs)
    if searcher == "grid" or _searcher_object(searcher):
        from tunesmith.schedulers import HyperbandScheduler as Native

        full = {"metric": metric, "resource_attr": resource_attr, **kwargs}
        out = common("HyperbandScheduler", full, HYPERBAND_KEYS)
        if searcher != "grid":
            out.pop("points_to_evaluate")
        return Native(
            config_space, searcher=searcher, **out, **hyperband("HyperbandScheduler", full)
        )
    if searcher in _CLOSEST:
        raise NotSupported(f"searcher={searcher!r} is not in tunesmith: use {_CLOSEST[searcher]}")
    raise ValueError(f"unknown searcher {searcher!r}")


def MedianStoppingRule(
    scheduler: Any,
    resource_attr: str,
    running_average: bool = True,
    metric: str | None = None,
    grace_time: float = 1,
    grace_population: int = 5,
    rank_cutoff: float = 0.5,
) -> Any:
    """Syne Tune's median stopping rule on tunesmith's: its population (``"all"``), its
    ``grace_time`` (applied from ``r >= grace_time``: tunesmith's ``grace_time - 1`` for integer
    levels) and its ``rank_cutoff`` (the fraction that goes on: tunesmith's ``1 - c``)."""
    from tunesmith.schedulers import MedianStoppingRule as Native

    native = getattr(scheduler, "native", scheduler)
    if metric is not None and metric != native.metric:
        raise ValueError(f"metric={metric!r} differs from the scheduler's {native.metric!r}")
    return Native(
        native,
        resource_attr=resource_attr,
        running_average=running_average,
        grace_time=max(0, grace_time - 1),
        grace_population=grace_population,
        rank_cutoff=1 - rank_cutoff,
        population="all",
    )


#: PopulationBasedTraining's keyword arguments on top of FIFOScheduler's (Syne Tune)
_PBT_KEYS = FIFO_KEYS | {
    "resource_attr", "population_size", "perturbation_interval", "quantile_fraction",
    "resample_probability",
}  # fmt: skip


def PopulationBasedTraining(
    config_space: dict[str, Any], custom_explore_fn: Any = None, **kwargs: Any
) -> Any:
    """Syne Tune's PBT on tunesmith's :class:`~tunesmith.PopulationBasedTraining`, with Syne
    Tune's defaults (``resource_attr="time_total_s"``, ``population_size=4``,
    ``perturbation_interval=60``, ``quantile_fraction=0.25``, ``resample_probability=0.25``);
    ``max_t`` or ``max_resource_attr`` (read from the config space) ends the trials there. As in
    Syne Tune, the searcher must be ``"random"``."""
    from tunesmith.schedulers import PopulationBasedTraining as Native

    name = "PopulationBasedTraining"
    out = common(name, kwargs, _PBT_KEYS)
    if kwargs.get("searcher", "random") != "random":
        raise NotSupported(
            f"{name}: searcher={kwargs['searcher']!r} is not supported: PBT draws its "
            "configurations at random (searcher='random'), in Syne Tune as here"
        )
    _, seed = options(name, kwargs.get("search_options"), "none")
    if out["random_seed"] is None:
        out["random_seed"] = seed
    max_t = kwargs.get("max_t")
    attr = kwargs.get("max_resource_attr")
    if max_t is None and attr is not None:
        if attr not in config_space:
            raise ValueError(
                f"{name}: max_resource_attr={attr!r} is not a key of the config space "
                f"{sorted(config_space)}"
            )
        max_t = config_space[attr]
    return Native(
        config_space,
        **out,
        resource_attr=kwargs.get("resource_attr", "time_total_s"),
        max_t=max_t,
        population_size=kwargs.get("population_size", 4),
        perturbation_interval=kwargs.get("perturbation_interval", 60),
        quantile_fraction=kwargs.get("quantile_fraction", 0.25),
        resample_probability=kwargs.get("resample_probability", 0.25),
        custom_explore_fn=custom_explore_fn,
    )
