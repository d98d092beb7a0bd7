"""Hooks into the tuning loop: :class:`TunerCallback`, the progress display and the removal of
paused trials' checkpoints."""

from tunesmith.callbacks.base import TunerCallback
from tunesmith.callbacks.checkpoint_removal import RemoveCheckpointsCallback

__all__ = ["RemoveCheckpointsCallback", "TunerCallback"]
