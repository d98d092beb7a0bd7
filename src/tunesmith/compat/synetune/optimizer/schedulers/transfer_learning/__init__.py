"""``syne_tune.optimizer.schedulers.transfer_learning``: ``TransferLearningTaskEvaluations``
(tunesmith's class: the same name and fields) and ``BoundingBox`` (Syne Tune's argument order
on :class:`tunesmith.BoundingBox`). The baselines that take these evaluations,
``ZeroShotTransfer`` and ``ASHACTS``, are in :mod:`..baselines`. ``RUSHScheduler``: Hyperband whose
earlier tasks' best configs are hurdles, :class:`tunesmith.RUSH`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tunesmith.searchers.transfer import TransferLearningTaskEvaluations

__all__ = ["BoundingBox", "RUSHScheduler", "TransferLearningTaskEvaluations"]


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


def RUSHScheduler(
    config_space: dict[str, Any],
    transfer_learning_evaluations: Mapping[str, TransferLearningTaskEvaluations],
    metric: str,
    type: str = "stopping",
    points_to_evaluate: list[dict[str, Any]] | None = None,
    custom_rush_points: list[dict[str, Any]] | None = None,
    num_hyperparameters_per_task: int = 1,
    **kwargs: Any,
) -> Any:
    """RUSH (the earlier tasks' best configs, and ``custom_rush_points``, run first and are
    hurdles every other trial must clear at each rung): :class:`tunesmith.RUSH`, with
    Syne Tune's ``HyperbandScheduler`` arguments in ``kwargs`` (``resource_attr`` default
    ``"epoch"``, ``max_t``, ``grace_period``, ``reduction_factor``, ``mode``,
    ``random_seed``, ...); ``type``: ``"stopping"`` or ``"promotion"``."""
    from tunesmith.compat.synetune.optimizer.baselines import _fit, _hb, _native

    resource_attr = kwargs.pop("resource_attr", "epoch")
    kw = _hb("RUSHScheduler", metric, resource_attr, {**kwargs, "type": type}, "random")
    cls = _native("RUSH")
    return cls(
        config_space,
        transfer_learning_evaluations=transfer_learning_evaluations,
        custom_rush_points=custom_rush_points,
        num_hyperparameters_per_task=num_hyperparameters_per_task,
        **_fit("RUSHScheduler", cls, {**kw, "points_to_evaluate": points_to_evaluate}),
    )
