"""The types shared by every layer: trials, their status, schedulers' decisions and suggestions."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

__all__ = ["Decision", "Suggestion", "Trial", "TrialStatus", "check_metric_mode"]


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
    paused trial ``resume_trial_id`` (optionally with a changed ``config``, as PBT does)."""

    config: dict[str, Any] | None = None
    resume_trial_id: int | None = None

    def __post_init__(self) -> None:
        if self.config is None and self.resume_trial_id is None:
            raise ValueError("a Suggestion needs a config to start or a trial id to resume")

    @property
    def is_resume(self) -> bool:
        return self.resume_trial_id is not None

    @classmethod
    def start(cls, config: dict[str, Any]) -> Suggestion:
        return cls(config=config)

    @classmethod
    def resume(cls, trial_id: int, config: dict[str, Any] | None = None) -> Suggestion:
        return cls(config=config, resume_trial_id=trial_id)


def check_metric_mode(metric: Any, mode: Any) -> tuple[str, str]:
    """Validate a ``metric``/``mode`` pair and return it."""
    if not isinstance(metric, str) or not metric:
        raise ValueError(
            f"`metric` must be the non-empty name of a reported metric, but got metric={metric!r}"
        )
    if mode not in ("min", "max"):
        raise ValueError(f"`mode` must be 'min' or 'max', but got mode={mode!r}")
    return metric, mode


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
