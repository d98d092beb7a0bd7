"""The errors of the ClearML front end. ClearML checks a few arguments with ``assert`` (the
objective's order); these errors are also tunesmith's kinds for bad input (``ValueError``), so
either ``except`` catches them."""

from __future__ import annotations

__all__ = ["InvalidValue", "NotSupported"]


class InvalidValue(ValueError, AssertionError):
    """An argument with a value ClearML (or tunesmith) does not allow; the message names the
    argument, the value and what is allowed."""


class NotSupported(ValueError, AssertionError):
    """A ClearML argument, value or method that has no local counterpart; the message says what
    to use instead."""
