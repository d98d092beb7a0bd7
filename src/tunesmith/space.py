"""Configuration spaces: domains of hyperparameters and operations on whole spaces.

A config space is a plain ``dict`` mapping names to a :class:`Domain` (a hyperparameter) or to
any other JSON-serializable value (a constant, passed unchanged into every config)::

    space = {
        "lr": loguniform(1e-5, 1e-1),
        "layers": randint(1, 4),
        "act": choice(["relu", "tanh"]),
        "epochs": 20,  # constant
    }

Every domain maps its values to and from the unit interval. The encoding is what model-based
searchers work on, and sampling a domain is decoding a uniform draw:

* ``uniform``/``loguniform``: one number, linear (or log) position between the bounds;
  ``reverseloguniform``: the position of ``-log(1 - x)``.
* ``randint``/``lograndint``: one number; value ``v`` of ``n`` integers owns the interval
  ``[(i)/n, (i+1)/n)`` (in log space for ``lograndint``, whose bounds are widened by 0.5 so that
  both ends are as likely as their neighbours); encoding gives the interval's centre.
* ``finrange``/``logfinrange``/``ordinal``: one number, the centre of the ``i``-th of ``n`` equal
  bins, so neighbouring values have neighbouring encodings.
* ``choice``: one-hot, one number per category (decoding takes the largest entry), so no order
  is implied between categories. This is the encoding Gaussian-process searchers expect.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from numbers import Integral
from typing import TYPE_CHECKING, Any

from tunesmith.domains import (
    Categorical,
    Domain,
    FiniteRange,
    Float,
    Integer,
    Ordinal,
    ReverseLogFloat,
)

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "Categorical",
    "Domain",
    "FiniteRange",
    "Float",
    "Integer",
    "Ordinal",
    "ReverseLogFloat",
    "check_space",
    "choice",
    "complete_config",
    "config_errors",
    "default_config",
    "domain_from_dict",
    "finrange",
    "grid",
    "grid_axes",
    "grid_size",
    "hyperparameters",
    "logfinrange",
    "lograndint",
    "loguniform",
    "ordinal",
    "randint",
    "reverseloguniform",
    "sample_config",
    "space_from_json",
    "space_to_json",
    "uniform",
    "validate_config",
]


# -- constructors (the public names) -------------------------------------------------------


def uniform(lower: float, upper: float) -> Float:
    """Real value, uniform in ``[lower, upper]``."""
    return Float(lower, upper)


def loguniform(lower: float, upper: float) -> Float:
    """Real value, uniform in ``[log(lower), log(upper)]``; needs ``lower > 0``."""
    return Float(lower, upper, log=True)


def reverseloguniform(lower: float, upper: float) -> ReverseLogFloat:
    """Real value in ``[lower, upper]`` (``0 <= lower < upper < 1``), uniform in
    ``[-log(1 - lower), -log(1 - upper)]``: log-uniform in ``1 - x``, for values close to 1
    such as a momentum or Adam's ``beta2`` (``reverseloguniform(0.9, 0.9999)``)."""
    return ReverseLogFloat(lower, upper)


def randint(lower: int, upper: int) -> Integer:
    """Integer, uniform in ``lower, ..., upper`` (both ends included)."""
    return Integer(lower, upper)


def lograndint(lower: int, upper: int) -> Integer:
    """Integer, log-uniform in ``lower, ..., upper`` (both ends included); needs ``lower >= 1``."""
    return Integer(lower, upper, log=True)


def choice(categories: Sequence[Any]) -> Categorical:
    """One of ``categories`` (str, int, float, bool or None), no order implied."""
    return Categorical(categories)


def ordinal(categories: Sequence[Any]) -> Ordinal:
    """One of ``categories``, whose order matters (e.g. ``["small", "medium", "large"]``)."""
    return Ordinal(categories)


def finrange(lower: float, upper: float, size: int, *, cast_int: bool = False) -> FiniteRange:
    """``size`` equally spaced values ``lower, ..., upper``; ``finrange(0.5, 1.5, 3)`` is
    ``0.5, 1.0, 1.5``. With ``cast_int=True`` the values are ints."""
    return FiniteRange(lower, upper, size, cast_int=cast_int)


def logfinrange(lower: float, upper: float, size: int, *, cast_int: bool = False) -> FiniteRange:
    """``size`` values equally spaced in log scale; ``logfinrange(8, 256, 6, cast_int=True)`` is
    ``8, 16, 32, 64, 128, 256``."""
    return FiniteRange(lower, upper, size, log=True, cast_int=cast_int)


