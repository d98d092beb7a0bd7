"""Specs: the class and constructor arguments of a scheduler or searcher, as JSON data.

Schedulers and searchers remember the arguments they were built with (see :class:`Specified`),
so a study can store what ran, tell what differs when a script changes, and rebuild fresh
objects (with the stored seed) to replay its journal. Objects are persisted as data, never
pickled.
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Mapping
from typing import Any

from tunesmith.domains import Domain

__all__ = ["Specified", "build", "diff_specs", "spec_of"]


class Specified:
    """Mixin recording the outermost constructor call's arguments in ``_init_args``."""

    def __new__(cls, *args: Any, **kwargs: Any):
        obj = super().__new__(cls)
        obj._init_args = (args, dict(kwargs))
        return obj


def _to_data(value: Any) -> Any:
    if isinstance(value, Specified):
        return {"__spec__": spec_of(value)}
    if isinstance(value, Domain):
        return {"__domain__": value.to_dict()}
    if isinstance(value, Mapping):
        return {str(k): _to_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_data(v) for v in value]
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return {"__repr__": repr(value)}
    return value


def _from_data(value: Any) -> Any:
    from tunesmith.space import domain_from_dict

    if isinstance(value, Mapping):
        if "__spec__" in value:
            return build(value["__spec__"])
        if "__domain__" in value:
            return domain_from_dict(value["__domain__"])
        if "__repr__" in value:
            raise ValueError(f"cannot rebuild an argument stored as {value['__repr__']}")
        return {k: _from_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_data(v) for v in value]
    return value


def spec_of(obj: Specified, **overrides: Any) -> dict[str, Any]:
    """``{"class": "module:Name", "args": [...], "kwargs": {...}}`` of ``obj``; ``overrides``
    replace keyword arguments (e.g. ``random_seed``)."""
    args, kwargs = getattr(obj, "_init_args", ((), {}))
    cls = type(obj)
    try:  # every argument by name, defaults included, so specs compare field by field
        bound = inspect.signature(cls.__init__).bind(obj, *args, **kwargs)
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        arguments.pop(next(iter(arguments)))  # self
        for name, param in inspect.signature(cls.__init__).parameters.items():
            if param.kind is inspect.Parameter.VAR_KEYWORD and name in arguments:
                arguments.update(arguments.pop(name))
            elif param.kind is inspect.Parameter.VAR_POSITIONAL and arguments.pop(name, ()):
                raise TypeError("positional varargs")
        args, kwargs = [], arguments
    except TypeError:
        args = list(args)
    kwargs = {**kwargs, **overrides}
    return {
        "class": f"{cls.__module__}:{cls.__qualname__}",
        "args": _to_data(list(args)),
        "kwargs": _to_data(kwargs),
    }


def build(spec: Mapping[str, Any]) -> Any:
    """A new object from :func:`spec_of`'s data."""
    module, _, name = spec["class"].partition(":")
    cls: Any = importlib.import_module(module)
    for part in name.split("."):
        cls = getattr(cls, part)
    return cls(*_from_data(spec["args"]), **_from_data(spec["kwargs"]))


def diff_specs(old: Any, new: Any, path: str = "") -> list[str]:
    """Human-readable differences between two spec data trees."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        out = []
        for key in sorted(set(old) | set(new), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in old:
                out.append(f"{where}: added {new[key]!r}")
            elif key not in new:
                out.append(f"{where}: removed (was {old[key]!r})")
            else:
                out.extend(diff_specs(old[key], new[key], where))
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        out = []
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            out.extend(diff_specs(a, b, f"{path}[{i}]"))
        return out
    return [] if old == new else [f"{path}: was {old!r}, now {new!r}"]
