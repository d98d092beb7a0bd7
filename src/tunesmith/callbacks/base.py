"""The callback interface of the tuner."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tunesmith.trial import Decision, Trial

if TYPE_CHECKING:
    from tunesmith.results import TuningResult
    from tunesmith.tuner import Tuner

__all__ = ["TunerCallback"]


class TunerCallback:
    """Subclass and override the hooks you need; every hook is a no-op here. Hooks run in the
    tuner's loop, so keep them fast; an exception in a hook ends the run."""

    def on_tuning_start(self, tuner: Tuner) -> None:
        pass

    def on_tuning_end(self, tuner: Tuner, result: TuningResult) -> None:
        pass

    def on_trial_start(self, trial: Trial, *, resumed: bool) -> None:
        pass

    def on_trial_result(self, trial: Trial, result: dict[str, Any], decision: Decision) -> None:
        pass

    def on_trial_complete(self, trial: Trial) -> None:
        """The trial ended: completed, stopped or paused (see ``trial.status``)."""

    def on_trial_error(self, trial: Trial) -> None:
        """The trial failed (``trial.failure_reason``, ``trial.failure_detail``)."""

    def on_tick(self, tuner: Tuner) -> None:
        """Called at least every ``Tuner.tick_interval`` seconds while the tuner waits."""
