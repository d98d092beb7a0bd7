"""The methods an experiment can run: named scheduler classes with their arguments."""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass, field
from typing import Any

__all__ = ["METHODS", "RESTRICTED", "Method", "make_method", "method_label"]

#: the suffix of a method's label (and study names) when it ran restricted to a table's configs
RESTRICTED = "+restricted"


@dataclass(frozen=True)
class Method:
    """A scheduler class (``"module:Class"``) and the arguments it gets besides the config
    space, metric, mode and seed. ``multi_fidelity`` methods also get ``resource_attr`` and
    ``max_t`` from the benchmark, and need one with a fidelity; ``cost_aware`` ones get the
    benchmark's time metric as ``cost_attr``."""

    target: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    multi_fidelity: bool = False
    cost_aware: bool = False  # gets ``cost_attr``: the benchmark's training-time metric


_S = "tunesmith.schedulers"

#: method name -> how to build it
METHODS: dict[str, Method] = {
    "RandomSearch": Method(f"{_S}:RandomSearch"),
    "BayesianOptimization": Method(f"{_S}:BayesianOptimization"),
    "TPE": Method(f"{_S}:TPE"),
    "REA": Method(f"{_S}:REA"),
    "ASHA": Method(f"{_S}:ASHA", {"type": "stopping"}, multi_fidelity=True),
    "ASHA-promotion": Method(f"{_S}:ASHA", {"type": "promotion"}, multi_fidelity=True),
    "PASHA": Method(f"{_S}:PASHA", multi_fidelity=True),
    "Hyperband": Method(f"{_S}:HyperbandScheduler", {"brackets": 3}, multi_fidelity=True),
    "SyncHyperband": Method(f"{_S}:SyncHyperband", multi_fidelity=True),
    "MOBSTER": Method(f"{_S}:MOBSTER", multi_fidelity=True),
    "MOBSTER-independent": Method(f"{_S}:MOBSTER", {"model": "independent"}, multi_fidelity=True),
    "MOBSTER-cost": Method(f"{_S}:MOBSTER", multi_fidelity=True, cost_aware=True),
    "MOBSTER-standardize": Method(
        f"{_S}:MOBSTER", {"target_transform": "standardize"}, multi_fidelity=True
    ),
    "BOHB": Method(f"{_S}:BOHB", multi_fidelity=True),
    "SyncBOHB": Method(f"{_S}:SyncBOHB", multi_fidelity=True),
    "DEHB": Method(f"{_S}:DEHB", multi_fidelity=True),
    "BORE": Method(f"{_S}.surrogate:BORE"),
    "ASHABORE": Method(f"{_S}.surrogate:ASHABORE", multi_fidelity=True),
    "CQR": Method(f"{_S}.surrogate:CQR"),
    "ASHACQR": Method(f"{_S}.surrogate:ASHACQR", multi_fidelity=True),
    "HyperTune": Method(f"{_S}.hypertune:HyperTune", multi_fidelity=True),
    "DyHPO": Method(f"{_S}.dyhpo:DyHPO", multi_fidelity=True),
    "SyncMOBSTER": Method(f"{_S}.sync_mobster:SyncMOBSTER", multi_fidelity=True),
    # several objectives (the -cost, -size, -latency benchmarks); RandomSearch takes them too
    "MOASHA": Method(f"{_S}:MOASHA", multi_fidelity=True),
    "NSGA2": Method(f"{_S}:NSGA2"),
    "MOREA": Method(f"{_S}:MOREA"),
    "MORandomScalarizationBayesOpt": Method(f"{_S}:MORandomScalarizationBayesOpt"),
    "EHVI": Method(f"{_S}:EHVI"),
    "MOTPE": Method(f"{_S}:MOTPE"),
}


def check_method(name: str) -> Method:
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; valid names are {sorted(METHODS)}")
    return METHODS[name]


def method_label(name: str, restrict: bool) -> str:
    """How results of method ``name`` are labelled (in study names, tables and plots)."""
    return name + RESTRICTED if restrict else name


def _scheduler_class(name: str) -> type:
    method = check_method(name)
    module, _, attribute = method.target.partition(":")
    try:
        return getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError) as err:
        raise ValueError(f"method {name!r} is not available in this version: {err}") from err


def _restrictable(name: str) -> bool:
    """Whether the scheduler takes ``restrict_configurations`` or a searcher (a random one)."""
    params = inspect.signature(_scheduler_class(name)).parameters
    return "restrict_configurations" in params or "searcher" in params


def check_restrictable(name: str) -> None:
    """Raise ValueError when method ``name`` cannot be restricted to a table's configs."""
    if not _restrictable(name):
        restrictable = sorted(m for m in METHODS if _restrictable(m))
        raise ValueError(
            f"method {name!r} cannot be restricted to a table's configurations; methods that "
            f"can are {restrictable}"
        )


def check_several_objectives(methods: list[str], benchmark: str) -> None:
    """Raise ValueError naming the methods that cannot optimize the several objectives of
    ``benchmark``, and those that can."""
    from tunesmith.schedulers.base import takes_several_metrics

    refused = [m for m in methods if not _takes_several(m, takes_several_metrics)]
    if refused:
        able = sorted(m for m in METHODS if _takes_several(m, takes_several_metrics))
        raise ValueError(
            f"benchmark {benchmark!r} has several objectives, which the methods {refused} "
            f"cannot optimize; methods that can are {able}"
        )


def _takes_several(name: str, takes_several_metrics: Any) -> bool:
    try:
        return takes_several_metrics(_scheduler_class(name))
    except ValueError:  # not available in this version
        return False


def make_method(name: str, blackbox: Any, seed: int, *, restrict: bool = False):
    """The scheduler ``name`` for ``blackbox``, seeded with ``seed``. With ``restrict`` it
    suggests only the configs of the benchmark's table (``blackbox.configurations()``): those
    searchers take ``restrict_configurations``, the others (random ones) get a
    :class:`~tunesmith.searchers.RandomSearcher` restricted to them."""
    method = check_method(name)
    cls = _scheduler_class(name)
    kwargs: dict[str, Any] = dict(method.kwargs)
    if restrict:
        check_restrictable(name)
        configs = blackbox.configurations()
        if configs is None:
            raise ValueError(
                f"benchmark {blackbox.name!r} has no table of configurations to restrict the "
                "methods to; run it without `restrict`"
            )
        if "restrict_configurations" in inspect.signature(cls).parameters:
            kwargs["restrict_configurations"] = configs
        else:
            from tunesmith.searchers import RandomSearcher

            kwargs["searcher"] = RandomSearcher(
                blackbox.config_space, random_seed=seed, restrict_configurations=configs
            )
    if method.multi_fidelity:
        if blackbox.fidelities is None:
            raise ValueError(
                f"method {name!r} needs a benchmark with a fidelity, but {blackbox.name!r} has "
                "none; use a single-fidelity method such as RandomSearch"
            )
        kwargs.update(resource_attr=blackbox.fidelity_name, max_t=blackbox.max_fidelity)
    if method.cost_aware:
        if blackbox.time_attr is None:
            raise ValueError(
                f"method {name!r} weighs configs by their training time, but {blackbox.name!r} "
                "reports none; use a benchmark with a time metric"
            )
        kwargs["cost_attr"] = blackbox.time_attr
    return cls(
        blackbox.config_space,
        metric=blackbox.objective,
        mode=blackbox.mode,
        random_seed=seed,
        **kwargs,
    )
