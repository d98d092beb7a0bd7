"""``syne_tune.optimizer.schedulers.multiobjective``: ``MOASHA`` on tunesmith's
:class:`~tunesmith.MOASHA`, with Syne Tune's signature and defaults."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["MOASHA"]


def MOASHA(
    config_space: dict[str, Any],
    metrics: Sequence[str],
    mode: str | Sequence[str] | None = None,
    time_attr: str = "training_iteration",
    multiobjective_priority: Any = None,
    max_t: int = 100,
    grace_period: int = 1,
    reduction_factor: float = 3,
    brackets: int = 1,
) -> Any:
    """Multi-objective asynchronous successive halving (Schmucker et al., 2021): tunesmith's
    ``MOASHA(config_space, metric=metrics, mode=mode or "min", resource_attr=time_attr, ...)``;
    ``multiobjective_priority`` is a tunesmith priority (``NonDominatedPriority``, the
    default, ``EpsilonNetPriority``, ``LinearScalarizationPriority``). Configurations are drawn
    at random, as in Syne Tune (no midpoint config first)."""
    from tunesmith.schedulers import MOASHA as Native

    if isinstance(metrics, str) or not isinstance(metrics, Sequence):
        raise TypeError(f"MOASHA: metrics must be a list of metric names, but got {metrics!r}")
    return Native(
        config_space,
        metric=list(metrics),
        mode="min" if mode is None else (mode if isinstance(mode, str) else list(mode)),
        resource_attr=time_attr,
        max_t=max_t,
        grace_period=grace_period,
        reduction_factor=reduction_factor,
        brackets=brackets,
        multiobjective_priority=multiobjective_priority,
    )
