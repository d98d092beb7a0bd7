"""``ag.space``: AutoGluon's search spaces, each translated to a tunesmith domain.

``Real(lower, upper, default=None, log=False)`` is ``uniform`` (``loguniform`` with
``log=True``), ``Int(lower, upper, default=None)`` ``randint``, ``Bool()`` ``randint(0, 1)``
(as in AutoGluon, an ``Int``), ``Categorical(*values)`` ``choice`` (the first value is the
default). ``List(*items)`` and ``Dict(**items)`` hold spaces and constants: each space in them is
a hyperparameter of its own, named ``<name>▁<index or key>`` (AutoGluon's separator), and the
training function gets the list or dict with the sampled values in place.

A space's default (tried first by the ``random`` and ``bayesopt`` searchers, as AutoGluon does)
is ``default`` where given, else the middle of the range (geometric for ``log=True``, rounded for
``Int``), else the first value of a ``Categorical``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tunesmith.compat.autogluon.errors import InvalidValue, NotSupported
from tunesmith.space import choice, loguniform, randint, uniform

__all__ = [
    "SPLITTER",
    "Bool",
    "Categorical",
    "Dict",
    "Int",
    "List",
    "Real",
    "Space",
    "flatten",
    "rebuild",
]

#: AutoGluon's separator of nested hyperparameter names
SPLITTER = "▁"


class Space:
    """Base of the searchable spaces."""


class SimpleSpace(Space):
    """A space of one hyperparameter."""

    _default: Any = None

    def domain(self) -> Any:  # pragma: no cover - each subclass has its own
        raise NotImplementedError

    @property
    def default(self) -> Any:
        return self.domain().default() if self._default is None else self._default


class Real(SimpleSpace):
    """Real values in ``[lower, upper]`` (``log=True``: searched on a log scale)."""

    def __init__(self, lower: float, upper: float, default: float | None = None, log: bool = False):
        self.lower, self.upper, self.log, self._default = lower, upper, bool(log), default
        self.domain()  # bad bounds fail here, naming them

    def domain(self) -> Any:
        return (loguniform if self.log else uniform)(self.lower, self.upper)

    def __repr__(self) -> str:
        return f"Real(lower={self.lower}, upper={self.upper}, log={self.log})"


class Int(SimpleSpace):
    """Integers in ``[lower, upper]``, both included."""

    def __init__(self, lower: int, upper: int, default: int | None = None):
        self.lower, self.upper, self._default = lower, upper, default
        self.domain()

    def domain(self) -> Any:
        return randint(self.lower, self.upper)

    def __repr__(self) -> str:
        return f"Int(lower={self.lower}, upper={self.upper})"


class Bool(Int):
    """0 or 1 (AutoGluon's ``Bool`` is ``Int(0, 1)``)."""

    def __init__(self) -> None:
        super().__init__(0, 1)


class NestedSpace(Space):
    """A space that holds other values: ``Categorical``, ``List``, ``Dict``."""


class Categorical(NestedSpace):
    """One of ``values``; the first is the default."""

    def __init__(self, *data: Any):
        if not data:
            raise InvalidValue("Categorical needs at least one value, but got none")
        for value in data:
            if isinstance(value, Space):
                raise NotSupported(
                    f"Categorical({', '.join(map(repr, data))}): a space inside a Categorical "
                    "(a conditional search space) is not supported; tunesmith's config spaces "
                    "are flat. Search the choices as separate hyperparameters instead"
                )
        self.data = list(data)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.data)

    def __getitem__(self, index: int) -> Any:
        return self.data[index]

    def __len__(self) -> int:
        return len(self.data)

    def domain(self) -> Any:
        return choice(self.data)

    @property
    def default(self) -> Any:
        return self.data[0]

    def __repr__(self) -> str:
        return f"Categorical{self.data}"


class List(NestedSpace):
    """A list whose items may be spaces."""

    def __init__(self, *data: Any):
        self.data = list(data)

    def items(self) -> list[tuple[str, Any]]:
        return [(str(i), v) for i, v in enumerate(self.data)]

    def __repr__(self) -> str:
        return f"List{self.data}"


class Dict(NestedSpace):
    """A dict whose values may be spaces."""

    def __init__(self, **data: Any):
        self.data = dict(data)

    def items(self) -> list[tuple[str, Any]]:
        return list(self.data.items())

    def __repr__(self) -> str:
        return f"Dict{self.data}"


def flatten(name: str, value: Any) -> dict[str, Any]:
    """The hyperparameters of argument ``name``: ``{key: space}`` (empty for a constant)."""
    if isinstance(value, SimpleSpace | Categorical):
        return {name: value}
    if isinstance(value, List | Dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flatten(f"{name}{SPLITTER}{key}", item))
        return out
    if isinstance(value, Space):
        raise NotSupported(f"argument {name!r}: the space {value!r} is not supported")
    return {}


def rebuild(name: str, value: Any, config: dict[str, Any]) -> Any:
    """Argument ``name``'s value for the training function: ``value`` with its spaces replaced
    by the config's values (the space's default where the config has none)."""
    if isinstance(value, SimpleSpace | Categorical):
        return config.get(name, value.default)
    if isinstance(value, List):
        return [rebuild(f"{name}{SPLITTER}{k}", v, config) for k, v in value.items()]
    if isinstance(value, Dict):
        return {k: rebuild(f"{name}{SPLITTER}{k}", v, config) for k, v in value.items()}
    return value
