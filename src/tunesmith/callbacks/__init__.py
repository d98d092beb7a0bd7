"""Hooks into the tuning loop: :class:`TunerCallback` and the progress display."""

from tunesmith.callbacks.base import TunerCallback

__all__ = ["TunerCallback"]
