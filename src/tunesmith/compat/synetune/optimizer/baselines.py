"""``syne_tune.optimizer.baselines``: each name builds the native tunesmith scheduler it maps
to (``ASHA(...)`` returns a :class:`tunesmith.ASHA`), to pass to
:class:`~tunesmith.compat.synetune.Tuner` (or to the native :class:`tunesmith.Tuner`).

Mapped: ``RandomSearch``, ``GridSearch``, ``BayesianOptimization``, ``KDE`` (``TPE``), ``REA``,
``ConstrainedBayesianOptimization``, ``BORE``, ``CQR``; ``ASHA`` (``HyperbandScheduler``
where ASHA's arguments do not suffice, e.g. ``brackets > 1``), ``MOBSTER``, ``HyperTune``,
``DyHPO``, ``PASHA``, ``BOHB``, ``ASHABORE``, ``ASHACQR``; ``SyncHyperband``, ``SyncBOHB``,
``SyncMOBSTER``, ``DEHB``; the multi-objective ``MORandomScalarizationBayesOpt``,
``MOLinearScalarizationBayesOpt``, ``NSGA2``, ``MOREA``; the transfer-learning
``ZeroShotTransfer`` and ``ASHACTS``. ``BoTorch`` and ``create_gaussian_process_estimator``
raise :class:`NotSupported` naming the closest tunesmith method. Arguments, their translation
and Syne Tune's defaults: :mod:`._translate` and docs/migrate-synetune.md.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping
from typing import Any

from tunesmith.compat.synetune.errors import InvalidArgument, NotSupported
from tunesmith.compat.synetune.optimizer._translate import (
    FIFO_KEYS,
    HYPERBAND_KEYS,
    SYNC_KEYS,
    common,
    hyperband,
    no_searcher,
    options,
    sync,
)

logger = logging.getLogger("tunesmith")

__all__ = [
    "ASHA", "ASHABORE", "ASHACQR", "ASHACTS", "BOHB", "BORE", "CQR", "DEHB", "KDE", "MOBSTER",
    "MOREA", "NSGA2", "PASHA", "REA", "BayesianOptimization", "BoTorch",
    "ConstrainedBayesianOptimization", "DyHPO", "GridSearch", "HyperTune",
    "MOLinearScalarizationBayesOpt", "MORandomScalarizationBayesOpt", "RandomSearch",
    "SyncBOHB", "SyncHyperband", "SyncMOBSTER", "ZeroShotTransfer",
    "create_gaussian_process_estimator",
]  # fmt: skip

#: Hyperband arguments a native class may lack, with the value that makes them moot
_MOOT = {
    "rung_levels": None,
    "rung_increment": None,
    "brackets": 1,
    "type": "stopping",
    "cost_attr": None,
    "searcher_data": "rungs",
    "rung_system_per_bracket": False,
    "cutoff": "interpolated",
}


def _native(name: str) -> Any:
    import tunesmith.schedulers as schedulers

    return getattr(schedulers, name)


def _moot(key: str, value: Any, kwargs: Mapping[str, Any]) -> bool:
    if key == "rung_system_per_bracket":
        # a class without the argument keeps one rung system per bracket (True); Syne Tune's
        # default, one shared by the brackets (False), is the same only with one bracket
        return bool(value) or kwargs.get("brackets", 1) == 1
    return key == "cutoff" or (key in _MOOT and value == _MOOT[key])


def _fit(name: str, cls: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` without the Hyperband arguments ``cls`` does not take, where they are moot;
    ``NotSupported`` for one that is not (``cutoff`` is dropped: those classes compare ranks)."""
    accepted = set(inspect.signature(cls).parameters)
    out = {}
    for key, value in kwargs.items():
        if key in accepted:
            out[key] = value
        elif _moot(key, value, kwargs):
            continue
        elif key == "rung_system_per_bracket":
            logger.warning(
                "%s: tunesmith.%s keeps one rung system per bracket; with brackets=%s its "
                "decisions differ from Syne Tune's, whose brackets share one "
                "(rung_system_per_bracket=False); tunesmith.HyperbandScheduler takes "
                "rung_system_per_bracket=False",
                name,
                cls.__name__,
                kwargs.get("brackets"),
            )
        else:
            raise NotSupported(
                f"{name}: {key}={value!r} is not supported by tunesmith.{cls.__name__}; "
                "tunesmith.HyperbandScheduler takes it (with searcher='random', 'bayesopt', "
                "'kde', ...)"
            )
    return out


