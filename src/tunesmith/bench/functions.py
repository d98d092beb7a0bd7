"""Synthetic benchmark problems: Branin, Hartmann 3 and 6, and multi-fidelity variants.

:class:`FunctionBlackbox` wraps any ``fn(config, fidelity, seed) -> metrics``. The
multi-fidelity variants (:func:`branin_mf`, :func:`hartmann3_mf`, :func:`hartmann6_mf`) report
learning curves over ``epoch = 1, ..., max_epochs`` that end at the function's value, and whose
early ranking differs from the final one: the better a config ends, the more slowly it tends
to learn, so early stopping can be fooled (as by real learning curves of small vs. large
learning rates).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from numbers import Real
from typing import Any

from tunesmith.bench.base import Blackbox
from tunesmith.space import uniform

__all__ = [
    "BRANIN_MIN",
    "HARTMANN3_MIN",
    "HARTMANN6_MIN",
    "FunctionBlackbox",
    "branin",
    "branin_mf",
    "hartmann",
    "hartmann3",
    "hartmann3_mf",
    "hartmann6",
    "hartmann6_mf",
    "learning_curve",
]

#: global minima
BRANIN_MIN = 0.39788735772973816
HARTMANN3_MIN = -3.86278214782076
HARTMANN6_MIN = -3.32236801141551


class FunctionBlackbox(Blackbox):
    """A blackbox computed by ``fn(config, fidelity, seed) -> {metric: value}`` (``fidelity``
    is None for a single-fidelity problem; ``seed`` is None or in ``range(num_seeds)``).

    ``time_per_step``: simulated seconds per unit of fidelity (per epoch), a number or
    ``callable(config) -> seconds``; the blackbox adds the cumulative time ``fidelity *
    time_per_step`` (``time_per_step`` without a fidelity) as metric ``time_attr``.
    ``metrics``: the metrics ``fn`` returns and their modes (default ``{"loss": "min"}``).
    """

    def __init__(
        self,
        fn: Callable[[Mapping[str, Any], int | None, int | None], Mapping[str, float]],
        config_space: Mapping[str, Any],
        *,
        metrics: Mapping[str, str] | None = None,
        objective: str | None = None,
        fidelity_name: str | None = None,
        fidelities: Sequence[int] | None = None,
        time_per_step: float | Callable[[Mapping[str, Any]], float] = 1.0,
        time_attr: str = "time",
        num_seeds: int = 1,
        name: str | None = None,
    ):
        if not callable(fn):
            raise TypeError(f"`fn` must be callable(config, fidelity, seed), but got {fn!r}")
        if not callable(time_per_step) and not (
            isinstance(time_per_step, Real)
            and not isinstance(time_per_step, bool)
            and time_per_step >= 0
        ):
            raise ValueError(
                "`time_per_step` must be a number of seconds >= 0 or callable(config) -> "
                f"seconds, but got time_per_step={time_per_step!r}"
            )
        metrics = dict(metrics or {"loss": "min"})
        metrics.setdefault(time_attr, "min")
        super().__init__(
            config_space,
            metrics=metrics,
            objective=objective,
            fidelity_name=fidelity_name,
            fidelities=fidelities,
            time_attr=time_attr,
            num_seeds=num_seeds,
            name=name or getattr(fn, "__name__", None),
        )
        self.fn = fn
        self.time_per_step = time_per_step

    def evaluate(
        self, config: Mapping[str, Any], fidelity: int | None = None, seed: int | None = None
    ) -> dict[str, float]:
        self.check_seed(seed)
        if self.fidelities is None:
            self.fidelity_index(fidelity)  # raises: there is none
            steps = 1
        else:
            fidelity = self.fidelities[-1] if fidelity is None else fidelity
            self.fidelity_index(fidelity)
            steps = fidelity
        out = dict(self.fn(config, fidelity, seed))
        tps = self.time_per_step
        out[self.time_attr] = steps * float(tps(config) if callable(tps) else tps)
        return out


# -- the functions -------------------------------------------------------------------------


def branin(x1: float, x2: float) -> float:
    """Branin-Hoo on ``x1 in [-5, 10], x2 in [0, 15]``; minimum 0.397887 at three points."""
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


_H3_A = ((3.0, 10.0, 30.0), (0.1, 10.0, 35.0), (3.0, 10.0, 30.0), (0.1, 10.0, 35.0))
_H3_P = (
    (0.3689, 0.1170, 0.2673),
    (0.4699, 0.4387, 0.7470),
    (0.1091, 0.8732, 0.5547),
    (0.0381, 0.5743, 0.8828),
)
_H6_A = (
    (10.0, 3.0, 17.0, 3.5, 1.7, 8.0),
    (0.05, 10.0, 17.0, 0.1, 8.0, 14.0),
    (3.0, 3.5, 1.7, 10.0, 17.0, 8.0),
    (17.0, 8.0, 0.05, 10.0, 0.1, 14.0),
)
_H6_P = (
    (0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886),
    (0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991),
    (0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650),
    (0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381),
)
_H_ALPHA = (1.0, 1.2, 3.0, 3.2)


def hartmann(x: Sequence[float]) -> float:
    """Hartmann 3 (``len(x) == 3``) or 6 (``len(x) == 6``) on ``[0, 1]^d``."""
    a, p = (_H3_A, _H3_P) if len(x) == 3 else (_H6_A, _H6_P)
    if len(x) not in (3, 6):
        raise ValueError(f"Hartmann is defined in 3 or 6 dimensions, but got {len(x)}")
    total = 0.0
    for alpha, ai, pi in zip(_H_ALPHA, a, p, strict=True):
        total -= alpha * math.exp(
            -sum(aij * (xj - pij) ** 2 for aij, xj, pij in zip(ai, x, pi, strict=True))
        )
    return total


def hartmann3(x0: float, x1: float, x2: float) -> float:
    """Hartmann 3 on ``[0, 1]^3``; minimum -3.86278 at (0.114614, 0.555649, 0.852547)."""
    return hartmann((x0, x1, x2))


def hartmann6(x0: float, x1: float, x2: float, x3: float, x4: float, x5: float) -> float:
    """Hartmann 6 on ``[0, 1]^6``; minimum -3.32237 at (0.20169, 0.150011, 0.476874,
    0.275332, 0.311652, 0.6573)."""
    return hartmann((x0, x1, x2, x3, x4, x5))


# -- learning curves -----------------------------------------------------------------------


def learning_curve(final: float, start: float, quality: float, wiggle: float, t: int, max_t: int):
    """The value at epoch ``t`` of a curve from ``start`` (at epoch 0) to ``final`` (at
    ``max_t``), decaying exponentially.

    ``quality`` in [0, 1] (0: the best configs) and ``wiggle`` in [0, 1] (a smooth
    config-dependent term) set the speed: ``rate = (1.5 * (0.02 / 1.5) ** h) * 81 / max_t`` per
    epoch with ``h = 0.6 * (1 - quality) + 0.4 * wiggle``, so good configs tend to learn slowly
    and look bad early.
    """
    h = 0.6 * (1.0 - quality) + 0.4 * wiggle
    rate = 1.5 * (0.02 / 1.5) ** h * (81.0 / max_t)
    end = math.exp(-rate * max_t)
    return final + (start - final) * (math.exp(-rate * t) - end) / (1.0 - end)


def _unit(config: Mapping[str, Any], names: Sequence[str], bounds: Sequence[tuple]) -> list[float]:
    return [(config[n] - lo) / (hi - lo) for n, (lo, hi) in zip(names, bounds, strict=True)]


def _wiggle(u: Sequence[float]) -> float:
    return 0.5 + 0.5 * math.sin(2 * math.pi * sum((k + 1) * v for k, v in enumerate(u)))


class _Problem:
    """A synthetic function with its space, bounds and value range (for the curves)."""

    def __init__(self, name, fn, bounds, fmin, span):
        self.name, self.fn, self.bounds, self.fmin, self.span = name, fn, bounds, fmin, span
        self.names = [f"x{i}" for i in range(len(bounds))] if name != "branin" else ["x1", "x2"]

    def space(self) -> dict[str, Any]:
        return {n: uniform(lo, hi) for n, (lo, hi) in zip(self.names, self.bounds, strict=True)}

    def value(self, config: Mapping[str, Any]) -> float:
        return self.fn(*(config[n] for n in self.names))

    def single(self, config, fidelity, seed) -> dict[str, float]:
        return {"loss": self.value(config)}

    def curve(self, config, fidelity, seed, max_t) -> dict[str, float]:
        final = self.value(config)
        u = _unit(config, self.names, self.bounds)
        quality = min(max((final - self.fmin) / self.span, 0.0), 1.0)
        start = max(final, self.fmin + self.span)  # chance level
        return {"loss": learning_curve(final, start, quality, _wiggle(u), fidelity, max_t)}

    def seconds(self, config, base: float) -> float:
        """Per-epoch time: ``base`` times 1 to 3, smoothly depending on the config."""
        u = _unit(config, self.names, self.bounds)
        return base * (1.0 + 2.0 * (0.5 + 0.5 * math.cos(math.pi * sum(u))))


_PROBLEMS = {
    "branin": _Problem("branin", branin, ((-5.0, 10.0), (0.0, 15.0)), BRANIN_MIN, 50.0),
    "hartmann3": _Problem("hartmann3", hartmann3, ((0.0, 1.0),) * 3, HARTMANN3_MIN, 3.86),
    "hartmann6": _Problem("hartmann6", hartmann6, ((0.0, 1.0),) * 6, HARTMANN6_MIN, 3.32),
}


class _Single:
    """Picklable ``fn(config, fidelity, seed)`` of a single-fidelity problem."""

    def __init__(self, problem: str):
        self.problem = problem

    def __call__(self, config, fidelity, seed):
        return _PROBLEMS[self.problem].single(config, fidelity, seed)


class _Curve:
    """Picklable ``fn(config, fidelity, seed)`` of a multi-fidelity problem."""

    def __init__(self, problem: str, max_t: int):
        self.problem, self.max_t = problem, max_t

    def __call__(self, config, fidelity, seed):
        return _PROBLEMS[self.problem].curve(config, fidelity, seed, self.max_t)


class _Seconds:
    def __init__(self, problem: str, base: float):
        self.problem, self.base = problem, base

    def __call__(self, config):
        return _PROBLEMS[self.problem].seconds(config, self.base)


def _single(problem: str, time_per_step: Any) -> FunctionBlackbox:
    p = _PROBLEMS[problem]
    return FunctionBlackbox(_Single(problem), p.space(), time_per_step=time_per_step, name=problem)


def _multi(problem: str, max_epochs: int, time_per_step: Any) -> FunctionBlackbox:
    if isinstance(max_epochs, bool) or not isinstance(max_epochs, int) or max_epochs < 1:
        raise ValueError(f"`max_epochs` must be an int >= 1, but got max_epochs={max_epochs!r}")
    p = _PROBLEMS[problem]
    if time_per_step is None:
        time_per_step = _Seconds(problem, 10.0)
    return FunctionBlackbox(
        _Curve(problem, max_epochs),
        p.space(),
        fidelity_name="epoch",
        fidelities=range(1, max_epochs + 1),
        time_per_step=time_per_step,
        name=f"{problem}-mf",
    )


def branin_bb(*, time_per_step: float = 1.0) -> FunctionBlackbox:
    """Branin as a blackbox: metric ``loss`` (min), one evaluation takes ``time_per_step``."""
    return _single("branin", time_per_step)


def hartmann3_bb(*, time_per_step: float = 1.0) -> FunctionBlackbox:
    """Hartmann 3 as a blackbox (metric ``loss``, min)."""
    return _single("hartmann3", time_per_step)


def hartmann6_bb(*, time_per_step: float = 1.0) -> FunctionBlackbox:
    """Hartmann 6 as a blackbox (metric ``loss``, min)."""
    return _single("hartmann6", time_per_step)


def branin_mf(*, max_epochs: int = 81, time_per_step: Any = None) -> FunctionBlackbox:
    """Branin with learning curves over ``epoch = 1..max_epochs`` (final value: Branin).
    ``time_per_step``: seconds per epoch (default 10 to 30, depending on the config)."""
    return _multi("branin", max_epochs, time_per_step)


def hartmann3_mf(*, max_epochs: int = 81, time_per_step: Any = None) -> FunctionBlackbox:
    """Hartmann 3 with learning curves (see :func:`branin_mf`)."""
    return _multi("hartmann3", max_epochs, time_per_step)


def hartmann6_mf(*, max_epochs: int = 81, time_per_step: Any = None) -> FunctionBlackbox:
    """Hartmann 6 with learning curves (see :func:`branin_mf`)."""
    return _multi("hartmann6", max_epochs, time_per_step)
