"""Rung levels of successive halving and Hyperband, and the brackets built on them.

A *rung level* is a resource value (e.g. epochs done) at which a multi-fidelity scheduler compares
trials and decides which go on. Rung levels are always below the maximum resource ``max_t``; a
trial reaching ``max_t`` is done.

* geometric (the default): ``round(grace_period * reduction_factor**j)`` for ``j = 0, 1, ...``
  while below ``max_t``. ``max_t=10, grace_period=1, reduction_factor=3`` gives ``[1, 3, 9]``.
* linear (``rung_increment``): ``grace_period + j * rung_increment`` while below ``max_t``.
* explicit (``rung_levels``): increasing positive ints, all below ``max_t`` (a last entry equal to
  ``max_t`` is dropped).

Each rung has a *promotion quantile* ``q``: the fraction of trials that may go on from it,
``q_j = r_j / r_{j+1}`` with ``max_t`` as the last level (Syne Tune's and AutoGluon's definition):
``1 / reduction_factor`` between geometric levels that are exact powers, and ``9/10`` at rung 9
for ``max_t=10`` (rungs 1, 3, 9). ``quantiles="eta"`` gives ``1 / reduction_factor`` at every
rung instead (Ray Tune's and Syne Tune's ASHA from version 0.14). Quantiles are kept as
fractions ``(numerator, denominator)`` so that rank comparisons are exact.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from numbers import Integral, Real
from typing import Any

from tunesmith.domains import Domain, Float

__all__ = [
    "BRACKET_DISTRIBUTIONS",
    "BRACKET_RULES",
    "MAX_T_NAMES",
    "QUANTILE_RULES",
    "RungSpec",
    "async_bracket_probabilities",
    "geometric_rung_levels",
    "linear_rung_levels",
    "make_rung_spec",
    "resolve_max_t",
    "resource_value",
    "sync_hyperband_brackets",
]

#: config-space entries from which ``max_t`` is inferred when neither ``max_t`` nor
#: ``max_resource_attr`` is given (first match wins)
MAX_T_NAMES = ("epochs", "max_t", "max_epochs")

_TOL = 1e-9


def _is_int(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def check_positive_int(name: str, value: Any, *, minimum: int = 1) -> int:
    if not _is_int(value) or value < minimum:
        raise ValueError(f"`{name}` must be an int >= {minimum}, but got {name}={value!r}")
    return int(value)


def check_reduction_factor(value: Any) -> float | int:
    if not isinstance(value, Real) or isinstance(value, bool) or not value >= 2:
        raise ValueError(
            f"`reduction_factor` must be a number >= 2 (rung levels grow by this factor, and "
            f"about 1/eta of the trials go on at each rung), but got reduction_factor={value!r}"
        )
    return int(value) if _is_int(value) or float(value).is_integer() else float(value)


def _max_of(name: str, value: Any) -> int:
    """The largest value of a config-space entry used as the maximum resource."""
    if isinstance(value, Domain):
        if isinstance(value, Float) or value.cardinality is None:
            raise ValueError(
                f"config_space[{name!r}] is {value!r}, a continuous domain; the maximum resource "
                "must be an int: use a constant or an integer domain, or pass `max_t`"
            )
        candidates = value.grid(1)
        if not all(_is_int(v) or (isinstance(v, float) and v.is_integer()) for v in candidates):
            raise ValueError(
                f"config_space[{name!r}] has non-integer values {candidates!r}; the maximum "
                "resource must be an int, pass `max_t`"
            )
        return int(max(candidates))
    if _is_int(value):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ValueError(
        f"config_space[{name!r}] = {value!r} cannot be the maximum resource: it must be a "
        "positive int (or an integer domain); pass `max_t`"
    )


def resolve_max_t(
    config_space: Mapping[str, Any], *, max_t: Any = None, max_resource_attr: str | None = None
) -> int:
    """The maximum resource: ``max_t`` if given, else ``config_space[max_resource_attr]``, else
    the first of :data:`MAX_T_NAMES` in the config space (a constant, or a domain's largest
    value)."""
    if max_t is not None:
        return check_positive_int("max_t", max_t)
    if max_resource_attr is not None:
        if not isinstance(max_resource_attr, str) or max_resource_attr not in config_space:
            raise ValueError(
                f"`max_resource_attr` must name an entry of the config space, but got "
                f"max_resource_attr={max_resource_attr!r} (entries: {sorted(config_space)})"
            )
        value = _max_of(max_resource_attr, config_space[max_resource_attr])
        return check_positive_int(f"config_space[{max_resource_attr!r}]", value)
    for name in MAX_T_NAMES:
        if name in config_space:
            return check_positive_int(f"config_space[{name!r}]", _max_of(name, config_space[name]))
    raise ValueError(
        "the maximum resource max_t is unknown: pass `max_t`, or `max_resource_attr` naming a "
        f"config-space entry, or put a constant named one of {list(MAX_T_NAMES)} in the config "
        f"space (its entries: {sorted(config_space)})"
    )


def resource_value(result: Mapping[str, Any], resource_attr: str, minimum: int = 1) -> int:
    """``result[resource_attr]`` as an int ``>= minimum`` (a positive int by default), or a
    ``ValueError`` saying what is wrong."""
    if resource_attr not in result:
        raise ValueError(
            f"the result has no resource attribute {resource_attr!r} (reported keys: "
            f"{sorted(result)}); report it, e.g. tunesmith.report({resource_attr}=...)"
        )
    value = result[resource_attr]
    if (
        isinstance(value, bool)
        or not isinstance(value, Real)
        or not float(value).is_integer()
        or value < minimum
    ):
        raise ValueError(
            f"resource {resource_attr!r} must be an int >= {minimum} (the resource used so far, "
            f"e.g. epochs done, starting at {minimum}), but got {value!r}"
            if minimum != 1
            else f"resource {resource_attr!r} must be a positive int (the resource used so "
            f"far, e.g. epochs done, starting at 1), but got {value!r}"
        )
    return int(value)


def _check_grace(grace_period: Any, max_t: int) -> int:
    grace_period = check_positive_int("grace_period", grace_period)
    if max_t < grace_period:
        raise ValueError(
            f"`max_t` must be >= `grace_period`, but got max_t={max_t}, "
            f"grace_period={grace_period}"
        )
    return grace_period


def geometric_rung_levels(grace_period: int, reduction_factor: float, max_t: int) -> list[int]:
    """``round(grace_period * reduction_factor**j)`` below ``max_t``, ``j = 0, 1, ...``.

    >>> geometric_rung_levels(1, 3, 10)
    [1, 3, 9]
    """
    max_t = check_positive_int("max_t", max_t)
    grace_period = _check_grace(grace_period, max_t)
    eta = check_reduction_factor(reduction_factor)
    levels: list[int] = []
    j = 0
    while True:
        level = math.floor(grace_period * eta**j + 0.5)
        if level >= max_t:
            return levels
        if not levels or level > levels[-1]:
            levels.append(level)
        j += 1


def linear_rung_levels(grace_period: int, rung_increment: int, max_t: int) -> list[int]:
    """``grace_period + j * rung_increment`` below ``max_t``.

    >>> linear_rung_levels(2, 3, 12)
    [2, 5, 8, 11]
    """
    max_t = check_positive_int("max_t", max_t)
    grace_period = _check_grace(grace_period, max_t)
    rung_increment = check_positive_int("rung_increment", rung_increment)
    return list(range(grace_period, max_t, rung_increment))


def _check_explicit(rung_levels: Any, max_t: int) -> list[int]:
    if isinstance(rung_levels, str | bytes) or not isinstance(rung_levels, Sequence):
        raise TypeError(f"`rung_levels` must be a list of ints, but got {rung_levels!r}")
    levels = list(rung_levels)
    if not levels:
        raise ValueError("`rung_levels` must not be empty; leave it None for geometric rungs")
    for i, level in enumerate(levels):
        if not _is_int(level) or level < 1:
            raise ValueError(
                f"`rung_levels` must hold positive ints, but rung_levels[{i}]={level!r}"
            )
    for i in range(1, len(levels)):
        if levels[i] <= levels[i - 1]:
            raise ValueError(
                f"`rung_levels` must be strictly increasing, but got rung_levels={levels} "
                f"(rung_levels[{i - 1}]={levels[i - 1]} >= rung_levels[{i}]={levels[i]})"
            )
    if levels[-1] == max_t:
        levels = levels[:-1]
    if levels and levels[-1] > max_t:
        raise ValueError(
            f"`rung_levels` must all be < max_t={max_t}, but got rung_levels={list(rung_levels)}"
        )
    return [int(v) for v in levels]


#: promotion quantiles: ``"ratio"`` (``r_j / r_{j+1}``) or ``"eta"`` (``1 / reduction_factor``)
QUANTILE_RULES = ("ratio", "eta")


@dataclass(frozen=True)
class RungSpec:
    """Rung levels (increasing, all below ``max_t``) and each rung's promotion quantile as a
    fraction ``(numerator, denominator)``."""

    levels: tuple[int, ...]
    quantiles: tuple[tuple[float, float], ...]
    max_t: int

    def top_count(self, index: int, n: int) -> int:
        """How many of ``n`` trials at rung ``index`` may go on: ``floor(n * q)``."""
        num, den = self.quantiles[index]
        return int((n * num) // den)


def make_rung_spec(
    *,
    max_t: int,
    grace_period: Any = 1,
    reduction_factor: Any = 3,
    rung_increment: Any = None,
    rung_levels: Any = None,
    quantiles: str = "ratio",
) -> RungSpec:
    """Rung levels from explicit ``rung_levels`` (first choice), else ``rung_increment``
    (linear), else ``grace_period`` and ``reduction_factor`` (geometric); promotion quantiles
    ``r_j / r_{j+1}`` (``max_t`` last) with ``quantiles="ratio"``, ``1 / reduction_factor`` with
    ``"eta"``.

    >>> make_rung_spec(max_t=10).quantiles  # rungs 1, 3, 9
    ((1, 3), (3, 9), (9, 10))
    >>> make_rung_spec(max_t=10, quantiles="eta").quantiles
    ((1, 3), (1, 3), (1, 3))
    """
    max_t = check_positive_int("max_t", max_t)
    eta = check_reduction_factor(reduction_factor)
    if quantiles not in QUANTILE_RULES:
        raise ValueError(
            f"`rung_quantiles` must be one of {list(QUANTILE_RULES)} ('ratio': r_j / r_(j+1), "
            f"'eta': 1 / reduction_factor), but got rung_quantiles={quantiles!r}"
        )
    if rung_levels is not None and rung_increment is not None:
        raise ValueError(
            "give either `rung_levels` or `rung_increment`, not both (got "
            f"rung_levels={rung_levels!r}, rung_increment={rung_increment!r})"
        )
    if rung_levels is not None:
        levels = _check_explicit(rung_levels, max_t)
    elif rung_increment is not None:
        levels = linear_rung_levels(grace_period, rung_increment, max_t)
    else:
        levels = geometric_rung_levels(grace_period, eta, max_t)
    if quantiles == "eta":
        return RungSpec(tuple(levels), tuple((1, eta) for _ in levels), max_t)
    upper = [*levels[1:], max_t][: len(levels)]
    ratios = tuple((lo, hi) for lo, hi in zip(levels, upper, strict=True))
    return RungSpec(tuple(levels), ratios, max_t)


#: how asynchronous Hyperband draws a new trial's bracket (see :func:`async_bracket_probabilities`)
BRACKET_DISTRIBUTIONS = ("synchronous", "softmax")


def async_bracket_probabilities(
    spec: RungSpec, brackets: int, distribution: str = "synchronous"
) -> list[float]:
    """The distribution from which asynchronous Hyperband draws a new trial's bracket.

    Bracket ``b`` starts at rung ``b`` (bracket ``len(levels)`` runs every trial to ``max_t``);
    only the first ``brackets`` brackets are used, and the probabilities are normalized.

    * ``"synchronous"`` (default): proportional to ``(s_max + 1) / ((s + 1) * r_b)``, where
      ``r_b`` is the bracket's first level, ``s + 1`` the number of levels of the bracket
      (``max_t`` included) and ``s_max + 1`` that of bracket 0: the number of configs synchronous
      Hyperband starts in the bracket whose first level is ``r_b`` (Li et al., 2017,
      ``n = (s_max + 1) / (s + 1) * max_t / r_b``, without rounding up). This is Syne Tune's
      default bracket distribution (``DefaultHyperbandBracketDistribution``) and AutoGluon's.
    * ``"softmax"``: proportional to ``exp(-b)`` (a softmax over the brackets' numbers of rungs):
      what AutoGluon's documentation describes, and what Syne Tune's ASHA does from version 0.14.

    Levels ``[1, 3, 9, 27, 81]`` below ``max_t=200`` (Syne Tune's tutorial example), 6 brackets:
    the weights are ``1, 2/5, 1/6, 2/27, 1/27, 3/100``.

    >>> from tunesmith.schedulers.rungs import make_rung_spec
    >>> spec = make_rung_spec(max_t=200, grace_period=1, reduction_factor=3)
    >>> [round(p * 4611, 9) for p in async_bracket_probabilities(spec, 6)]
    [2700.0, 1080.0, 450.0, 200.0, 100.0, 81.0]
    """
    num_levels = len(spec.levels)
    if not _is_int(brackets) or not 1 <= brackets <= num_levels + 1:
        raise ValueError(
            f"`brackets` must be an int in [1, {num_levels + 1}] (one more than the number of "
            f"rung levels {list(spec.levels)}), but got brackets={brackets!r}"
        )
    if distribution not in BRACKET_DISTRIBUTIONS:
        raise ValueError(
            f"`bracket_distribution` must be one of {list(BRACKET_DISTRIBUTIONS)}, but got "
            f"bracket_distribution={distribution!r}"
        )
    if distribution == "softmax":
        weights = [Fraction(math.exp(-b)) for b in range(brackets)]
    else:
        levels = [*spec.levels, spec.max_t]
        total = len(levels)  # s_max + 1
        weights = [Fraction(total, (total - b) * levels[b]) for b in range(brackets)]
    norm = sum(weights)
    return [float(w / norm) for w in weights]


#: how synchronous Hyperband lays out its brackets (see :func:`sync_hyperband_brackets`)
BRACKET_RULES = ("paper", "geometric")


def sync_hyperband_brackets(
    max_t: int,
    grace_period: int = 1,
    reduction_factor: Any = 3,
    brackets: int | None = None,
    rule: str = "paper",
) -> list[list[tuple[int, int]]]:
    """The brackets of synchronous Hyperband, most aggressive first, each a list of
    ``(n_i, r_i)`` rungs: ``n_i`` trials evaluated up to resource ``r_i``, the last ``r_i``
    being ``max_t``. ``brackets`` (default: all) keeps the first ones; ``brackets=1`` is
    successive halving.

    * ``rule="paper"`` (Li et al., 2017, Algorithm 1): bracket ``s`` (``s = s_max, ..., 0``) has
      ``n_i = floor(n * eta**-i)`` at ``r_i = round(max_t * eta**(i - s))``, with
      ``n = ceil((s_max + 1) / (s + 1) * eta**s)`` and ``s_max`` the largest ``s`` with
      ``grace_period * eta**s <= max_t``: levels counted down from ``max_t``.
    * ``rule="geometric"`` (Syne Tune's ``SynchronousGeometricHyperbandScheduler``): the levels
      are the geometric rung levels counted up from ``grace_period`` (as in asynchronous
      Hyperband) with ``max_t`` on top; bracket ``b`` starts at level ``b``, and with ``r`` rungs
      below ``max_t`` and ``s_max + 1`` levels in bracket 0, rung ``k`` holds
      ``ceil((s_max + 1) / (r + 1) * eta**(r - k))`` trials, the top one
      ``ceil((s_max + 1) / (r + 1))``.

    >>> sync_hyperband_brackets(81, 1, 3)[1]
    [(34, 3), (11, 9), (3, 27), (1, 81)]
    >>> sync_hyperband_brackets(200, 1, 3, rule="geometric")[1]  # Syne Tune's tutorial example
    [(98, 3), (33, 9), (11, 27), (4, 81), (2, 200)]
    """
    max_t = check_positive_int("max_t", max_t)
    grace_period = _check_grace(grace_period, max_t)
    eta = check_reduction_factor(reduction_factor)
    if rule not in BRACKET_RULES:
        raise ValueError(
            f"`bracket_rule` must be one of {list(BRACKET_RULES)}, but got bracket_rule={rule!r}"
        )
    if rule == "geometric":
        levels = geometric_rung_levels(grace_period, eta, max_t)
        s_max = len(levels)
    else:
        s_max = 0
        while grace_period * eta ** (s_max + 1) <= max_t * (1 + _TOL):
            s_max += 1
    if brackets is None:
        brackets = s_max + 1
    if not _is_int(brackets) or not 1 <= brackets <= s_max + 1:
        raise ValueError(
            f"`brackets` must be an int in [1, {s_max + 1}] (s_max + 1 for max_t={max_t}, "
            f"grace_period={grace_period}, reduction_factor={eta}), but got brackets={brackets!r}"
        )
    out = []
    for s in range(s_max, s_max - brackets, -1):
        if rule == "geometric":
            first = s_max - s  # the bracket's first level; s rungs below max_t
            share = (s_max + 1) / (s + 1)
            rungs = [
                (math.ceil(share * eta ** (s - k) - _TOL), levels[first + k]) for k in range(s)
            ]
            rungs.append((math.ceil(share - _TOL), max_t))
            out.append(rungs)
            continue
        n = math.ceil((s_max + 1) / (s + 1) * eta**s - _TOL)
        rungs = []
        for i in range(s + 1):
            n_i = math.floor(n / eta**i + _TOL)
            r_i = max(1, math.floor(max_t * eta ** (i - s) + 0.5))
            rungs.append((n_i, r_i))
        rungs[-1] = (rungs[-1][0], max_t)
        out.append(rungs)
    return out