def _fifo(
    name: str, metric: Any, kwargs: Mapping[str, Any], kind: str, extra: Mapping[str, Any] = ()
) -> dict[str, Any]:
    no_searcher(name, kwargs)
    out = common(name, {"metric": metric, **kwargs}, FIFO_KEYS)
    opts, seed = options(name, kwargs.get("search_options"), kind)
    if out["random_seed"] is None:
        out["random_seed"] = seed
    return {**out, **opts, **dict(extra)}


def _hb(name: str, metric: Any, resource_attr: str, kwargs: Mapping[str, Any], kind: str):
    no_searcher(name, kwargs)
    full = {"metric": metric, "resource_attr": resource_attr, **kwargs}
    out = common(name, full, HYPERBAND_KEYS)
    opts, seed = options(name, kwargs.get("search_options"), kind)
    if out["random_seed"] is None:
        out["random_seed"] = seed
    return {**out, **hyperband(name, full), **opts}


def _sync(name: str, metric: Any, resource_attr: str, kwargs: Mapping[str, Any], kind: str):
    no_searcher(name, kwargs)
    full = {"metric": metric, "resource_attr": resource_attr, **kwargs}
    out = common(name, full, SYNC_KEYS)
    opts, seed = options(name, kwargs.get("search_options"), kind)
    if out["random_seed"] is None:
        out["random_seed"] = seed
    return {**out, **sync(name, full), **opts}


# -- single fidelity -------------------------------------------------------------------------


def RandomSearch(config_space: dict[str, Any], metric: Any, **kwargs: Any) -> Any:
    """Random search: :class:`tunesmith.RandomSearch`."""
    return _native("RandomSearch")(config_space, **_fifo("RandomSearch", metric, kwargs, "random"))


def GridSearch(config_space: dict[str, Any], metric: Any, **kwargs: Any) -> Any:
    """Grid search: :class:`tunesmith.GridSearch` with Syne Tune's grid (bin centres,
    ``centred=True``)."""
    kw = _fifo("GridSearch", metric, kwargs, "grid", {"centred": True})
    return _native("GridSearch")(config_space, **kw)


def BayesianOptimization(config_space: dict[str, Any], metric: Any, **kwargs: Any) -> Any:
    """GP-based Bayesian optimization: :class:`tunesmith.BayesianOptimization`."""
    kw = _fifo("BayesianOptimization", metric, kwargs, "bayesopt")
    return _native("BayesianOptimization")(config_space, **kw)


def KDE(config_space: dict[str, Any], metric: Any, **kwargs: Any) -> Any:
    """Single-fidelity BOHB (kernel density estimators): :class:`tunesmith.TPE`."""
    return _native("TPE")(config_space, **_fifo("KDE", metric, kwargs, "kde"))


def REA(
    config_space: dict[str, Any],
    metric: Any,
    population_size: int = 100,
    sample_size: int = 10,
    random_seed: int | None = None,
    **kwargs: Any,
) -> Any:
    """Regularized evolution: :class:`tunesmith.REA`."""
    kw = _fifo("REA", metric, {**kwargs, "random_seed": random_seed}, "none")
    return _native("REA")(
        config_space, population_size=population_size, sample_size=sample_size, **kw
    )


def ConstrainedBayesianOptimization(
    config_space: dict[str, Any], metric: Any, constraint_attr: str, **kwargs: Any
) -> Any:
    """Constrained BO (feasible where ``constraint_attr <= 0``):
    :class:`tunesmith.ConstrainedBayesianOptimization`."""
    kw = _fifo("ConstrainedBayesianOptimization", metric, kwargs, "bayesopt")
    kw.pop("acquisition", None)
    return _native("ConstrainedBayesianOptimization")(
        config_space, constraint_attr=constraint_attr, **kw
    )


# -- asynchronous multi-fidelity -------------------------------------------------------------


