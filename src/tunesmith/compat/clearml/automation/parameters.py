"""ClearML's hyper-parameter ranges (``clearml.automation.parameters``), each translated into a
tunesmith domain: :meth:`Parameter.domain` is what random and model-based search sample,
:meth:`Parameter.to_list` the values grid search visits (ClearML's ``to_list``).

=============================================  ==========================================
ClearML                                        tunesmith domain (random / model-based)
=============================================  ==========================================
``UniformParameterRange(n, a, b)``             ``uniform(a, b)``
``UniformParameterRange(n, a, b, step_size=s)``  ``ordinal([a, a+s, ...])``: ``round((b-a)/s)``
                                               values, ``b`` excluded (as ClearML samples)
``UniformIntegerParameterRange(n, a, b)``      ``randint(a, b)`` (step 1, ``b`` included)
``UniformIntegerParameterRange(..., step_size=s)``  ``ordinal(range(a, b (+s), s))``
``LogUniformParameterRange(n, a, b, base=10)``  ``loguniform(base**a, base**b)`` (a, b exponents)
``DiscreteParameterRange(n, values)``          ``choice(values)``
``ParameterSet(combinations)``                 ``choice`` of the combination's index
=============================================  ==========================================
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Mapping, Sequence
from itertools import product
from typing import Any

from tunesmith.compat.clearml._errors import InvalidValue

__all__ = [
    "DiscreteParameterRange",
    "LogUniformParameterRange",
    "Parameter",
    "ParameterSet",
    "RandomSeed",
    "UniformIntegerParameterRange",
    "UniformParameterRange",
]


class RandomSeed:
    """ClearML's global seed of every search strategy (default 1337): the native searchers
    get it as their ``random_seed``."""

    _seed = 1337

    @staticmethod
    def set_random_seed(seed: int = 1337) -> None:
        """Set the seed of every search strategy created from now on."""
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise InvalidValue(f"set_random_seed: seed must be an int, but got seed={seed!r}")
        RandomSeed._seed = int(seed)

    @staticmethod
    def get_random_seed() -> int:
        return RandomSeed._seed


def _number(cls: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise InvalidValue(f"{cls}: {name} must be a finite number, but got {name}={value!r}")
    return float(value)


def _check_name(cls: str, name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise InvalidValue(
            f"{cls}: name must be the task's hyper-parameter name (a non-empty str), but got "
            f"name={name!r}"
        )
    return name


class Parameter(RandomSeed):
    """The base of the ranges: ``name`` is the hyper-parameter's name as the task sees it."""

    def __init__(self, name: str | None):
        self.name = name

    def domain(self) -> Any:
        """The tunesmith domain that random and model-based search sample."""
        raise NotImplementedError

    def grid_values(self) -> list[Any]:
        """The values of :meth:`to_list`, without the name (what the grid's config holds)."""
        return [v[self.name] for v in self.to_list()]

    def get_value(self) -> dict[str, Any]:
        """``{name: value}`` sampled from :meth:`domain` with ClearML's global seed (one draw;
        the search strategies sample through their native searcher instead)."""
        import numpy as np

        from tunesmith.space import sample_config

        rng = np.random.default_rng(self.get_random_seed())
        return sample_config({self.name: self.domain()}, rng)

    def to_list(self) -> list[dict[str, Any]]:
        """Every value grid search visits, as ``[{name: value}, ...]``."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """ClearML's serialized form: ``{"type": class name, **attributes}``."""
        out: dict[str, Any] = {"type": type(self).__name__}
        for key, value in self.__dict__.items():
            out[key] = value.to_dict() if isinstance(value, Parameter) else value
        return out

    @classmethod
    def from_dict(cls, a_dict: Mapping[str, Any]) -> Parameter | None:
        """The parameter :meth:`to_dict` wrote (None for an unknown type)."""
        data = dict(a_dict)
        kind = getattr(sys.modules[__name__], str(data.pop("type", "")), None)
        if not (isinstance(kind, type) and issubclass(kind, Parameter)):
            return None
        obj = kind.__new__(kind)
        obj.__dict__ = {
            k: cls.from_dict(v) if isinstance(v, Mapping) and "type" in v else v
            for k, v in data.items()
        }
        return obj

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
        return f"{type(self).__name__}({args})"


class UniformParameterRange(Parameter):
    """A float, uniform in ``[min_value, max_value]``; with ``step_size``, one of
    ``min_value + k * step_size`` for ``k < round((max_value - min_value) / step_size)`` (as
    ClearML samples it: ``max_value`` is not drawn). Grid search visits the steps (100 of them
    without ``step_size``) and ``max_value`` when ``include_max_value``."""

    def __init__(
        self,
        name: str,
        min_value: float,
        max_value: float,
        step_size: float | None = None,
        include_max_value: bool = True,
    ):
        cls = type(self).__name__
        super().__init__(_check_name(cls, name))
        self.min_value = _number(cls, "min_value", min_value)
        self.max_value = _number(cls, "max_value", max_value)
        if not self.min_value < self.max_value:
            raise InvalidValue(
                f"{cls}({name!r}): min_value must be below max_value, but got "
                f"min_value={min_value!r}, max_value={max_value!r}"
            )
        if step_size is not None:
            step_size = _number(cls, "step_size", step_size)
            if step_size <= 0 or step_size > self.max_value - self.min_value:
                raise InvalidValue(
                    f"{cls}({name!r}): step_size must be in (0, max_value - min_value], but got "
                    f"step_size={step_size!r}"
                )
        self.step_size = step_size
        self.include_max = bool(include_max_value)

    def _steps(self) -> list[float]:
        steps = round((self.max_value - self.min_value) / self.step_size)
        return [self.min_value + k * self.step_size for k in range(max(1, steps))]

    def _scale(self, value: float) -> float:
        return value

    def domain(self) -> Any:
        from tunesmith.space import ordinal, uniform

        if not self.step_size:
            return uniform(self.min_value, self.max_value)
        return ordinal([self._scale(v) for v in self._steps()])

    def to_list(self) -> list[dict[str, Any]]:
        step = self.step_size or (self.max_value - self.min_value) / 100.0
        n = int((self.max_value - self.min_value) / step)
        values = [self.min_value + k * step for k in range(n)]
        if self.include_max and (not values or values[-1] < self.max_value):
            values.append(self.max_value)
        return [{self.name: self._scale(v)} for v in values]


