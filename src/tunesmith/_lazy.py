"""Lazy package attributes (PEP 562): a package's public names are imported from their modules
on first use, so that importing the package, or one name of it, loads only what that name needs
(``RandomSearch`` does not load scipy and the Gaussian-process code, ``tunesmith.report`` in a
trial does not load numpy or SQLAlchemy)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` of ``package`` (its ``__name__``), where
    ``exports`` maps each public name to the module defining it (``".fifo"``: relative to the
    package). A name is imported once, then kept in the package's namespace."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(exports))

    return __getattr__, __dir__
