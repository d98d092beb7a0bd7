"""Hooks into the tuning loop: :class:`TunerCallback`, the progress view, logging to TensorBoard
and MLflow, and the removal of paused trials' checkpoints.

The names are imported on first use (PEP 562): the tuner needs only the base class.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tunesmith._lazy import lazy_exports

#: public name -> the module of this package that defines it
_EXPORTS = {
    "MLflowCallback": ".mlflow",
    "ProgressCallback": ".progress",
    "RemoveCheckpointsCallback": ".checkpoint_removal",
    "TensorBoardCallback": ".tensorboard",
    "TunerCallback": ".base",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:  # for type checkers and IDEs
    from tunesmith.callbacks.base import TunerCallback
    from tunesmith.callbacks.checkpoint_removal import RemoveCheckpointsCallback
    from tunesmith.callbacks.mlflow import MLflowCallback
    from tunesmith.callbacks.progress import ProgressCallback
    from tunesmith.callbacks.tensorboard import TensorBoardCallback

__all__ = [
    "MLflowCallback",
    "ProgressCallback",
    "RemoveCheckpointsCallback",
    "TensorBoardCallback",
    "TunerCallback",
]