_FROM_DICT = {
    "uniform": lambda d: uniform(d["lower"], d["upper"]),
    "loguniform": lambda d: loguniform(d["lower"], d["upper"]),
    "reverseloguniform": lambda d: reverseloguniform(d["lower"], d["upper"]),
    "randint": lambda d: randint(d["lower"], d["upper"]),
    "lograndint": lambda d: lograndint(d["lower"], d["upper"]),
    "choice": lambda d: choice(d["categories"]),
    "ordinal": lambda d: ordinal(d["categories"]),
    "finrange": lambda d: finrange(
        d["lower"], d["upper"], d["size"], cast_int=d.get("cast_int", False)
    ),
    "logfinrange": lambda d: logfinrange(
        d["lower"], d["upper"], d["size"], cast_int=d.get("cast_int", False)
    ),
}


def domain_from_dict(d: Mapping[str, Any]) -> Domain:
    """Inverse of :meth:`Domain.to_dict`."""
    kind = d.get("type")
    if kind not in _FROM_DICT:
        raise ValueError(f"unknown domain type {kind!r}; valid types are {sorted(_FROM_DICT)}")
    return _FROM_DICT[kind](d)


# -- whole spaces --------------------------------------------------------------------------


def _nan_path(value: Any, path: str) -> str | None:
    """Where a NaN hides in the constant ``value`` (e.g. ``['opt']['betas'][1]``), or None."""
    if isinstance(value, float):  # numpy's float64 included
        return path if math.isnan(value) else None
    if isinstance(value, Mapping):
        for k, v in value.items():
            found = _nan_path(k, f"{path} (a key)") or _nan_path(v, f"{path}[{k!r}]")
            if found:
                return found
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            found = _nan_path(v, f"{path}[{i}]")
            if found:
                return found
    return None


def check_space(config_space: Any) -> dict[str, Any]:
    """Raise a clear error unless ``config_space`` is a valid space; return it.

    Constants must be JSON-serializable and hold no NaN, even nested in lists or dicts: NaN
    equals nothing, not even itself, so a study whose space held one could never be resumed
    (its stored space would never match the script's)."""
    if not isinstance(config_space, Mapping):
        raise TypeError(
            "config_space must be a dict of {name: domain or constant}, but got "
            f"{type(config_space).__name__}: {config_space!r}"
        )
    for name, value in config_space.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"config_space keys must be non-empty strings, but got {name!r}")
        if isinstance(value, Domain):
            continue
        try:
            json.dumps(value)
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"config_space[{name!r}] must be a domain (uniform, choice, ...) or a "
                f"JSON-serializable constant, but got {value!r} ({type(value).__name__})"
            ) from err
        where = _nan_path(value, f"config_space[{name!r}]")
        if where is not None:
            raise ValueError(
                f"{where} must not be NaN: a constant must equal itself to be stored and "
                f"resumed; got {name!r}={value!r}. Use None for a missing value"
            )
    return dict(config_space)


def hyperparameters(config_space: Mapping[str, Any]) -> dict[str, Domain]:
    """The entries of ``config_space`` that are domains, in order."""
    return {k: v for k, v in config_space.items() if isinstance(v, Domain)}