def ASHA(config_space: dict[str, Any], metric: Any, resource_attr: str, **kwargs: Any) -> Any:
    """Asynchronous successive halving: :class:`tunesmith.ASHA`, or
    :class:`tunesmith.HyperbandScheduler` for what ASHA does not take (``brackets > 1``,
    ``rung_levels``, ``rung_increment``, ``cost_attr``, other ``type`` values)."""
    kw = _hb("ASHA", metric, resource_attr, kwargs, "random")
    asha = _native("ASHA")
    accepted = set(inspect.signature(asha).parameters)
    fits = kw["type"] in ("stopping", "promotion") and all(
        key in accepted or value == _MOOT.get(key, object()) for key, value in kw.items()
    )
    if fits:
        return asha(config_space, **{k: v for k, v in kw.items() if k in accepted})
    return _native("HyperbandScheduler")(config_space, **kw)


def MOBSTER(config_space: dict[str, Any], metric: Any, resource_attr: str, **kwargs: Any) -> Any:
    """Model-based ASHA (Gaussian process): :class:`tunesmith.MOBSTER`
    (``search_options["model"]``: ``"gp_multitask"`` is its ``"joint"``, ``"gp_independent"``
    its ``"independent"``)."""
    cls = _native("MOBSTER")
    kw = _hb("MOBSTER", metric, resource_attr, kwargs, "mobster")
    return cls(config_space, **_fit("MOBSTER", cls, kw))


def HyperTune(config_space: dict[str, Any], metric: Any, resource_attr: str, **kwargs: Any) -> Any:
    """Hyper-Tune: :class:`tunesmith.HyperTune` (``search_options["model"]``:
    ``"gp_independent"``, the default, or ``"gp_multitask"``, its ``"joint"``)."""
    cls = _native("HyperTune")
    kw = _hb("HyperTune", metric, resource_attr, kwargs, "mobster")
    return cls(config_space, **_fit("HyperTune", cls, kw))


def DyHPO(
    config_space: dict[str, Any],
    metric: Any,
    resource_attr: str,
    probability_sh: float | None = None,
    **kwargs: Any,
) -> Any:
    """DyHPO (GP surrogate, Syne Tune's hybrid rule): :class:`tunesmith.DyHPO`; linear rungs
    (``rung_increment``, default 2), so ``reduction_factor`` is not taken. ``type`` can only be
    ``"dyhpo"``; ``rung_system_kwargs["probability_sh"]`` is ``probability_sh``."""
    cls = _native("DyHPO")
    kwargs = dict(kwargs)
    if kwargs.pop("type", "dyhpo") != "dyhpo":
        raise InvalidArgument("DyHPO: must have type='dyhpo' (or no type)")
    extra = dict(kwargs.pop("rung_system_kwargs", None) or {})
    if probability_sh is None:
        probability_sh = extra.get("probability_sh")
    extra.pop("probability_sh", None)
    if extra:
        raise NotSupported(
            f"DyHPO: rung_system_kwargs {sorted(extra)} are not supported "
            "(tunesmith.DyHPO takes probability_sh)"
        )
    kw = _hb("DyHPO", metric, resource_attr, kwargs, "mobster")
    if "reduction_factor" not in kwargs:
        kw.pop("reduction_factor", None)
    if kw.get("rung_increment") is None:
        kw.pop("rung_increment", None)  # tunesmith's DyHPO has Syne Tune's default, 2
    if probability_sh is not None:
        kw["probability_sh"] = probability_sh
    return cls(config_space, **_fit("DyHPO", cls, kw))


def PASHA(config_space: dict[str, Any], metric: Any, resource_attr: str, **kwargs: Any) -> Any:
    """Progressive ASHA: :class:`tunesmith.PASHA`."""
    cls = _native("PASHA")
    kw = _hb("PASHA", metric, resource_attr, kwargs, "random")
    if kw.get("type") == "stopping" and "type" not in kwargs:
        kw.pop("type")  # PASHA is a promotion type; Syne Tune sets it itself
    return cls(config_space, **_fit("PASHA", cls, kw))


def BOHB(config_space: dict[str, Any], metric: Any, resource_attr: str, **kwargs: Any) -> Any:
    """Asynchronous BOHB (ASHA with kernel density estimators): :class:`tunesmith.BOHB`."""
    cls = _native("BOHB")
    kw = _hb("BOHB", metric, resource_attr, kwargs, "kde")
    return cls(config_space, **_fit("BOHB", cls, kw))


# -- synchronous multi-fidelity --------------------------------------------------------------


