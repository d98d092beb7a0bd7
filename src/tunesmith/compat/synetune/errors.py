"""The errors of the Syne Tune front end. An argument Syne Tune does not have is a
``TypeError`` (what Python raises for an unexpected keyword argument; Syne Tune's own option
checks raise ``AssertionError``, so :class:`InvalidArgument` is both); an argument or method
Syne Tune has but tunesmith cannot run yet is :class:`NotSupported`, whose message names the
closest tunesmith method."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["InvalidArgument", "NotSupported", "check_arguments"]


class InvalidArgument(TypeError, AssertionError):
    """An argument Syne Tune does not have."""


class NotSupported(ValueError):
    """A Syne Tune name, argument or value tunesmith cannot run (yet); the message says what
    to use instead."""


def check_arguments(name: str, kwargs: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """Each key of ``kwargs`` must be one of ``allowed``: else ``InvalidArgument`` saying, as
    Python does, ``name() got an unexpected keyword argument 'key'``."""
    allowed = set(allowed)
    for key in kwargs:
        if key not in allowed:
            raise InvalidArgument(
                f"{name}() got an unexpected keyword argument {key!r} (valid: {sorted(allowed)})"
            )
