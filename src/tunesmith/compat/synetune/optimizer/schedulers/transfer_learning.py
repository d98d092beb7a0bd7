"""``syne_tune.optimizer.schedulers.transfer_learning``: ``TransferLearningTaskEvaluations``
(tunesmith's class: the same name and fields) and ``BoundingBox`` (Syne Tune's argument order
on :class:`tunesmith.BoundingBox`). The baselines that take these evaluations,
``ZeroShotTransfer`` and ``ASHACTS``, are in :mod:`..baselines`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tunesmith.searchers.transfer import TransferLearningTaskEvaluations

__all__ = ["BoundingBox", "TransferLearningTaskEvaluations"]


def BoundingBox(
    scheduler_fun: Callable[[dict[str, Any], str, str], Any],
    config_space: dict[str, Any],
    metric: str,
    transfer_learning_evaluations: Mapping[str, TransferLearningTaskEvaluations],
    mode: str | None = None,
    num_hyperparameters_per_task: int = 1,
) -> Any:
    """The config space shrunk to the box around the earlier tasks' best configs, and the
    scheduler ``scheduler_fun(new_config_space, mode, metric)`` run on it:
    :class:`tunesmith.BoundingBox` (``mode=None`` is ``"min"``)."""
    from tunesmith.schedulers import BoundingBox as Native

    return Native(
        scheduler_fun,
        config_space,
        metric=metric,
        transfer_learning_evaluations=transfer_learning_evaluations,
        mode="min" if mode is None else mode,
        num_hyperparameters_per_task=num_hyperparameters_per_task,
    )