def sample_config(config_space: Mapping[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """A random config: every domain sampled, constants copied."""
    hps = hyperparameters(config_space)
    us = rng.random(len(hps)).tolist()
    config = dict(config_space)
    for (name, domain), u in zip(hps.items(), us, strict=True):
        config[name] = domain.value_at(u)
    return config


def default_config(config_space: Mapping[str, Any]) -> dict[str, Any]:
    """The midpoint config (middle of ranges, geometric middle of log ranges, middle ordinal,
    first category)."""
    return {k: v.default() if isinstance(v, Domain) else v for k, v in config_space.items()}


def config_errors(config_space: Mapping[str, Any], config: Any) -> list[str]:
    """Every problem with ``config``, one message per bad key (empty when valid)."""
    if not isinstance(config, Mapping):
        return [f"a config must be a dict, but got {type(config).__name__}: {config!r}"]
    errors = []
    for name, domain in config_space.items():
        if name not in config:
            errors.append(f"{name!r} is missing")
            continue
        value = config[name]
        if isinstance(domain, Domain):
            if not domain.is_valid(value):
                errors.append(f"{name!r}={value!r} is invalid: must be {domain.describe()}")
        elif value != domain:
            errors.append(f"{name!r}={value!r} differs from the space's constant {domain!r}")
    for name in config:
        if name not in config_space:
            errors.append(f"{name!r} is not in the config space (keys: {sorted(config_space)})")
    return errors


def validate_config(
    config_space: Mapping[str, Any], config: Any, *, what: str = "config"
) -> dict[str, Any]:
    """Raise ``ValueError`` listing every bad key of ``config``; return it cast to the domains'
    types."""
    errors = config_errors(config_space, config)
    if errors:
        raise ValueError(f"invalid {what}: " + "; ".join(errors))
    return {
        k: (d.cast(config[k]) if isinstance(d, Domain) else config[k])
        for k, d in config_space.items()
    }


def complete_config(
    config_space: Mapping[str, Any], partial: Mapping[str, Any], *, what: str = "config"
) -> dict[str, Any]:
    """``partial`` with missing keys taken from the default config, then validated."""
    if not isinstance(partial, Mapping):
        raise TypeError(f"{what} must be a dict, but got {type(partial).__name__}: {partial!r}")
    unknown = [k for k in partial if k not in config_space]
    if unknown:
        raise ValueError(
            f"invalid {what}: unknown keys {unknown}; the config space has {sorted(config_space)}"
        )
    missing = {k: v for k, v in config_space.items() if k not in partial}
    config = {**default_config(missing), **partial}  # (defaults of the missing keys only)
    return validate_config(config_space, config, what=what)


def config_key(config: Mapping[str, Any], names: Sequence[str]) -> tuple:
    """Hashable identity of a config over the hyperparameters ``names``."""
    return tuple(config[n] for n in names)


def space_to_json(config_space: Mapping[str, Any]) -> str:
    """JSON text of a space; constants are stored as ``{"type": "constant", "value": ...}``."""
    check_space(config_space)
    data = {
        k: v.to_dict() if isinstance(v, Domain) else {"type": "constant", "value": v}
        for k, v in config_space.items()
    }
    return json.dumps(data)


def space_from_json(text: str | Mapping[str, Any]) -> dict[str, Any]:
    """Inverse of :func:`space_to_json` (accepts the text or the parsed dict)."""
    data = json.loads(text) if isinstance(text, str) else text
    return {
        k: d["value"] if d.get("type") == "constant" else domain_from_dict(d)
        for k, d in data.items()
    }


def grid_axes(
    config_space: Mapping[str, Any],
    num_samples: int | Mapping[str, int] = 5,
    *,
    centred: bool = False,
) -> tuple[list[str], list[list[Any]]]:
    """Names of the hyperparameters and the grid values of each (see :func:`grid`)."""
    hps = hyperparameters(config_space)
    if isinstance(num_samples, Mapping):
        unknown = [k for k in num_samples if k not in hps]
        if unknown:
            raise ValueError(
                f"`num_samples` has keys {unknown} that are not hyperparameters of the "
                f"config space ({sorted(hps)})"
            )
    axes = []
    for name, domain in hps.items():
        n = num_samples.get(name, 5) if isinstance(num_samples, Mapping) else num_samples
        if not isinstance(n, Integral) or isinstance(n, bool) or n < 1:
            raise ValueError(f"`num_samples` for {name!r} must be an int >= 1, but got {n!r}")
        axes.append(domain.grid(int(n), centred=centred))
    return list(hps), axes


def grid_size(
    config_space: Mapping[str, Any],
    num_samples: int | Mapping[str, int] = 5,
    *,
    centred: bool = False,
) -> int:
    """Number of configs in :func:`grid`."""
    _, axes = grid_axes(config_space, num_samples, centred=centred)
    return math.prod(len(a) for a in axes)


def grid(
    config_space: Mapping[str, Any],
    num_samples: int | Mapping[str, int] = 5,
    *,
    centred: bool = False,
) -> Iterator[dict[str, Any]]:
    """Every combination of the domains' grid values (all values of finite domains,
    ``num_samples`` spread values of continuous ones, both ends included), the last key varying
    fastest. ``centred=True`` gives Syne Tune's grid: continuous domains take the centres of
    ``num_samples`` equal bins of their encoding, and integer domains ``min(num_samples, size)``
    such values instead of every int."""
    names, axes = grid_axes(config_space, num_samples, centred=centred)
    for values in itertools.product(*axes):
        config = dict(config_space)
        config.update(zip(names, values, strict=True))
        yield config
