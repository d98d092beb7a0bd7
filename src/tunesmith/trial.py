"""The types shared by every layer: trials, their status, schedulers' decisions and suggestions."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

__all__ = ["Decision", "Suggestion", "Trial", "TrialStatus", "as_list", "check_metric_mode"]


class TrialStatus(str, Enum):
    """Where a trial is in its life. ``COMPLETED``, ``STOPPED`` and ``FAILED`` are final."""

    PENDING = "pending"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    STOPPED = "stopped"
    FAILED = "failed"
    #: was running when the run was interrupted (Ctrl-C, SIGTERM, an error in the tuner); it
    #: restarts, from its checkpoint if any, when the study is resumed
    INTERRUPTED = "interrupted"

    @property
    def is_final(self) -> bool:
        return self in (TrialStatus.COMPLETED, TrialStatus.STOPPED, TrialStatus.FAILED)

    def __str__(self) -> str:
        return self.value


class Decision(str, Enum):
    """What a scheduler wants done with a running trial after one of its results."""

    CONTINUE = "continue"
    PAUSE = "pause"
    STOP = "stop"

    def __str__(self) -> str:
        return self.value


@dataclass
class Trial:
    """One evaluation of one config, possibly over several resource levels (epochs).

    ``last_result`` is the trial's most recent report; ``failure_reason`` is set when the trial
    failed (``"exception"``, ``"timeout"``, ``"invalid_metric"``, ...).
    """

    trial_id: int
    config: dict[str, Any]
    status: TrialStatus = TrialStatus.PENDING
    last_result: dict[str, Any] | None = None
    num_results: int = 0
    failure_reason: str | None = None
    failure_detail: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "trial_id": self.trial_id,
            "config": dict(self.config),
            "status": self.status.value,
            "last_result": None if self.last_result is None else dict(self.last_result),
            "num_results": self.num_results,
            "failure_reason": self.failure_reason,
        }


@dataclass(frozen=True)
class Suggestion:
    """A scheduler's answer to "a worker is free": start ``config`` as a new trial, or resume the
    paused trial ``resume_trial_id`` (optionally with a changed ``config``, as PBT does).

    ``checkpoint_from``: resume from a copy of that trial's checkpoint instead of the trial's own
    (PBT's exploit: the tuner copies the donor's checkpoint folder into the trial's before it
    resumes it, and records the exploit in the study)."""

    config: dict[str, Any] | None = None
    resume_trial_id: int | None = None
    checkpoint_from: int | None = None

    def __post_init__(self) -> None:
        if self.config is None and self.resume_trial_id is None:
            raise ValueError("a Suggestion needs a config to start or a trial id to resume")
        if self.checkpoint_from is not None and (
            self.resume_trial_id is None or self.checkpoint_from == self.resume_trial_id
        ):
            raise ValueError(
                "`checkpoint_from` needs the id of another trial to resume (resume_trial_id), "
                f"but got checkpoint_from={self.checkpoint_from!r}, "
                f"resume_trial_id={self.resume_trial_id!r}"
            )

    @property
    def is_resume(self) -> bool:
        return self.resume_trial_id is not None

    @classmethod
    def start(cls, config: dict[str, Any]) -> Suggestion:
        return cls(config=config)

    @classmethod
    def resume(
        cls,
        trial_id: int,
        config: dict[str, Any] | None = None,
        *,
        checkpoint_from: int | None = None,
    ) -> Suggestion:
        return cls(config=config, resume_trial_id=trial_id, checkpoint_from=checkpoint_from)


def as_list(names: str | list[str]) -> list[str]:
    """A metric (or mode) given as one name or a list of them, as a list: one per objective."""
    return [names] if isinstance(names, str) else list(names)


def check_metric_mode(metric: Any, mode: Any, *, single: str | None = None) -> tuple[Any, Any]:
    """Validate a ``metric``/``mode`` pair and return it: a metric name and ``"min"``/``"max"``,
    or, for several objectives, a list of distinct names and a list of modes, one per metric
    (``mode`` may also be one mode for all). A list of one name is that name.

    ``single``: the name of a class that optimizes one metric only; several metrics are then a
    ``ValueError`` that names it."""
    if isinstance(metric, str) or not isinstance(metric, list | tuple):
        if not isinstance(metric, str) or not metric:
            raise ValueError(
                "`metric` must be the non-empty name of a reported metric (or a list of names "
                f"for several objectives), but got metric={metric!r}"
            )
        if mode not in ("min", "max"):
            raise ValueError(f"`mode` must be 'min' or 'max', but got mode={mode!r}")
        return metric, mode
    metrics, modes = check_objective_lists(metric, mode)
    if len(metrics) == 1:
        return metrics[0], modes[0]
    if single is not None:
        raise ValueError(single_metric_message(single, metrics))
    return metrics, modes


def single_metric_message(name: str, metrics: Any) -> str:
    """The error for a class that optimizes one metric but was given several."""
    return (
        f"{name} optimizes a single metric, but got metric={list(metrics)!r}; pass one metric "
        "name, or tune several objectives with a multi-objective method: MOASHA, NSGA2, MOREA, "
        "MOTPE, EHVI, MORandomScalarizationBayesOpt, RandomSearch or GridSearch, or "
        "FIFOScheduler with searcher='nsga2', 'morea', 'motpe', 'ehvi', "
        "'mo_random_scalarization', 'random' or 'grid' (see docs/multiobjective.md)"
    )


def check_objective_lists(metric: Any, mode: Any = "min") -> tuple[list[str], list[str]]:
    """``(metrics, modes)`` as two lists of equal length, from ``metric`` (a name or a list of
    distinct names) and ``mode`` (``"min"``, ``"max"``, or a list of them, one per metric; a
    single mode applies to every metric), or a ``ValueError`` naming the bad value."""
    names = (metric,) if isinstance(metric, str) else metric
    if isinstance(names, Mapping) or not isinstance(names, Sequence) or not names:
        raise ValueError(
            "`metric` must be the name of a reported metric or a non-empty list of names, "
            f"but got metric={metric!r}"
        )
    names = list(names)
    for name in names:
        if not isinstance(name, str) or not name:
            raise ValueError(
                f"`metric` must list non-empty names of reported metrics, but got {name!r} in "
                f"metric={metric!r}"
            )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(
            f"`metric` names {', '.join(map(repr, repeated))} more than once in "
            f"metric={metric!r}; each objective must be a different metric"
        )
    if isinstance(mode, str):
        modes = [mode] * len(names)
    elif isinstance(mode, Sequence):
        modes = list(mode)
        if len(modes) != len(names):
            raise ValueError(
                f"`mode` must be 'min', 'max' or a list of them with one per metric "
                f"({len(names)} for metric={names!r}), but got mode={mode!r} "
                f"({len(modes)} value{'s' if len(modes) != 1 else ''})"
            )
    else:
        raise ValueError(
            f"`mode` must be 'min', 'max' or a list of them, one per metric, but got mode={mode!r}"
        )
    for name, one in zip(names, modes, strict=True):
        if one not in ("min", "max"):
            raise ValueError(
                f"`mode` of metric {name!r} must be 'min' or 'max', but got {one!r} "
                f"(mode={mode!r})"
            )
    return names, modes


def metric_value(result: dict[str, Any], metric: str) -> float:
    """``result[metric]`` as a finite float, or a ``ValueError`` saying what is wrong."""
    if metric not in result:
        raise ValueError(
            f"the result has no metric {metric!r} (reported keys: {sorted(result)}); "
            "report it with tunesmith.report(...)"
        )
    value = result[metric]
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"metric {metric!r} must be a number, but got {value!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"metric {metric!r} must be finite, but got {value!r}")
    return value
