"""Specs: the class and constructor arguments of a scheduler or searcher, as JSON data.

Schedulers and searchers remember the arguments they were built with (see :class:`Specified`),
so a study can store what ran, tell what differs when a script changes, and rebuild fresh
objects (with the stored seed) to replay its journal. Objects are persisted as data, never
pickled.

Classes are named by a stable registered name, not by their module path, so moving a class to
another file keeps stored studies resumable: every subclass of :class:`Specified` registers
itself when it is defined, under its ``spec_name`` class attribute when it sets one (to keep the
stored name after renaming the class), else under its ``__name__``. Two classes claiming one name
is an error. Specs written before the registry name classes as ``"module:Class"``; :func:`build`
still reads them (the registry first, by the class name, then by importing the module), and
:func:`diff_specs` compares the two forms as equal (see :func:`normalize_spec`). Classes defined
inside a function (``<locals>`` in their qualified name) are not registered and keep the
``"module:Class"`` form: they cannot be rebuilt from a stored study anyway.
"""

from __future__ import annotations

import importlib
import inspect
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from tunesmith.domains import Domain

__all__ = [
    "Specified",
    "build",
    "class_of",
    "diff_specs",
    "normalize_spec",
    "registered_classes",
    "spec_name_of",
    "spec_of",
]

#: registered name -> class (see the module docstring)
_REGISTRY: dict[str, type] = {}
#: "module:Class" -> class, for every registered class (reads specs of the older form exactly)
_BY_PATH: dict[str, type] = {}
#: modules under which a script's classes are also known (run as a script, or as a worker's copy)
_MAIN_MODULES = ("__main__", "__mp_main__")


def _path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _register(cls: type) -> None:
    name = cls.__dict__.get("spec_name")  # set on this very class, not inherited
    if name is None:
        if "<locals>" in cls.__qualname__:
            return
        name = cls.__name__
    elif not isinstance(name, str) or not name or ":" in name or name != name.strip():
        raise ValueError(
            f"{_path(cls)}: `spec_name` must be a non-empty string without ':' or surrounding "
            f"spaces (the name stored studies use for the class), but got spec_name={name!r}"
        )
    existing = _REGISTRY.get(name)
    if existing is not None and existing is not cls and not _same_definition(existing, cls):
        raise ValueError(
            f"two classes claim the spec name {name!r}: {_path(existing)} and {_path(cls)}; "
            f"stored studies name classes by it, so it must be unique: give one of them a "
            f"distinct class attribute, e.g. spec_name = {'My' + name!r}"
        )
    _REGISTRY[name] = cls  # a re-definition (module reloaded, notebook cell re-run) replaces
    _BY_PATH[_path(cls)] = cls


def _same_definition(a: type, b: type) -> bool:
    """Whether ``b`` is ``a`` defined again: same qualified name in the same module, or in a
    script that is also imported under its module name."""
    if a.__qualname__ != b.__qualname__:
        return False
    modules = {a.__module__, b.__module__}
    return len(modules) == 1 or bool(modules & set(_MAIN_MODULES))