def SyncHyperband(
    config_space: dict[str, Any], metric: Any, resource_attr: str, **kwargs: Any
) -> Any:
    """Synchronous Hyperband: :class:`tunesmith.SyncHyperband` with Syne Tune's bracket layout
    (``bracket_rule="geometric"``); ``brackets=None``: as many as fit."""
    kw = _sync("SyncHyperband", metric, resource_attr, kwargs, "none")
    return _native("SyncHyperband")(config_space, bracket_rule="geometric", **kw)


def SyncBOHB(config_space: dict[str, Any], metric: Any, resource_attr: str, **kwargs: Any) -> Any:
    """Synchronous BOHB: :class:`tunesmith.SyncBOHB` (the paper's bracket layout; tunesmith's
    SyncBOHB has no geometric one)."""
    kw = _sync("SyncBOHB", metric, resource_attr, kwargs, "kde")
    return _native("SyncBOHB")(config_space, **kw)


def SyncMOBSTER(
    config_space: dict[str, Any], metric: Any, resource_attr: str, **kwargs: Any
) -> Any:
    """Synchronous MOBSTER: :class:`tunesmith.SyncMOBSTER` with Syne Tune's bracket layout
    (``bracket_rule="geometric"``)."""
    cls = _native("SyncMOBSTER")
    kw = _sync("SyncMOBSTER", metric, resource_attr, kwargs, "mobster")
    return cls(config_space, bracket_rule="geometric", **_fit("SyncMOBSTER", cls, kw))


def DEHB(config_space: dict[str, Any], metric: Any, resource_attr: str, **kwargs: Any) -> Any:
    """Differential evolution Hyperband: :class:`tunesmith.DEHB`."""
    kw = _sync("DEHB", metric, resource_attr, kwargs, "none")
    return _native("DEHB")(config_space, **kw)


# -- model-based with other surrogates (BORE, CQR) ------------------------------------------


def _native_searcher(name: str) -> Any:
    import tunesmith.searchers as searchers

    return getattr(searchers, name)


def _moot_options(name: str, kw: dict[str, Any], moot: Mapping[str, Any]) -> None:
    """Drop the arguments of ``moot`` at their moot value from ``kw``; ``NotSupported`` for any
    other value (the native class has no such argument)."""
    for key, value in moot.items():
        if key not in kw:
            continue
        if kw[key] != value:
            raise NotSupported(
                f"{name}: {key}={kw[key]!r} is not supported: tunesmith's {name} has no "
                f"{key} (leave it at {value!r})"
            )
        del kw[key]


def _fits(cls: Any, kw: Mapping[str, Any]) -> bool:
    """Whether ``cls`` takes every argument of ``kw`` or the argument is moot
    (``rung_system_per_bracket=False`` only with one bracket)."""
    accepted = set(inspect.signature(cls).parameters)
    for key, value in kw.items():
        if key in accepted or key == "cutoff":
            continue
        if key == "rung_system_per_bracket":
            if kw.get("brackets", 1) != 1:
                return False
        elif key not in _MOOT or value != _MOOT[key]:
            return False
    return True


def _asha_or_hyperband(config_space: Any, cls: Any, searcher_cls: Any, kw: dict[str, Any]) -> Any:
    """``cls`` (ASHA with a model-based searcher) where it takes the arguments; else what Syne
    Tune builds: :class:`tunesmith.HyperbandScheduler` with a ``searcher_cls`` instance."""
    if _fits(cls, kw):
        accepted = set(inspect.signature(cls).parameters)
        return cls(config_space, **{k: v for k, v in kw.items() if k in accepted})
    searcher_keys = set(inspect.signature(searcher_cls).parameters) - {"metric", "mode"}
    searcher = searcher_cls(
        config_space,
        metric=kw["metric"],
        mode=kw["mode"],
        **{k: v for k, v in kw.items() if k in searcher_keys},
    )
    scheduler = {k: v for k, v in kw.items() if k not in searcher_keys}
    return _native("HyperbandScheduler")(config_space, searcher=searcher, **scheduler)


def BORE(
    config_space: dict[str, Any], metric: Any, random_seed: int | None = None, **kwargs: Any
) -> Any:
    """Bayesian optimization by density-ratio estimation: :class:`tunesmith.BORE`
    (``search_options``: the ``Bore`` searcher's arguments; tunesmith's default classifier is
    ``"mlp"``, Syne Tune's ``"xgboost"``)."""
    kw = _fifo("BORE", metric, {**kwargs, "random_seed": random_seed}, "bore")
    return _native("BORE")(config_space, **kw)


