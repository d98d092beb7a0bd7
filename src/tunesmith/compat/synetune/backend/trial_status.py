"""``syne_tune.backend.trial_status``: ``Trial``, ``TrialResult`` and ``Status``, as Syne Tune's
ask/tell examples use them. ``Trial`` is a :class:`tunesmith.Trial` (so every native scheduler
takes it) with Syne Tune's constructor, ``Trial(trial_id, config, creation_time)``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tunesmith.trial import Trial as _NativeTrial

__all__ = ["Status", "Trial", "TrialResult"]


class Status:
    """Syne Tune's trial status names."""

    completed = "Completed"
    in_progress = "InProgress"
    failed = "Failed"
    paused = "Paused"
    stopped = "Stopped"
    stopping = "Stopping"


class Trial(_NativeTrial):
    """A trial as Syne Tune makes one: ``trial_id``, ``config`` and ``creation_time``; a
    :class:`tunesmith.Trial` for the native schedulers."""

    def __init__(
        self, trial_id: int, config: dict[str, Any], creation_time: datetime | None = None
    ) -> None:
        super().__init__(trial_id=trial_id, config=config)
        self.creation_time = creation_time

    def add_results(
        self, metrics: Any, status: str, training_end_time: datetime | None = None
    ) -> TrialResult:
        """This trial with its ``metrics`` (a dict, or a list of them), ``status`` and end
        time."""
        return TrialResult(
            trial_id=self.trial_id,
            config=self.config,
            creation_time=self.creation_time,
            metrics=metrics,
            status=status,
            training_end_time=training_end_time,
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(trial_id={self.trial_id!r}, config={self.config!r}, "
            f"creation_time={self.creation_time!r})"
        )


class TrialResult(Trial):
    """A trial with its ``metrics``, ``status`` and ``training_end_time``."""

    def __init__(
        self,
        trial_id: int,
        config: dict[str, Any],
        creation_time: datetime | None,
        metrics: Any,
        status: str,
        training_end_time: datetime | None = None,
    ) -> None:
        super().__init__(trial_id, config, creation_time)
        self.metrics = metrics
        self.status = status  # type: ignore[assignment]  # Syne Tune's status name
        self.training_end_time = training_end_time

    @property
    def seconds(self) -> int:
        """Whole seconds from creation to the end of training."""
        if self.creation_time is None or self.training_end_time is None:
            raise ValueError("seconds needs both creation_time and training_end_time")
        return int((self.training_end_time - self.creation_time).total_seconds())

    @property
    def cost(self) -> float | None:
        """The dollar cost: Syne Tune has it on SageMaker only, so None here."""
        return None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(trial_id={self.trial_id!r}, config={self.config!r}, "
            f"metrics={self.metrics!r}, status={self.status!r})"
        )
