"""The errors of the AutoGluon front end. AutoGluon checks its arguments with ``assert``, so its
errors are ``AssertionError``; these are also ``TypeError`` / ``ValueError`` (tunesmith's kinds
for bad input), so either ``except`` catches them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["InvalidArgument", "InvalidValue", "NotSupported", "check_arguments"]


class InvalidArgument(TypeError, AssertionError):
    """An argument AutoGluon does not have (AutoGluon: ``AssertionError``)."""


class InvalidValue(ValueError, AssertionError):
    """An argument with a value AutoGluon (or tunesmith) does not allow."""


class NotSupported(ValueError, AssertionError):
    """An AutoGluon argument or value tunesmith cannot run yet; the message says what to use."""


def check_arguments(name: str, kwargs: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """AutoGluon's check of keyword arguments: each must be one of ``allowed``."""
    allowed = set(allowed)
    for key in kwargs:
        if key not in allowed:
            raise InvalidArgument(
                f"{name}: Invalid argument '{key}'; valid arguments are {sorted(allowed)}"
            )
