"""Backends run trials: in local worker processes, as scripts, on a Ray cluster, or simulated.

The names are imported on first use (PEP 562): ``LocalBackend`` does not load the script
backend, and the other way round.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tunesmith._lazy import lazy_exports

#: public name -> the module of this package that defines it
_EXPORTS = {
    "Backend": ".base",
    "EventKind": ".base",
    "FailureReason": ".base",
    "LocalBackend": ".local",
    "RayBackend": ".ray",
    "ScriptBackend": ".script",
    "TrialEvent": ".base",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:  # for type checkers and IDEs
    from tunesmith.backends.base import Backend, EventKind, FailureReason, TrialEvent
    from tunesmith.backends.local import LocalBackend
    from tunesmith.backends.ray import RayBackend
    from tunesmith.backends.script import ScriptBackend

__all__ = [
    "Backend",
    "EventKind",
    "FailureReason",
    "LocalBackend",
    "RayBackend",
    "ScriptBackend",
    "TrialEvent",
]
