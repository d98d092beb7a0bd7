"""The blackbox interface: a benchmark problem that answers instead of training.

A :class:`Blackbox` has a config space, an optional fidelity (e.g. ``epoch`` = 1, ..., 81),
metrics with their modes, and a time: the metric named ``time_attr`` is the simulated training
time in seconds from the start of training until the fidelity is reached (cumulative, like an
``elapsed_time`` column), so the time of one fidelity step is the difference between two
consecutive fidelities. ``evaluate(config, fidelity=None, seed=None)`` returns the metrics:

* ``fidelity=None``: the largest fidelity;
* ``seed``: which repetition (``0 <= seed < num_seeds``) of a table; None averages a table over
  its seeds, and is the noise-free value of a function.

:class:`~tunesmith.backends.simulator.SimulatorBackend` runs trials of a blackbox on a simulated
clock. Implementations: :class:`~tunesmith.bench.tabular.TabularBlackbox`,
:class:`~tunesmith.bench.surrogate.SurrogateBlackbox`,
:class:`~tunesmith.bench.functions.FunctionBlackbox`.
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from numbers import Real
from typing import Any

from tunesmith.space import check_space

__all__ = ["Blackbox", "check_fidelities", "check_metrics", "check_objective", "trial_seed"]

_MASK = (1 << 64) - 1


def trial_seed(seed: int, trial_id: int, num_seeds: int) -> int:
    """The blackbox seed of trial ``trial_id`` in a run with ``seed``: a splitmix64 hash, so
    it does not depend on the order in which trials start."""
    z = (seed * 0x9E3779B97F4A7C15 + trial_id + 1) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return (z ^ (z >> 31)) % num_seeds


def check_metrics(metrics: Any) -> dict[str, str]:
    """``{name: "min" | "max"}``, checked."""
    if not isinstance(metrics, Mapping) or not metrics:
        raise ValueError(
            f"`metrics` must be a non-empty dict {{name: 'min' or 'max'}}, but got {metrics!r}"
        )
    for name, mode in metrics.items():
        if not isinstance(name, str) or not name or name.startswith("ts_"):
            raise ValueError(
                f"metric names must be non-empty strings not starting with 'ts_' (reserved), "
                f"but got {name!r}"
            )
        if mode not in ("min", "max"):
            raise ValueError(
                f"the mode of metric {name!r} must be 'min' or 'max', but got {mode!r}"
            )
    return dict(metrics)


def check_objective(objective: Any, metrics: Mapping[str, str]) -> str | list[str]:
    """One of ``metrics``, or a list of at least two distinct ones (several objectives)."""
    if isinstance(objective, str):
        if objective not in metrics:
            raise ValueError(
                f"`objective` must be one of the metrics {list(metrics)} (or a list of them), "
                f"but got objective={objective!r}"
            )
        return objective
    names = list(objective) if isinstance(objective, list | tuple) else None
    if (
        names is None
        or len(names) < 2
        or len(set(names)) != len(names)
        or any(not isinstance(n, str) or n not in metrics for n in names)
    ):
        raise ValueError(
            f"`objective` must be one of the metrics {list(metrics)}, or a list of at least two "
            f"distinct ones, but got objective={objective!r}"
        )
    return names


def check_fidelities(name: Any, values: Any) -> tuple[str | None, list[int] | None]:
    """A fidelity name and its increasing positive int values, or ``(None, None)``."""
    if name is None and values is None:
        return None, None
    if not isinstance(name, str) or not name:
        raise ValueError(
            f"`fidelity_name` must be a non-empty string (e.g. 'epoch'), but got {name!r}"
        )
    if values is None or isinstance(values, str | bytes | Mapping):
        raise ValueError(f"`fidelities` must be a list of increasing ints, but got {values!r}")
    out = []
    for v in list(values):
        ok = isinstance(v, Real) and not isinstance(v, bool) and float(v).is_integer() and v >= 1
        if not ok:
            raise ValueError(f"`fidelities` must be ints >= 1, but got {v!r} in {values!r}")
        out.append(int(v))
    if not out or any(b <= a for a, b in itertools.pairwise(out)):
        raise ValueError(f"`fidelities` must be non-empty and increasing, but got {out!r}")
    return name, out


class Blackbox(ABC):
    """Base class of benchmark problems.

    Attributes: ``config_space`` (the hyperparameters, a config space dict), ``fidelity_name``
    and ``fidelities`` (None for a single-fidelity problem), ``metrics`` (``{name: mode}``),
    ``objective`` (the metric to optimize by default, or a list of them: a benchmark with
    several objectives, on which studies run with ``metric=blackbox.objective``,
    ``mode=blackbox.mode``), ``time_attr`` (the metric holding the
    cumulative training time in seconds; None: one second per fidelity step), ``num_seeds``
    and ``name``.
    """

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metrics: Mapping[str, str],
        objective: str | Sequence[str] | None = None,
        fidelity_name: str | None = None,
        fidelities: Sequence[int] | None = None,
        time_attr: str | None = None,
        num_seeds: int = 1,
        name: str | None = None,
    ):
        self.config_space = check_space(config_space)
        self.metrics = check_metrics(metrics)
        objective = next(iter(self.metrics)) if objective is None else objective
        self.objective: str | list[str] = check_objective(objective, self.metrics)
        self.fidelity_name, self.fidelities = check_fidelities(fidelity_name, fidelities)
        if time_attr is not None and time_attr not in self.metrics:
            raise ValueError(
                f"`time_attr` must name one of the metrics {list(self.metrics)} (the cumulative "
                f"training time), but got time_attr={time_attr!r}"
            )
        self.time_attr = time_attr
        if isinstance(num_seeds, bool) or not isinstance(num_seeds, int) or num_seeds < 1:
            raise ValueError(f"`num_seeds` must be an int >= 1, but got num_seeds={num_seeds!r}")
        self.num_seeds = num_seeds
        self.name = name or type(self).__name__

    # -- the interface ---------------------------------------------------------------------
    @abstractmethod
    def evaluate(
        self, config: Mapping[str, Any], fidelity: int | None = None, seed: int | None = None
    ) -> dict[str, float]:
        """The metrics of ``config`` at ``fidelity`` (None: the largest) for repetition
        ``seed`` (None: the average over seeds, or the noise-free value)."""

    def configurations(self) -> list[dict[str, Any]] | None:
        """The configs this blackbox can answer for, when it can answer only for some (a
        table); None when it answers for any config of its space."""
        return None

    # -- derived ---------------------------------------------------------------------------
    @property
    def mode(self) -> str | list[str]:
        """The mode of :attr:`objective` (a list, one per objective, for several)."""
        if isinstance(self.objective, str):
            return self.metrics[self.objective]
        return [self.metrics[name] for name in self.objective]

    @property
    def objectives(self) -> list[str]:
        """:attr:`objective` as a list: one name per objective."""
        return [self.objective] if isinstance(self.objective, str) else list(self.objective)

    @property
    def max_fidelity(self) -> int | None:
        return None if self.fidelities is None else self.fidelities[-1]

    def elapsed_time(self, metrics: Mapping[str, float], step: int) -> float:
        """The cumulative training time of a result (``step``: 0-based fidelity index)."""
        if self.time_attr is None:
            return float(step + 1)
        return float(metrics[self.time_attr])

    def fidelity_index(self, fidelity: int | None) -> int:
        """The position of ``fidelity`` in :attr:`fidelities` (None: the last)."""
        if self.fidelities is None:
            if fidelity is not None:
                raise ValueError(
                    f"{self.name} has no fidelity, but got fidelity={fidelity!r}; pass None"
                )
            return 0
        if fidelity is None:
            return len(self.fidelities) - 1
        index = getattr(self, "_fidelity_index", None)
        if index is None:
            index = self._fidelity_index = {f: i for i, f in enumerate(self.fidelities)}
        try:
            return index[fidelity]
        except (KeyError, TypeError):
            raise ValueError(
                f"{self.name} has no fidelity {self.fidelity_name}={fidelity!r}; it has "
                f"{_short(self.fidelities)}"
            ) from None

    def check_seed(self, seed: int | None) -> None:
        if seed is not None and not (
            isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed < self.num_seeds
        ):
            raise ValueError(
                f"`seed` must be None or an int in [0, {self.num_seeds - 1}] ({self.name} has "
                f"{self.num_seeds} seeds), but got seed={seed!r}"
            )

    def describe(self) -> dict[str, Any]:
        """A JSON-serializable summary (what ``tunesmith bench list`` shows)."""
        configs = self.configurations()
        return {
            "name": self.name,
            "kind": type(self).__name__,
            "hyperparameters": len(self.config_space),
            "configurations": None if configs is None else len(configs),
            "fidelity": None
            if self.fidelities is None
            else {
                "name": self.fidelity_name,
                "min": self.fidelities[0],
                "max": self.fidelities[-1],
            },
            "metrics": dict(self.metrics),
            "objective": self.objective,
            "time_attr": self.time_attr,
            "seeds": self.num_seeds,
        }

    def __repr__(self) -> str:
        fid = (
            ""
            if self.fidelities is None
            else f", {self.fidelity_name}={self.fidelities[0]}..{self.fidelities[-1]}"
        )
        return f"{type(self).__name__}({self.name!r}{fid}, objective={self.objective!r})"


def _short(values: Sequence[Any]) -> str:
    values = list(values)
    if len(values) <= 6:
        return repr(values)
    return f"[{values[0]}, {values[1]}, ..., {values[-1]}]"
