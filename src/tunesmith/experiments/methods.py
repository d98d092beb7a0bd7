"""The methods an experiment can run: named scheduler classes with their arguments."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

__all__ = ["METHODS", "Method", "make_method"]


@dataclass(frozen=True)
class Method:
    """A scheduler class (``"module:Class"``) and the arguments it gets besides the config
    space, metric, mode and seed. ``multi_fidelity`` methods also get ``resource_attr`` and
    ``max_t`` from the benchmark, and need one with a fidelity."""

    target: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    multi_fidelity: bool = False


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
    "BOHB": Method(f"{_S}:BOHB", multi_fidelity=True),
    "SyncBOHB": Method(f"{_S}:SyncBOHB", multi_fidelity=True),
    "DEHB": Method(f"{_S}:DEHB", multi_fidelity=True),
}


def check_method(name: str) -> Method:
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; valid names are {sorted(METHODS)}")
    return METHODS[name]


def make_method(name: str, blackbox: Any, seed: int):
    """The scheduler ``name`` for ``blackbox``, seeded with ``seed``."""
    method = check_method(name)
    module, _, attribute = method.target.partition(":")
    try:
        cls = getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError) as err:
        raise ValueError(f"method {name!r} is not available in this version: {err}") from err
    kwargs: dict[str, Any] = dict(method.kwargs)
    if method.multi_fidelity:
        if blackbox.fidelities is None:
            raise ValueError(
                f"method {name!r} needs a benchmark with a fidelity, but {blackbox.name!r} has "
                "none; use a single-fidelity method such as RandomSearch"
            )
        kwargs.update(resource_attr=blackbox.fidelity_name, max_t=blackbox.max_fidelity)
    return cls(
        blackbox.config_space,
        metric=blackbox.objective,
        mode=blackbox.mode,
        random_seed=seed,
        **kwargs,
    )