def ASHABORE(
    config_space: dict[str, Any],
    metric: Any,
    resource_attr: str,
    random_seed: int | None = None,
    **kwargs: Any,
) -> Any:
    """BORE inside ASHA: :class:`tunesmith.ASHABORE`, or :class:`tunesmith.HyperbandScheduler`
    with a :class:`tunesmith.searchers.BORESearcher` for what ASHABORE does not take
    (``brackets > 1`` with Syne Tune's one rung system, ``rung_levels``, ...)."""
    kw = _hb("ASHABORE", metric, resource_attr, {**kwargs, "random_seed": random_seed}, "bore")
    cls, searcher = _native("ASHABORE"), _native_searcher("BORESearcher")
    return _asha_or_hyperband(config_space, cls, searcher, kw)


def CQR(
    config_space: dict[str, Any],
    metric: Any,
    mode: str = "min",
    random_seed: int | None = None,
    **kwargs: Any,
) -> Any:
    """Conformalized quantile regression: :class:`tunesmith.CQR` (``search_options``:
    ``num_init_random_draws``, ``update_frequency`` (nothing to set), ``restrict_configurations``;
    tunesmith's ``regressor="gbm"`` is Syne Tune's gradient boosting, its default ``"mlp"``)."""
    kw = _fifo("CQR", metric, {**kwargs, "mode": mode, "random_seed": random_seed}, "cqr")
    _moot_options("CQR", kw, {"max_fit_samples": None})
    return _native("CQR")(config_space, **kw)


def ASHACQR(
    config_space: dict[str, Any],
    metric: Any,
    resource_attr: str,
    mode: str = "min",
    random_seed: int | None = None,
    **kwargs: Any,
) -> Any:
    """Conformalized quantile regression inside ASHA: :class:`tunesmith.ASHACQR`, or
    :class:`tunesmith.HyperbandScheduler` with a :class:`tunesmith.searchers.CQRSearcher` for
    what ASHACQR does not take."""
    full = {**kwargs, "mode": mode, "random_seed": random_seed}
    kw = _hb("ASHACQR", metric, resource_attr, full, "cqr")
    _moot_options("ASHACQR", kw, {"max_fit_samples": None})
    cls, searcher = _native("ASHACQR"), _native_searcher("CQRSearcher")
    return _asha_or_hyperband(config_space, cls, searcher, kw)


# -- multi-objective -------------------------------------------------------------------------


def MORandomScalarizationBayesOpt(
    config_space: dict[str, Any],
    metric: Any,
    mode: Any = "min",
    random_seed: int | None = None,
    estimators: Any = None,
    **kwargs: Any,
) -> Any:
    """One GP per objective, random linear scalarizations of their lower confidence bounds:
    :class:`tunesmith.MORandomScalarizationBayesOpt` (``search_options``: ``num_init_random``
    or ``num_initial_random_choices``, ``max_size_data_for_model``,
    ``restrict_configurations``). ``estimators``: ``{metric: regressor}``, scikit-learn
    regressors with a predictive standard deviation (the native argument); Syne Tune's
    ``Estimator`` objects are not supported."""
    name = "MORandomScalarizationBayesOpt"
    if isinstance(estimators, Mapping):
        for key, estimator in estimators.items():
            if hasattr(estimator, "fit_from_state") and not hasattr(estimator, "fit"):
                raise NotSupported(
                    f"{name}: estimators[{key!r}] is a Syne Tune Estimator, which tunesmith "
                    "cannot run; pass a scikit-learn regressor whose predict(X, "
                    "return_std=True) gives a standard deviation (e.g. BayesianRidge)"
                )
    kw = _fifo(name, metric, {**kwargs, "mode": mode, "random_seed": random_seed}, "mobo")
    _moot_options(name, kw, {"input_warping": False})
    return _native(name)(config_space, estimators=estimators, **kw)


