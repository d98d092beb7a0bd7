"""Domain classes: the value range, sampling distribution and unit-interval encoding of one
hyperparameter. Users build them through the constructors in :mod:`tunesmith.space`."""

from __future__ import annotations

import json
import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy is imported where it is used: worker processes, which import the
    # user's script and so tunesmith's names, do not load it unless a trial does
    import numpy as np

__all__ = [
    "Categorical",
    "Domain",
    "FiniteRange",
    "Float",
    "Integer",
    "Ordinal",
    "ReverseLogFloat",
]

_CATEGORY_TYPES = (str, int, float, bool, type(None))


def _is_real(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _check_bounds(kind: str, lower: Any, upper: Any, *, log: bool, integer: bool) -> None:
    for name, value in (("lower", lower), ("upper", upper)):
        if integer:
            if not isinstance(value, Integral) or isinstance(value, bool):
                raise TypeError(
                    f"{kind}: `{name}` must be an int, but got {name}={value!r} "
                    f"({type(value).__name__}); use uniform/loguniform for real values"
                )
        elif not _is_real(value) or not math.isfinite(value):
            raise TypeError(f"{kind}: `{name}` must be a finite number, but got {name}={value!r}")
    if not lower < upper:
        raise ValueError(
            f"{kind}: `lower < upper` must hold, but got (lower={lower}, upper={upper})"
        )
    if log and lower <= 0:
        raise ValueError(
            f"{kind}: a log domain needs `lower > 0`, but got lower={lower}; "
            "use a linear domain to include values <= 0"
        )


class Domain(ABC):
    """The value range of one hyperparameter, with its sampling distribution and encoding."""

    #: name used in JSON (``{"type": kind, ...}``)
    kind: str = ""

    @property
    def dim(self) -> int:
        """Number of unit-interval coordinates in this domain's encoding."""
        return 1

    @property
    def is_finite(self) -> bool:
        return self.cardinality is not None

    @property
    def cardinality(self) -> int | None:
        """Number of distinct values, or None for a continuous domain."""
        return None

    # -- sampling -------------------------------------------------------------------------
    @abstractmethod
    def value_at(self, u: float) -> Any:
        """The value at quantile ``u`` in ``[0, 1)`` of this domain's sampling distribution."""

    def sample(self, rng: np.random.Generator | None = None, size: int | None = None) -> Any:
        """One value (``size=None``) or a list of ``size`` values drawn from ``rng`` (a
        ``numpy.random.Generator`` or ``RandomState``; None: numpy's global random state, which
        ``numpy.random.seed`` sets, as Syne Tune's domains draw)."""
        if rng is None:
            import numpy

            rng = numpy.random  # its module functions draw from the global state
        if size is None:
            return self.value_at(float(rng.random()))
        return [self.value_at(u) for u in rng.random(size).tolist()]

    # -- validity ------------------------------------------------------------------------
    @abstractmethod
    def is_valid(self, value: Any) -> bool:
        """Whether ``value`` lies in this domain (ints of a float domain count)."""

    @abstractmethod
    def cast(self, value: Any) -> Any:
        """``value`` converted to this domain's value type (e.g. ``"3"`` -> ``3``)."""

    def describe(self) -> str:
        """What values are allowed, for error messages."""
        return repr(self)

    # -- encoding ------------------------------------------------------------------------
    @abstractmethod
    def encode(self, value: Any) -> list[float]:
        """``dim`` coordinates in ``[0, 1]`` for ``value``."""

    @abstractmethod
    def decode(self, x: Sequence[float]) -> Any:
        """The value whose encoding is closest to the ``dim`` coordinates ``x``."""

    def default(self) -> Any:
        """Midpoint heuristic: the value at the middle of the encoded range."""
        return self.decode([0.5] * self.dim)

    def grid(self, num_samples: int, *, centred: bool = False) -> list[Any]:
        """All values of a finite domain; else ``num_samples`` evenly spread values, both ends
        included. ``centred=True``: the centres of ``num_samples`` equal bins of the encoded
        range instead (Syne Tune's grid: ``uniform(0, 1)`` gives 0.1, 0.3, ..., 0.9 for 5)."""
        if self.cardinality is not None:
            return [self.value_at((i + 0.5) / self.cardinality) for i in range(self.cardinality)]
        if num_samples < 1:
            raise ValueError(f"num_samples must be >= 1, but got num_samples={num_samples}")
        if centred:
            return self._centres(num_samples)
        if num_samples == 1:
            return [self.default()]
        # first occurrences in order; a dict, not ``value not in list`` (quadratic: 40k values
        # took 10 s); floats that compare equal hash equal, so the result is the same
        values = (self.decode([i / (num_samples - 1)]) for i in range(num_samples))
        return list(dict.fromkeys(values))

    def _centres(self, num_samples: int) -> list[Any]:
        """The values at the centres of ``num_samples`` equal bins of the encoding, distinct."""
        values = (self.decode([(i + 0.5) / num_samples]) for i in range(num_samples))
        return list(dict.fromkeys(values))

    # -- JSON ----------------------------------------------------------------------------
    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable description, inverse of :func:`domain_from_dict`."""

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.to_dict() == other.to_dict()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_dict(), sort_keys=True))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items() if k != "type")
        return f"{self.kind}({args})"


class Float(Domain):
    """Real values in ``[lower, upper]``, uniform on a linear or log scale."""

    def __init__(self, lower: float, upper: float, *, log: bool = False):
        kind = "loguniform" if log else "uniform"
        _check_bounds(kind, lower, upper, log=log, integer=False)
        self.kind = kind
        self.lower, self.upper, self.log = float(lower), float(upper), log
        if log:
            self._lo, self._hi = math.log(self.lower), math.log(self.upper)
        else:
            self._lo, self._hi = self.lower, self.upper
        self._width = self._hi - self._lo

    def value_at(self, u: float) -> float:
        z = self._lo + u * self._width
        value = math.exp(z) if self.log else z
        return min(max(value, self.lower), self.upper)

    def is_valid(self, value: Any) -> bool:
        return _is_real(value) and self.lower <= value <= self.upper

    def cast(self, value: Any) -> float:
        return float(value)

    def describe(self) -> str:
        scale = "log-scale " if self.log else ""
        return f"a {scale}real number in [{self.lower:g}, {self.upper:g}]"

    def encode(self, value: Any) -> list[float]:
        z = math.log(value) if self.log else float(value)
        return [min(max((z - self._lo) / self._width, 0.0), 1.0)]

    def decode(self, x: Sequence[float]) -> float:
        return self.value_at(min(max(float(x[0]), 0.0), 1.0))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "lower": self.lower, "upper": self.upper}


class ReverseLogFloat(Float):
    """Real values in ``[lower, upper]`` with ``0 <= lower < upper < 1``, log-uniform in
    ``1 - x``: ``-log(1 - x)`` is uniform, so values close to 1 (a momentum, Adam's beta2)
    are as finely spread as a log scale spreads values close to 0. ``reverseloguniform(0.9,
    0.9999)`` is as likely in ``[0.9, 0.99]`` as in ``[0.99, 0.999]`` and ``[0.999, 0.9999]``."""

    def __init__(self, lower: float, upper: float):
        kind = "reverseloguniform"
        _check_bounds(kind, lower, upper, log=False, integer=False)
        if not (lower >= 0 and upper < 1):
            raise ValueError(
                f"{kind}: `0 <= lower < upper < 1` must hold, but got (lower={lower}, "
                f"upper={upper}); it is log-uniform in 1 - x, for values just below 1"
            )
        self.kind = kind
        self.lower, self.upper, self.log = float(lower), float(upper), False
        # z = -log(1 - x) is uniform in [lo, hi]
        self._lo, self._hi = -math.log1p(-self.lower), -math.log1p(-self.upper)
        self._width = self._hi - self._lo

    def value_at(self, u: float) -> float:
        value = -math.expm1(-(self._lo + u * self._width))  # 1 - exp(-z)
        return min(max(value, self.lower), self.upper)

    def describe(self) -> str:
        return f"a real number in [{self.lower:g}, {self.upper:g}], log-scale in 1 - x"

    def encode(self, value: Any) -> list[float]:
        value = float(value)
        z = -math.log1p(-value) if value < 1 else self._hi
        return [min(max((z - self._lo) / self._width, 0.0), 1.0)]


class Integer(Domain):
    """Integers ``lower, ..., upper`` (both included), uniform on a linear or log scale."""

    def __init__(self, lower: int, upper: int, *, log: bool = False):
        kind = "lograndint" if log else "randint"
        _check_bounds(kind, lower, upper, log=log, integer=True)
        self.kind = kind
        self.lower, self.upper, self.log = int(lower), int(upper), log
        if log:
            self._lo, self._hi = math.log(self.lower - 0.5), math.log(self.upper + 0.5)
        else:
            self._lo, self._hi = self.lower - 0.5, self.upper + 0.5
        self._width = self._hi - self._lo

    @property
    def cardinality(self) -> int:
        return self.upper - self.lower + 1

    def value_at(self, u: float) -> int:
        z = self._lo + u * self._width
        value = round(math.exp(z) if self.log else z)
        return min(max(value, self.lower), self.upper)

    def is_valid(self, value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if isinstance(value, float) and not value.is_integer():
            return False
        return _is_real(value) and self.lower <= value <= self.upper

    def cast(self, value: Any) -> int:
        if isinstance(value, str):
            value = float(value)
        return int(round(value))

    def describe(self) -> str:
        return f"an integer in [{self.lower}, {self.upper}]"

    def encode(self, value: Any) -> list[float]:
        v = int(round(value))
        z = math.log(v) if self.log else v  # inside the value's interval, which rounds back to v
        return [min(max((z - self._lo) / self._width, 0.0), 1.0)]

    def decode(self, x: Sequence[float]) -> int:
        return self.value_at(min(max(float(x[0]), 0.0), 1.0))

    def default(self) -> int:
        """The middle: ``round((lower + upper) / 2)`` (halves to even), or for a log domain the
        geometric middle, the int nearest ``sqrt(lower * upper)`` (never a tie), as Syne Tune
        completes configs: ``lograndint(16, 1024)`` gives 128, ``lograndint(3, 15)`` 7."""
        if not self.log:
            return super().default()
        product = self.lower * self.upper
        root = math.isqrt(product)  # floor of the square root, exact
        # sqrt(product) is nearer root + 1 iff root + 1/2 < sqrt(product)
        return root + 1 if 4 * product > (2 * root + 1) ** 2 else root

    def grid(self, num_samples: int, *, centred: bool = False) -> list[int]:
        """Every int; with ``centred=True`` (Syne Tune's grid) the ints at the centres of
        ``min(num_samples, size)`` equal bins of the encoding."""
        if not centred:
            return list(range(self.lower, self.upper + 1))
        if num_samples < 1:
            raise ValueError(f"num_samples must be >= 1, but got num_samples={num_samples}")
        return self._centres(min(num_samples, self.cardinality))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "lower": self.lower, "upper": self.upper}


class _Finite(Domain):
    """A finite, ordered list of values, encoded as the centres of equal bins."""

    values: list[Any]

    @property
    def cardinality(self) -> int:
        return len(self.values)

    def value_at(self, u: float) -> Any:
        n = len(self.values)
        return self.values[min(int(u * n), n - 1)]

    def index(self, value: Any) -> int | None:
        try:
            return self._index.get(value)
        except TypeError:  # unhashable
            return None

    def is_valid(self, value: Any) -> bool:
        return self.index(value) is not None

    def describe(self) -> str:
        return f"one of {self.values!r}"

    def encode(self, value: Any) -> list[float]:
        i = self.index(value)
        if i is None:
            raise ValueError(f"{value!r} is not {self.describe()}")
        return [(i + 0.5) / len(self.values)]

    def decode(self, x: Sequence[float]) -> Any:
        return self.value_at(min(max(float(x[0]), 0.0), 1.0))

    def grid(self, num_samples: int, *, centred: bool = False) -> list[Any]:
        return list(self.values)


class FiniteRange(_Finite):
    """``size`` equally spaced values from ``lower`` to ``upper`` (both included)."""

    def __init__(
        self, lower: float, upper: float, size: int, *, log: bool = False, cast_int: bool = False
    ):
        kind = "logfinrange" if log else "finrange"
        _check_bounds(kind, lower, upper, log=log, integer=False)
        if not isinstance(size, Integral) or isinstance(size, bool) or size < 2:
            raise ValueError(f"{kind}: `size` must be an int >= 2, but got size={size!r}")
        self.kind = kind
        self.lower, self.upper, self.size = float(lower), float(upper), int(size)
        self.log, self.cast_int = log, bool(cast_int)
        # numpy.linspace's arithmetic (start + i * step, the last value exactly upper), in
        # plain Python: a space need not import numpy
        lo, hi = self.lower, self.upper
        if log:
            a, b = math.log(lo), math.log(hi)
            raw = [math.exp(a + i * ((b - a) / (size - 1))) for i in range(size)]
        else:
            raw = [lo + i * ((hi - lo) / (size - 1)) for i in range(size)]
        raw[0], raw[-1] = lo, hi
        if cast_int:
            self.values = [int(round(v)) for v in raw]
            if len(set(self.values)) < len(self.values):
                raise ValueError(
                    f"{kind}: cast_int=True maps several of the {size} values to the same "
                    f"integer ({self.values}); use a smaller size or a wider range"
                )
        else:
            # 12 significant digits: 16.0 rather than 15.999999999999998
            self.values = [float(f"{v:.12g}") for v in raw]
        self._index = {v: i for i, v in enumerate(self.values)}

    def index(self, value: Any) -> int | None:
        if not _is_real(value):
            return None
        i = self._index.get(value)
        if i is not None:
            return i
        # tolerate round-off (values read back from text or JSON)
        x = float(value)
        j = min(range(len(self.values)), key=lambda k: abs(self.values[k] - x))
        close = math.isclose(self.values[j], x, rel_tol=1e-9, abs_tol=1e-12)
        return j if close else None

    def cast(self, value: Any) -> Any:
        v = float(value)
        i = self.index(v)
        if i is not None:
            return self.values[i]
        return int(round(v)) if self.cast_int else v

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "type": self.kind,
            "lower": self.lower,
            "upper": self.upper,
            "size": self.size,
        }
        if self.cast_int:
            d["cast_int"] = True
        return d


def _check_categories(kind: str, categories: Any) -> list[Any]:
    if isinstance(categories, str | bytes) or not isinstance(categories, Sequence):
        raise TypeError(
            f"{kind}: `categories` must be a list, but got categories={categories!r} "
            f"({type(categories).__name__})"
        )
    categories = list(categories)
    if not categories:
        raise ValueError(f"{kind}: `categories` must not be empty, but got categories=[]")
    for c in categories:
        if not isinstance(c, _CATEGORY_TYPES):
            raise TypeError(
                f"{kind}: every category must be JSON-serializable (str, int, float, bool or "
                f"None), but got {c!r} ({type(c).__name__}) in categories={categories!r}"
            )
        if isinstance(c, float) and not math.isfinite(c):
            raise ValueError(f"{kind}: categories must be finite, but got {c!r}")
    seen: dict[Any, Any] = {}
    for c in categories:
        if c in seen:  # note 1 == 1.0 == True: such categories could not be told apart
            raise ValueError(
                f"{kind}: categories must be distinct, but {c!r} equals the earlier "
                f"{seen[c]!r} in categories={categories!r}"
            )
        seen[c] = c
    return categories


class Ordinal(_Finite):
    """Ordered categories (numbers or not); neighbours in the list get neighbouring encodings."""

    kind = "ordinal"

    def __init__(self, categories: Sequence[Any]):
        self.values = _check_categories("ordinal", categories)
        self._index = {v: i for i, v in enumerate(self.values)}

    @property
    def categories(self) -> list[Any]:
        return list(self.values)

    def cast(self, value: Any) -> Any:
        return _cast_category(self.values, self._index, value)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "categories": list(self.values)}


def _cast_category(values: list[Any], index: dict[Any, int], value: Any) -> Any:
    try:
        i = index.get(value)
    except TypeError:
        i = None
    if i is not None:
        return values[i]
    text = str(value)
    for v in values:
        if str(v) == text or (isinstance(v, bool) and text.lower() == str(v).lower()):
            return v
    raise ValueError(f"{value!r} is not one of {values!r}")


class Categorical(Domain):
    """Unordered categories, sampled uniformly; encoded one-hot."""

    kind = "choice"

    def __init__(self, categories: Sequence[Any]):
        self.categories = _check_categories("choice", categories)
        self._index = {v: i for i, v in enumerate(self.categories)}

    @property
    def dim(self) -> int:
        return len(self.categories)

    @property
    def cardinality(self) -> int:
        return len(self.categories)

    def value_at(self, u: float) -> Any:
        n = len(self.categories)
        return self.categories[min(int(u * n), n - 1)]

    def is_valid(self, value: Any) -> bool:
        try:
            return value in self._index
        except TypeError:
            return False

    def cast(self, value: Any) -> Any:
        return _cast_category(self.categories, self._index, value)

    def describe(self) -> str:
        return f"one of {self.categories!r}"

    def encode(self, value: Any) -> list[float]:
        i = self._index.get(value)
        if i is None:
            raise ValueError(f"{value!r} is not {self.describe()}")
        x = [0.0] * len(self.categories)
        x[i] = 1.0
        return x

    def decode(self, x: Sequence[float]) -> Any:
        import numpy as np

        return self.categories[int(np.argmax(np.asarray(x, dtype=float)))]

    def default(self) -> Any:
        return self.categories[0]

    def grid(self, num_samples: int, *, centred: bool = False) -> list[Any]:
        return list(self.categories)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "categories": list(self.categories)}
