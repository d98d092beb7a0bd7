"""``syne_tune.callbacks``: Syne Tune's tuner callbacks on tunesmith's
(:mod:`.tensorboard_callback`: ``TensorboardCallback`` on :class:`tunesmith.TensorBoardCallback`).
``StoreResultsCallback`` is in :mod:`tunesmith.compat.synetune.results_callback`."""

from typing import TYPE_CHECKING

from tunesmith._lazy import lazy_exports

_EXPORTS = {"TensorboardCallback": "tunesmith.compat.synetune.callbacks.tensorboard_callback"}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from tunesmith.compat.synetune.callbacks.tensorboard_callback import TensorboardCallback

__all__ = ["TensorboardCallback"]
