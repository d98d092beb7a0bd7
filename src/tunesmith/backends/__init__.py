"""Backends run trials: in local worker processes, as scripts, or simulated."""

from tunesmith.backends.base import Backend, EventKind, FailureReason, TrialEvent

__all__ = ["Backend", "EventKind", "FailureReason", "TrialEvent"]
