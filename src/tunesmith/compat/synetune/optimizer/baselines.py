"""``syne_tune.optimizer.baselines``: each name builds the native tunesmith scheduler it maps
to (``ASHA(...)`` returns a :class:`tunesmith.ASHA`), to pass to
:class:`~tunesmith.compat.synetune.Tuner` (or to the native :class:`tunesmith.Tuner`).

Mapped: ``RandomSearch``, ``GridSearch``, ``BayesianOptimization``, ``KDE`` (``TPE``), ``REA``,
``ConstrainedBayesianOptimization``, ``ASHA`` (``HyperbandScheduler`` where ASHA's arguments
do not suffice, e.g. ``brackets > 1``), ``MOBSTER``, ``HyperTune``, ``DyHPO``, ``PASHA``,
``BOHB``, ``SyncHyperband``, ``SyncBOHB``, ``SyncMOBSTER``, ``DEHB``. The other names raise
:class:`NotSupported` naming the closest tunesmith method. Arguments, their translation and
Syne Tune's defaults: :mod:`._translate` and docs/migrate-synetune.md.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from tunesmith.compat.synetune.errors import NotSupported
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
    if key == "cutoff" or (key in _MOOT and value == _MOOT[key]):
        return True
    return key == "rung_system_per_bracket" and kwargs.get("brackets", 1) == 1


def _fit(name: str, cls: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` without the Hyperband arguments ``cls`` does not take, where they are moot;
    ``NotSupported`` for one that is not (``cutoff`` is dropped: those classes compare ranks)."""
    accepted = set(inspect.signature(cls).parameters)
    out = {}
    for key, value in kwargs.items():
        if key in accepted:
            out[key] = value
        elif (
            key == "cutoff"
            or (key in _MOOT and value == _MOOT[key])
            or (key == "rung_system_per_bracket" and kwargs.get("brackets", 1) == 1)
        ):
            continue
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
    (``rung_increment``, default 2), so ``reduction_factor`` is not taken."""
    cls = _native("DyHPO")
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


# -- not in tunesmith (yet) ------------------------------------------------------------------


def _missing(name: str, closest: str) -> Any:
    def baseline(*args: Any, **kwargs: Any) -> Any:
        raise NotSupported(f"{name} is not available in tunesmith; the closest method is {closest}")

    baseline.__name__ = baseline.__qualname__ = name
    baseline.__doc__ = f"Not in tunesmith: raises NotSupported (closest: {closest})."
    return baseline


_MO = (
    "tunesmith.RandomSearch or tunesmith.GridSearch with metric and mode lists (multi-objective "
    "random or grid search; docs/multiobjective.md)"
)
BORE = _missing("BORE", "tunesmith.TPE (density-ratio based) or tunesmith.BayesianOptimization")
ASHABORE = _missing("ASHABORE", "tunesmith.BOHB (ASHA with a density-based model)")
BoTorch = _missing("BoTorch", "tunesmith.BayesianOptimization (Gaussian process, numpy)")
CQR = _missing("CQR", "tunesmith.BayesianOptimization or tunesmith.TPE")
ASHACQR = _missing("ASHACQR", "tunesmith.MOBSTER (model-based ASHA)")
MORandomScalarizationBayesOpt = _missing("MORandomScalarizationBayesOpt", _MO)
MOLinearScalarizationBayesOpt = _missing("MOLinearScalarizationBayesOpt", _MO)
NSGA2 = _missing("NSGA2", _MO)
MOREA = _missing("MOREA", _MO)
ZeroShotTransfer = _missing(
    "ZeroShotTransfer",
    "tunesmith.RandomSearch with points_to_evaluate set to the best configs of earlier tasks "
    "(tunesmith has no transfer learning yet)",
)
ASHACTS = _missing(
    "ASHACTS",
    "tunesmith.ASHA with points_to_evaluate set to the best configs of earlier tasks "
    "(tunesmith has no transfer learning yet)",
)
create_gaussian_process_estimator = _missing(
    "create_gaussian_process_estimator", "tunesmith.BayesianOptimization (its GP is built in)"
)