class Specified:
    """Mixin recording the outermost constructor call's arguments in ``_init_args``; every
    subclass is registered under ``spec_name`` (default: its ``__name__``)."""

    #: the stable name specs store for this class (None: the class's ``__name__``); not inherited
    spec_name: ClassVar[str | None] = None
    #: keyword arguments added after studies may have been stored without them, each with the
    #: value that gives the behaviour from before it existed (see :func:`diff_specs`)
    spec_added: ClassVar[Mapping[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _register(cls)

    def __new__(cls, *args: Any, **kwargs: Any):
        obj = super().__new__(cls)
        obj._init_args = (args, dict(kwargs))
        return obj


def _load_builtins() -> None:
    """Register tunesmith's own schedulers and searchers (their packages import them lazily,
    so a trial script, or a study with a random searcher, stays quick to start)."""
    for package in ("tunesmith.schedulers", "tunesmith.searchers"):
        module = importlib.import_module(package)
        for name in module.__all__:
            getattr(module, name)


def registered_classes() -> dict[str, type]:
    """Every registered name and its class, tunesmith's own classes included."""
    _load_builtins()
    return dict(_REGISTRY)


def spec_name_of(cls: type) -> str:
    """The name specs store for ``cls``: its registered name, or ``"module:Class"`` for a class
    that is not registered (defined inside a function)."""
    name = cls.__dict__.get("spec_name") or cls.__name__
    registered = _REGISTRY.get(name)
    if registered is cls or (registered is not None and _same_definition(registered, cls)):
        return name
    return _path(cls)


def _lookup(name: str) -> type | None:
    if name not in _REGISTRY:
        _load_builtins()
    return _REGISTRY.get(name)


def _registered_for_path(path: str) -> type | None:
    """The registered class an older ``"module:Class"`` name means: the class registered from
    exactly that place, else the one registered under the class name (a class since moved to
    another module), else None."""
    qualname = path.partition(":")[2]
    if "<locals>" in qualname:
        return None
    if path not in _BY_PATH:
        _load_builtins()
    cls = _BY_PATH.get(path)
    if cls is not None:  # the current definition, should the class have been defined again
        return _REGISTRY.get(cls.__dict__.get("spec_name") or cls.__name__, cls)
    return _lookup(qualname.rsplit(".", 1)[-1])


def class_of(name: str) -> type:
    """The class a spec's ``"class"`` names: a registered name, or the older ``"module:Class"``
    form (looked up in the registry by the class name first, so a class moved to another module
    is still found; else imported from the module as named)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"a spec's `class` must be a class name, but got class={name!r}")
    if ":" not in name:
        cls = _lookup(name)
        if cls is None:
            known = ", ".join(sorted(_REGISTRY))
            raise ValueError(
                f"no scheduler or searcher class is registered under the name {name!r} (known: "
                f"{known}); import the module that defines it before building or resuming"
            )
        return cls
    cls = _registered_for_path(name)
    if cls is not None:
        return cls
    module, _, qualname = name.partition(":")
    found: Any = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


def normalize_spec(spec: Any) -> Any:
    """``spec`` with every class named in the older ``"module:Class"`` form (at the top and in
    nested specs) rewritten to its registered name where the registry knows it, so that specs
    written before and after the registry compare equal. Anything else is returned unchanged."""
    if not isinstance(spec, Mapping) or not isinstance(spec.get("class"), str):
        return spec
    out = dict(spec)
    name = spec["class"]
    if ":" in name:
        cls = _registered_for_path(name)
        if cls is not None:
            out["class"] = spec_name_of(cls)
    for key in ("args", "kwargs"):
        if key in out:
            out[key] = _normalize_nested(out[key])
    return out


def _normalize_nested(value: Any) -> Any:
    if isinstance(value, Mapping):
        if "__spec__" in value:
            return {**value, "__spec__": normalize_spec(value["__spec__"])}
        return {k: _normalize_nested(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalize_nested(v) for v in value]
    return value


#: values that are their own JSON data (a restricted searcher's configs are lists of dicts of them)
_PLAIN = frozenset((str, int, float, bool, type(None)))


def _to_data(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict and all(type(k) is str and type(v) in _PLAIN for k, v in value.items()):
        return dict(value)
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
    """``{"class": "Name", "args": [...], "kwargs": {...}}`` of ``obj`` (``Name``: the class's
    registered name, see :func:`spec_name_of`); ``overrides`` replace keyword arguments (e.g.
    ``random_seed``)."""
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
        "class": spec_name_of(cls),
        "args": _to_data(list(args)),
        "kwargs": _to_data(kwargs),
    }


def build(spec: Mapping[str, Any]) -> Any:
    """A new object from :func:`spec_of`'s data (also from specs naming the class in the older
    ``"module:Class"`` form, see :func:`class_of`)."""
    cls = class_of(spec["class"])
    return cls(*_from_data(spec["args"]), **_from_data(spec["kwargs"]))


def diff_specs(old: Any, new: Any, path: str = "") -> list[str]:
    """Human-readable differences between two spec data trees. Both are normalized first (see
    :func:`normalize_spec`): a class stored as ``"module:Class"`` equals its registered name.

    A keyword argument the class gained after ``old`` was stored is no difference when ``new``
    gives it its default (the script did not set it) or the value the class's ``spec_added``
    lists for it (the behaviour from before it existed): a stored study still resumes, and its
    journal replay checks that the decisions are the same."""
    if not path:
        old, new = normalize_spec(old), normalize_spec(new)
        old = _with_added(old, new)
    return _diff(old, new, path)


def _with_added(old: Any, new: Any) -> Any:
    """``old`` with the keyword arguments only ``new`` has filled in from ``new`` where they
    mean "as before" (see :func:`diff_specs`); nested specs likewise."""
    if not (isinstance(old, Mapping) and isinstance(new, Mapping)):
        return old
    if "__spec__" in old and "__spec__" in new:
        return {**old, "__spec__": _with_added(old["__spec__"], new["__spec__"])}
    old_kwargs, new_kwargs = old.get("kwargs"), new.get("kwargs")
    if (
        not isinstance(old.get("class"), str)
        or old.get("class") != new.get("class")
        or not isinstance(old_kwargs, Mapping)
        or not isinstance(new_kwargs, Mapping)
    ):
        return old
    kwargs = {k: _with_added(v, new_kwargs.get(k)) for k, v in old_kwargs.items()}
    added = [k for k in new_kwargs if k not in old_kwargs]
    if added:
        try:
            cls = class_of(old["class"])
            params = inspect.signature(cls.__init__).parameters
        except (ImportError, AttributeError, ValueError, TypeError):
            return {**old, "kwargs": kwargs}
        before = getattr(cls, "spec_added", {})
        for key in added:
            as_before = [_to_data(before[key])] if key in before else []
            param = params.get(key)
            if param is not None and param.default is not inspect.Parameter.empty:
                as_before.append(_to_data(param.default))
            if new_kwargs[key] in as_before:
                kwargs[key] = new_kwargs[key]
    return {**old, "kwargs": kwargs}


def changed_since(old: Any, new: Any) -> dict[str, Any]:
    """The keyword arguments a class gained after ``old`` (a stored spec) was written whose
    ``new`` value behaves otherwise than the class did before (its ``spec_added`` value), by
    name, with that old value: what to pass to run a stored study as it ran. Nested specs
    likewise."""
    old, new = normalize_spec(old), normalize_spec(new)
    out: dict[str, Any] = {}
    _changed_since(old, new, out)
    return out


def stored_arguments(old: Any, new: Any) -> dict[str, Any] | None:
    """When ``old`` (a stored spec) and ``new`` are the same class and differ only in keyword
    arguments whose stored values are plain data (numbers, strings, booleans, None, lists of
    them), those stored values by name (seeds aside): what to pass for the script to describe
    the stored study again. Else None (the class, a nested spec or a config space differs)."""
    old, new = normalize_spec(old), normalize_spec(new)
    old = _with_added(old, new)
    if not (isinstance(old, Mapping) and isinstance(new, Mapping)):
        return None
    old_kwargs, new_kwargs = old.get("kwargs"), new.get("kwargs")
    if (
        old.get("class") != new.get("class")
        or not isinstance(old_kwargs, Mapping)
        or not isinstance(new_kwargs, Mapping)
        or set(old_kwargs) != set(new_kwargs)
        or _diff(old.get("args"), new.get("args"), "args")  # (a class taking *args)
    ):
        return None
    out: dict[str, Any] = {}
    for key, value in old_kwargs.items():
        if not without_seeds(_diff(value, new_kwargs[key], str(key))):
            continue  # (seeds aside, nested ones too, as the mismatch check does)
        if not (_plain(value) and _plain(new_kwargs[key])):
            return None
        out[key] = value
    return out or None


def without_seeds(diffs: Iterable[str]) -> list[str]:
    """The differences of :func:`diff_specs` but those of a ``random_seed`` (nested ones
    too): a stored scheduler state carries its seeds."""
    return [d for d in diffs if "random_seed" not in d.split(":")[0]]


def _plain(value: Any) -> bool:
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, bool | int | float | str)


def _changed_since(old: Any, new: Any, out: dict[str, Any]) -> None:
    if not (isinstance(old, Mapping) and isinstance(new, Mapping)):
        return
    if "__spec__" in old and "__spec__" in new:
        _changed_since(old["__spec__"], new["__spec__"], out)
        return
    old_kwargs, new_kwargs = old.get("kwargs"), new.get("kwargs")
    if not isinstance(old_kwargs, Mapping) or not isinstance(new_kwargs, Mapping):
        return
    for key, value in old_kwargs.items():
        _changed_since(value, new_kwargs.get(key), out)
    try:
        before = getattr(class_of(old["class"]), "spec_added", {})
    except (ImportError, AttributeError, ValueError, TypeError, KeyError):
        return
    for key, value in before.items():
        if key not in old_kwargs and new_kwargs.get(key, value) != _to_data(value):
            out[key] = value


def _diff(old: Any, new: Any, path: str) -> list[str]:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        out = []
        for key in sorted(set(old) | set(new), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in old:
                out.append(f"{where}: added {new[key]!r}")
            elif key not in new:
                out.append(f"{where}: removed (was {old[key]!r})")
            else:
                out.extend(_diff(old[key], new[key], where))
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        out = []
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            out.extend(_diff(a, b, f"{path}[{i}]"))
        return out
    if _both_nan(old, new):
        return []
    return [] if old == new else [f"{path}: was {old!r}, now {new!r}"]


def _both_nan(a: Any, b: Any) -> bool:
    return isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)