class LogUniformParameterRange(UniformParameterRange):
    """``base ** x`` with the exponent ``x`` drawn as :class:`UniformParameterRange` draws it:
    ``min_value`` and ``max_value`` are exponents (``LogUniformParameterRange("lr", -4, -1)``
    is ``loguniform(1e-4, 1e-1)``)."""

    def __init__(
        self,
        name: str,
        min_value: float,
        max_value: float,
        base: float = 10,
        step_size: float | None = None,
        include_max_value: bool = True,
    ):
        super().__init__(name, min_value, max_value, step_size, include_max_value)
        base = _number(type(self).__name__, "base", base)
        if base <= 0 or base == 1:
            raise InvalidValue(
                f"LogUniformParameterRange({name!r}): base must be > 0 and not 1, but got "
                f"base={base!r}"
            )
        self.base = base

    def _scale(self, value: float) -> float:
        return self.base**value

    def domain(self) -> Any:
        from tunesmith.space import loguniform

        if not self.step_size:
            return loguniform(self.base**self.min_value, self.base**self.max_value)
        return super().domain()


class UniformIntegerParameterRange(Parameter):
    """An int from ``range(min_value, max_value + (step_size if include_max_value else 0),
    step_size)`` (ClearML's sampling); grid search visits ``range(min_value, max_value,
    step_size)`` and ``max_value`` when ``include_max_value``."""

    def __init__(
        self,
        name: str,
        min_value: int,
        max_value: int,
        step_size: int = 1,
        include_max_value: bool = True,
    ):
        cls = type(self).__name__
        super().__init__(_check_name(cls, name))
        for key, value in (
            ("min_value", min_value),
            ("max_value", max_value),
            ("step_size", step_size),
        ):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise InvalidValue(
                    f"{cls}({name!r}): {key} must be an int, but got {key}={value!r}"
                )
        if step_size < 1 or min_value >= max_value:
            raise InvalidValue(
                f"{cls}({name!r}): needs min_value < max_value and step_size >= 1, but got "
                f"min_value={min_value!r}, max_value={max_value!r}, step_size={step_size!r}"
            )
        self.min_value, self.max_value, self.step_size = (
            int(min_value),
            int(max_value),
            int(step_size),
        )
        self.include_max = bool(include_max_value)

    def _sampled(self) -> list[int]:
        stop = self.max_value + (self.step_size if self.include_max else 0)
        return list(range(self.min_value, stop, self.step_size))

    def domain(self) -> Any:
        from tunesmith.space import ordinal, randint

        if self.step_size == 1:
            return randint(self.min_value, self.max_value - (0 if self.include_max else 1))
        return ordinal(self._sampled())

    def to_list(self) -> list[dict[str, Any]]:
        values = list(range(self.min_value, self.max_value, self.step_size))
        if self.include_max and (not values or values[-1] < self.max_value):
            values.append(self.max_value)
        return [{self.name: v} for v in values]


class DiscreteParameterRange(Parameter):
    """One of ``values`` (str, int, float, bool or None), each as likely."""

    def __init__(self, name: str, values: Sequence[Any] = ()):
        super().__init__(_check_name("DiscreteParameterRange", name))
        if isinstance(values, str | bytes) or not isinstance(values, Sequence) or not values:
            raise InvalidValue(
                f"DiscreteParameterRange({name!r}): values must be a non-empty list or tuple, "
                f"but got values={values!r}"
            )
        self.values = list(values)

    def domain(self) -> Any:
        from tunesmith.space import choice

        return choice(self.values)

    def to_list(self) -> list[dict[str, Any]]:
        return [{self.name: v} for v in self.values]


class ParameterSet(Parameter):
    """One of ``parameter_combinations`` (dicts of values, each as likely). A range inside a
    combination is expanded into its :meth:`~Parameter.to_list` values (so a combination with
    a range counts once per value). The config holds the combination's index under
    :attr:`key`; the task gets the combination's values."""

    def __init__(self, parameter_combinations: Sequence[Mapping[str, Any]] = ()):
        super().__init__(name=None)
        if (
            isinstance(parameter_combinations, str | bytes)
            or not isinstance(parameter_combinations, Sequence)
            or not parameter_combinations
            or not all(isinstance(c, Mapping) for c in parameter_combinations)
        ):
            raise InvalidValue(
                "ParameterSet: parameter_combinations must be a non-empty list of dicts, but got "
                f"parameter_combinations={parameter_combinations!r}"
            )
        self.values = [dict(c) for c in parameter_combinations]
        #: the config key holding the combination's index (set by the search strategy)
        self.key = "parameter_set"

    def to_list(self) -> list[dict[str, Any]]:
        combinations = []
        for combination in self.values:
            options = [
                v.to_list() if isinstance(v, Parameter) else [{k: v}]
                for k, v in combination.items()
            ]
            for state in product(*options):
                combinations.append({k: v for d in state for k, v in d.items()})
        return combinations

    def grid_values(self) -> list[Any]:
        return list(range(len(self.to_list())))

    def domain(self) -> Any:
        from tunesmith.space import choice

        return choice(list(range(len(self.to_list()))))
