"""Config spaces and objectives shared by the contract suites."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from tunesmith.space import (
    choice,
    finrange,
    hyperparameters,
    logfinrange,
    lograndint,
    loguniform,
    ordinal,
    randint,
    uniform,
)

__all__ = ["FINITE_SPACE", "MIXED_SPACE", "cost", "objective"]

#: a 6-parameter mixed space (plus a constant), as used by the overhead benchmark
MIXED_SPACE: dict[str, Any] = {
    "lr": loguniform(1e-5, 1e-1),
    "dropout": uniform(0.0, 0.9),
    "units": lograndint(8, 512),
    "layers": randint(1, 5),
    "act": choice(["relu", "tanh", "gelu"]),
    "batch": logfinrange(16, 256, 5, cast_int=True),
    "epochs": 9,
}

#: a small finite space (24 configs)
FINITE_SPACE: dict[str, Any] = {
    "a": randint(0, 2),
    "b": choice(["x", "y"]),
    "c": ordinal(["low", "mid", "high", "max"]),
    "d": 1.5,
}

#: a finite space with a finrange, for grids
FINRANGE_SPACE: dict[str, Any] = {"f": finrange(0.0, 1.0, 3), "b": choice([True, False])}


def objective(config: Mapping[str, Any], space: Mapping[str, Any], step: int = 1) -> float:
    """A deterministic objective of a config, decreasing with ``step`` (a learning curve)."""
    total = 0.0
    for i, (name, domain) in enumerate(hyperparameters(space).items()):
        x = domain.encode(config[name])
        total += (i + 1) * sum((v - 0.3) ** 2 for v in x)
    return total + 1.0 / math.sqrt(step)


def cost(config: Mapping[str, Any], space: Mapping[str, Any], step: int = 1) -> float:
    """A second deterministic objective, in conflict with :func:`objective` (its optimum is at
    the other end of each encoded value) and growing with ``step`` (time spent): the contract
    suites' second metric, ``"cost"``, for classes that take several metrics."""
    total = 0.0
    for i, (name, domain) in enumerate(hyperparameters(space).items()):
        x = domain.encode(config[name])
        total += sum((v - 0.8) ** 2 for v in x) / (i + 1)
    return total + 0.01 * step
