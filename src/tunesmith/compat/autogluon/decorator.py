"""``@ag.args(...)``: a training function ``train_fn(args, reporter)`` with its arguments, each a
constant or a space of :mod:`tunesmith.compat.autogluon.space`. ``train_fn.args`` holds the
defaults (``args.epochs``), ``train_fn.config_space()`` the tunesmith config space."""

from __future__ import annotations

import argparse
import copy
import functools
from collections.abc import Callable, Mapping
from typing import Any

from tunesmith.compat.autogluon.errors import InvalidValue
from tunesmith.compat.autogluon.reporter import FakeReporter
from tunesmith.compat.autogluon.space import Categorical, SimpleSpace, flatten, rebuild

__all__ = ["Args", "SearchableFunction", "args"]


class Args(dict):
    """A dict whose keys are also attributes (``args.lr``), as AutoGluon's ``ezdict``."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        del self[name]


def _as_dict(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, argparse.ArgumentParser):
        value = value.parse_args([])
    if isinstance(value, argparse.Namespace):
        return dict(vars(value))
    if isinstance(value, Mapping):
        return dict(value)
    raise InvalidValue(f"`{what}` must be a dict or an argparse.Namespace, but got {value!r}")


class SearchableFunction:
    """A training function decorated with :func:`args`. Calling it runs the function once,
    outside any tuner: ``train_fn(args, config={...}, reporter=...)`` (AutoGluon's form)."""

    def __init__(self, fn: Callable[..., Any], default: Any, kwvars: Mapping[str, Any]):
        self.f = fn
        functools.update_wrapper(self, fn)
        self.kwvars = dict(_as_dict(default, "default"))
        self.kwvars.update(kwvars)
        self.args = self.default_args()

    def default_args(self, base: Any = None) -> Args:
        """The arguments with every space at its default (``base``: other defaults)."""
        merged = dict(self.kwvars)
        merged.update(_as_dict(base, "args"))
        return Args({k: rebuild(k, v, {}) for k, v in merged.items()})

    @property
    def kwspaces(self) -> dict[str, Any]:
        """The searchable hyperparameters: ``{name: space}``, nested ones flattened."""
        out: dict[str, Any] = {}
        for name, value in self.kwvars.items():
            out.update(flatten(name, value))
        return out

    def config_space(self) -> dict[str, Any]:
        """The tunesmith config space of the searchable hyperparameters."""
        return {name: space.domain() for name, space in self.kwspaces.items()}

    def default_config(self) -> dict[str, Any]:
        """The config AutoGluon tries first: every space at its default."""
        return {name: space.default for name, space in self.kwspaces.items()}

    def build_args(self, config: Mapping[str, Any], base: Any = None) -> Args:
        """The ``args`` the function gets for ``config``. AutoGluon's ``<name>▁choice`` keys
        (an index into a Categorical) are accepted too."""
        config = _from_choice_keys(self.kwspaces, config)
        merged = dict(self.kwvars)
        merged.update(_as_dict(base, "args"))
        return Args({k: copy.deepcopy(rebuild(k, v, config)) for k, v in merged.items()})

    def __call__(self, args: Any = None, config: Mapping[str, Any] | None = None, **kwargs: Any):
        kwargs.setdefault("reporter", FakeReporter())
        return self.f(self.build_args(config or {}, args), **kwargs)

    def __repr__(self) -> str:
        return f"<ag.args function {getattr(self.f, '__qualname__', self.f)!r}>"


def _from_choice_keys(spaces: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in config.items():
        name = key.removesuffix("▁choice")
        if name != key and isinstance(spaces.get(name), Categorical):
            out[name] = spaces[name][value]
        else:
            out[key] = value
    return out


def args(default: Any = None, **kwvars: Any) -> Callable[[Callable[..., Any]], SearchableFunction]:
    """Decorator registering a training function's arguments: constants (``epochs=10``) and
    spaces (``lr=ag.space.Real(1e-3, 1e-2, log=True)``); ``default``: more constants (a dict or
    an ``argparse.Namespace``)."""
    for name, value in kwvars.items():
        if isinstance(value, SimpleSpace | Categorical):
            continue
        flatten(name, value)  # unsupported spaces fail here, naming the argument

    def decorate(fn: Callable[..., Any]) -> SearchableFunction:
        return SearchableFunction(fn, default, kwvars)

    return decorate