def MOLinearScalarizationBayesOpt(
    config_space: dict[str, Any],
    metric: Any,
    scalarization_weights: Any = None,
    **kwargs: Any,
) -> Any:
    """Bayesian optimization of the weighted sum of the objectives:
    :class:`tunesmith.MOLinearScalarizationBayesOpt` (``kwargs`` as for
    ``BayesianOptimization``)."""
    name = "MOLinearScalarizationBayesOpt"
    if "base_scheduler_factory" in kwargs:
        raise NotSupported(
            f"{name}: base_scheduler_factory is not supported: it runs Bayesian optimization; "
            "for another scheduler on the weighted sum use "
            "tunesmith.LinearScalarizedScheduler(base_scheduler=...)"
        )
    kw = _fifo(name, metric, kwargs, "bayesopt")
    return _native(name)(config_space, scalarization_weights=scalarization_weights, **kw)


def NSGA2(
    config_space: dict[str, Any],
    metric: Any,
    mode: Any = "min",
    population_size: int = 20,
    random_seed: int | None = None,
    **kwargs: Any,
) -> Any:
    """NSGA-II: :class:`tunesmith.NSGA2`."""
    kw = _fifo("NSGA2", metric, {**kwargs, "mode": mode, "random_seed": random_seed}, "random")
    return _native("NSGA2")(config_space, population_size=population_size, **kw)


def MOREA(
    config_space: dict[str, Any],
    metric: Any,
    mode: Any = "min",
    population_size: int = 100,
    sample_size: int = 10,
    random_seed: int | None = None,
    **kwargs: Any,
) -> Any:
    """Multi-objective regularized evolution: :class:`tunesmith.MOREA`."""
    kw = _fifo("MOREA", metric, {**kwargs, "mode": mode, "random_seed": random_seed}, "random")
    return _native("MOREA")(
        config_space, population_size=population_size, sample_size=sample_size, **kw
    )


# -- transfer learning -----------------------------------------------------------------------


def ZeroShotTransfer(
    config_space: dict[str, Any],
    transfer_learning_evaluations: Any,
    metric: Any,
    mode: str = "min",
    sort_transfer_learning_evaluations: bool = True,
    use_surrogates: bool = False,
    random_seed: int | None = None,
    **kwargs: Any,
) -> Any:
    """Zero-shot transfer: :class:`tunesmith.ZeroShotTransfer` (configs are matched across
    tasks by value, so ``sort_transfer_learning_evaluations`` has nothing to set)."""
    full = {**kwargs, "mode": mode, "random_seed": random_seed}
    kw = _fifo("ZeroShotTransfer", metric, full, "random")
    return _native("ZeroShotTransfer")(
        config_space,
        transfer_learning_evaluations=transfer_learning_evaluations,
        use_surrogates=use_surrogates,
        **kw,
    )


def ASHACTS(
    config_space: dict[str, Any],
    metric: Any,
    resource_attr: str,
    transfer_learning_evaluations: Any,
    mode: str = "min",
    random_seed: int | None = None,
    **kwargs: Any,
) -> Any:
    """ASHA with Copula Thompson sampling on earlier tasks: :class:`tunesmith.ASHACTS`, or
    :class:`tunesmith.HyperbandScheduler` with a
    :class:`tunesmith.searchers.QuantileBasedSurrogateSearcher` for what ASHACTS does not take
    (``search_options``: ``max_fit_samples``, tunesmith's default 512 where Syne Tune's is
    100,000; ``normalization``; ``restrict_configurations``)."""
    full = {**kwargs, "mode": mode, "random_seed": random_seed}
    kw = _hb("ASHACTS", metric, resource_attr, full, "cts")
    kw["transfer_learning_evaluations"] = transfer_learning_evaluations
    cls, searcher = _native("ASHACTS"), _native_searcher("QuantileBasedSurrogateSearcher")
    return _asha_or_hyperband(config_space, cls, searcher, kw)


# -- not in tunesmith ------------------------------------------------------------------------


def _missing(name: str, closest: str) -> Any:
    def baseline(*args: Any, **kwargs: Any) -> Any:
        raise NotSupported(f"{name} is not available in tunesmith; the closest method is {closest}")

    baseline.__name__ = baseline.__qualname__ = name
    baseline.__doc__ = f"Not in tunesmith: raises NotSupported (closest: {closest})."
    return baseline


BoTorch = _missing(
    "BoTorch",
    "tunesmith.BayesianOptimization (a Gaussian process with expected improvement, in numpy; "
    "tunesmith does not use PyTorch)",
)
create_gaussian_process_estimator = _missing(
    "create_gaussian_process_estimator",
    "tunesmith.BayesianOptimization (its GP is built in; MORandomScalarizationBayesOpt fits "
    "one per metric itself)",
)
