"""``syne_tune.config_space``: the domain functions, building tunesmith domains
(:mod:`tunesmith.space`), and the helpers scripts use (``add_to_argparse``, ...).

Same: ``uniform``, ``loguniform``, ``reverseloguniform``, ``randint``, ``lograndint``,
``choice``, ``finrange``, ``logfinrange``, ``ordinal(kind="equal")``. Mapped:
``ordinal(kind="nn")`` / ``"nn-log"`` and ``logordinal`` (equally spaced values: ``finrange`` /
``logfinrange``, the same domain; other values: ``ordinal``, each value equally likely),
``quniform`` / ``qrandint`` (``finrange`` of the multiples of ``q``), ``qloguniform`` /
``qlograndint`` (``ordinal`` of the multiples of ``q``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

from tunesmith import space as _space
from tunesmith.domains import Categorical, Domain, FiniteRange, Float, Integer, Ordinal

__all__ = [
    "Categorical",
    "Domain",
    "FiniteRange",
    "Float",
    "Integer",
    "Ordinal",
    "add_to_argparse",
    "cast_config_values",
    "choice",
    "config_space_from_json_dict",
    "config_space_size",
    "config_space_to_json_dict",
    "finrange",
    "is_log_space",
    "logfinrange",
    "logordinal",
    "lograndint",
    "loguniform",
    "non_constant_hyperparameter_keys",
    "ordinal",
    "qlograndint",
    "qloguniform",
    "qrandint",
    "quniform",
    "randint",
    "reverseloguniform",
    "uniform",
]

#: the most values a quantized domain may have (more: use the continuous domain)
MAX_QUANTIZED_VALUES = 100_000


def uniform(lower: float, upper: float) -> Float:
    return _space.uniform(lower, upper)


def loguniform(lower: float, upper: float) -> Float:
    return _space.loguniform(lower, upper)


def randint(lower: int, upper: int) -> Integer:
    return _space.randint(lower, upper)


def lograndint(lower: int, upper: int) -> Integer:
    return _space.lograndint(lower, upper)


def choice(categories: Sequence[Any]) -> Categorical:
    return _space.choice(categories)


def finrange(lower: float, upper: float, size: int, cast_int: bool = False) -> FiniteRange:
    return _space.finrange(lower, upper, size, cast_int=cast_int)


def logfinrange(lower: float, upper: float, size: int, cast_int: bool = False) -> FiniteRange:
    return _space.logfinrange(lower, upper, size, cast_int=cast_int)


def _equally_spaced(values: list[float], log: bool) -> bool:
    xs = [math.log(v) for v in values] if log else [float(v) for v in values]
    step = (xs[-1] - xs[0]) / (len(xs) - 1)
    scale = max(abs(xs[0]), abs(xs[-1]), step, 1e-300)
    return all(abs(x - (xs[0] + i * step)) <= 1e-9 * scale for i, x in enumerate(xs))


def ordinal(categories: Sequence[Any], kind: str | None = None) -> Domain:
    """Ordered values. ``kind="equal"``: tunesmith's ``ordinal`` (each value equally likely,
    neighbours encoded next to each other). ``"nn"`` / ``"nn-log"`` (numbers, strictly
    increasing; positive for ``"nn-log"``): Syne Tune draws from the interval spanned by the
    values and rounds to the nearest; equally spaced values are then ``finrange`` /
    ``logfinrange`` (the same domain), others tunesmith's ``ordinal``, each value equally
    likely (see docs/migrate-synetune.md). ``kind=None``: ``"nn"`` for numbers, else
    ``"equal"``, as in Syne Tune."""
    values = list(categories)
    numeric = all(isinstance(v, Real) and not isinstance(v, bool) for v in values)
    if kind is None:
        kind = "nn" if numeric and len(values) > 1 else "equal"
    if kind == "equal":
        return _space.ordinal(values)
    if kind not in ("nn", "nn-log"):
        raise ValueError(f"ordinal: kind must be 'equal', 'nn' or 'nn-log', but got {kind!r}")
    if not numeric:
        raise ValueError(f"ordinal(kind={kind!r}): the categories must be numbers: {values!r}")
    if any(b <= a for a, b in itertools.pairwise(values)):
        raise ValueError(f"ordinal(kind={kind!r}): categories must strictly increase: {values!r}")
    log = kind == "nn-log"
    if log and values[0] <= 0:
        raise ValueError(f"ordinal(kind='nn-log'): categories must be positive: {values!r}")
    if len(values) >= 2 and _equally_spaced(values, log):
        cast_int = all(isinstance(v, Integral) for v in values)
        make = _space.logfinrange if log else _space.finrange
        domain = make(values[0], values[-1], len(values), cast_int=cast_int)
        if list(domain.values) == values:
            return domain
    return _space.ordinal(values)


def logordinal(categories: Sequence[Any]) -> Domain:
    """``ordinal(categories, kind="nn-log")``."""
    return ordinal(categories, kind="nn-log")


def _multiples(lower: float, upper: float, q: float, *, what: str) -> list[int]:
    if not (isinstance(q, Real) and q > 0):
        raise ValueError(f"{what}: q must be a positive number, but got q={q!r}")
    first, last = math.ceil(lower / q - 1e-9), math.floor(upper / q + 1e-9)
    if last - first + 1 > MAX_QUANTIZED_VALUES:
        raise ValueError(
            f"{what}: {last - first + 1} multiples of q={q} lie in [{lower}, {upper}]; use the "
            "continuous domain instead"
        )
    if last <= first:
        raise ValueError(f"{what}: fewer than 2 multiples of q={q} lie in [{lower}, {upper}]")
    return list(range(first, last + 1))


def _value(k: int, q: float, integer: bool) -> float | int:
    return int(k * q) if integer else float(f"{k * q:.12g}")


def quniform(lower: float, upper: float, q: float) -> Domain:
    """The multiples of ``q`` in ``[lower, upper]``, each equally likely:
    ``finrange(q * ceil(lower / q), q * floor(upper / q), n)``."""
    ks = _multiples(lower, upper, q, what="quniform")
    return _space.finrange(_value(ks[0], q, False), _value(ks[-1], q, False), len(ks))


def qrandint(lower: int, upper: int, q: int = 1) -> Domain:
    """The multiples of ``q`` in ``[lower, upper]`` (ints), each equally likely."""
    if q == 1:
        return _space.randint(lower, upper)
    ks = _multiples(lower, upper, q, what="qrandint")
    return _space.finrange(ks[0] * q, ks[-1] * q, len(ks), cast_int=True)


def qloguniform(lower: float, upper: float, q: float) -> Domain:
    """The multiples of ``q`` in ``[lower, upper]`` as an ``ordinal`` (ordered; each value
    equally likely, where Syne Tune draws log-uniformly and rounds)."""
    ks = _multiples(lower, upper, q, what="qloguniform")
    return _space.ordinal([_value(k, q, False) for k in ks])


def qlograndint(lower: int, upper: int, q: int = 1) -> Domain:
    """``lograndint`` for ``q=1``; else the multiples of ``q`` as an ``ordinal``."""
    if q == 1:
        return _space.lograndint(lower, upper)
    ks = _multiples(lower, upper, q, what="qlograndint")
    return _space.ordinal([k * q for k in ks])


def reverseloguniform(lower: float, upper: float) -> Float:
    return _space.reverseloguniform(lower, upper)


def is_log_space(domain: Domain) -> bool:
    """Whether ``domain`` is encoded in log scale."""
    return bool(getattr(domain, "log", False))


def non_constant_hyperparameter_keys(config_space: dict[str, Any]) -> list[str]:
    """The names of the entries that are domains."""
    return [k for k, v in config_space.items() if isinstance(v, Domain)]


def _value_type(domain: Domain) -> type:
    if isinstance(domain, Float):
        return float
    if isinstance(domain, Integer):
        return int
    values = getattr(domain, "values", None) or getattr(domain, "categories", [])
    types = {type(v) for v in values}
    if types == {int}:
        return int
    if types <= {int, float}:
        return float
    return str


def add_to_argparse(parser: Any, config_space: dict[str, Any]) -> None:
    """``parser.add_argument(f"--{name}", type=...)`` for each domain of the config space."""
    for name, domain in config_space.items():
        if isinstance(domain, Domain):
            parser.add_argument(f"--{name}", type=_value_type(domain))


def cast_config_values(config: dict[str, Any], config_space: dict[str, Any]) -> dict[str, Any]:
    """``config`` with each value of a domain cast to the domain's type."""
    return {
        k: config_space[k].cast(v) if isinstance(config_space.get(k), Domain) else v
        for k, v in config.items()
    }


def config_space_size(config_space: dict[str, Any], upper_limit: int = 2**20) -> int | None:
    """The number of configs, or None if infinite or more than ``upper_limit``."""
    size = 1
    for domain in config_space.values():
        if isinstance(domain, Domain):
            if domain.cardinality is None:
                return None
            size *= domain.cardinality
            if size > upper_limit:
                return None
    return size


def config_space_to_json_dict(config_space: dict[str, Any]) -> dict[str, Any]:
    import json

    return json.loads(_space.space_to_json(config_space))


def config_space_from_json_dict(config_space_dict: dict[str, Any]) -> dict[str, Any]:
    return _space.space_from_json(config_space_dict)
