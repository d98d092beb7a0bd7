"""Backends run trials: in local worker processes, as scripts, or simulated."""

from tunesmith.backends.base import Backend, EventKind, FailureReason, TrialEvent
from tunesmith.backends.local import LocalBackend
from tunesmith.backends.script import ScriptBackend

__all__ = ["Backend", "EventKind", "FailureReason", "LocalBackend", "ScriptBackend", "TrialEvent"]
