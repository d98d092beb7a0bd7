"""``syne_tune.callbacks.tensorboard_callback.TensorboardCallback`` on tunesmith's
:class:`~tunesmith.TensorBoardCallback` (tensorboardX: ``pip install "tunesmith[tensorboard]"``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tunesmith.callbacks.tensorboard import TensorBoardCallback
from tunesmith.compat.synetune.errors import NotSupported

__all__ = ["TensorboardCallback"]


class TensorboardCallback(TensorBoardCallback):
    """Syne Tune's arguments on tunesmith's TensorBoard view: one TensorBoard run per trial
    under ``<tunesmith home>/tensorboard/<tuner name>/`` (Syne Tune writes
    ``<tuner folder>/tensorboard_output``), every reported number a scalar at the trial's
    resource level, the config and end status in the hparams plugin.

    ``target_metric`` and ``mode`` are checked and kept (Syne Tune also plots the best value so
    far of ``target_metric``; here the hparams plugin compares the trials, and ``tunesmith
    plot``/``ExperimentResult.plot()`` draw the best so far). ``ignore_metrics`` other than
    None is not supported; ``log_hyperparameters`` is accepted (the configs go to the hparams
    plugin either way)."""

    def __init__(
        self,
        ignore_metrics: Sequence[str] | None = None,
        target_metric: str | None = None,
        mode: str | None = None,
        log_hyperparameters: bool = True,
    ) -> None:
        if ignore_metrics:
            raise NotSupported(
                f"TensorboardCallback(ignore_metrics={list(ignore_metrics)!r}) is not supported: "
                "tunesmith's TensorBoardCallback writes every reported number (TensorBoard's "
                "filter hides the others)"
            )
        if mode not in (None, "min", "max"):
            raise ValueError(f"TensorboardCallback: mode must be 'min' or 'max', but got {mode!r}")
        if target_metric is not None and not isinstance(target_metric, str):
            raise TypeError(
                f"TensorboardCallback: target_metric must be a metric name, but got "
                f"{target_metric!r}"
            )
        super().__init__()
        self.target_metric: Any = target_metric
        self.mode = mode
        self.log_hyperparameters = bool(log_hyperparameters)
