"""``syne_tune.optimizer.scheduler``: ``TrialScheduler``, ``TrialSuggestion`` and
``SchedulerDecision``, to write a scheduler of one's own in Syne Tune's terms.

A ``TrialScheduler`` subclass is a :class:`tunesmith.Scheduler`: its ``_suggest(trial_id)``
returns a :class:`TrialSuggestion`, which :meth:`TrialScheduler.suggest` turns into the native
:class:`tunesmith.Suggestion`; its ``on_trial_result`` returns a ``SchedulerDecision``, whose
values are the native :class:`tunesmith.Decision` members. The metric comes from
``self.metric`` (and ``self.mode``) when the subclass sets them, else from its
``metric_names()`` and ``metric_mode()``. So the native tuner (and the front end's ``Tuner``)
runs it as any tunesmith scheduler. It is not rebuilt on resume (it is the user's class, and
the native store rebuilds schedulers from their constructor arguments): a study it ran is
continued by building the ``Tuner`` again with the same scheduler.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tunesmith.compat.synetune.errors import NotSupported
from tunesmith.schedulers.base import Scheduler
from tunesmith.trial import Decision, Suggestion, as_list, check_metric_mode

__all__ = ["SchedulerDecision", "TrialScheduler", "TrialSuggestion"]


class SchedulerDecision:
    """What ``on_trial_result`` returns: the native decisions under Syne Tune's names."""

    CONTINUE = Decision.CONTINUE
    PAUSE = Decision.PAUSE
    STOP = Decision.STOP


@dataclass
class TrialSuggestion:
    """Start a new trial (``spawn_new_trial_id=True``) with ``config``, or resume the paused
    trial ``checkpoint_trial_id`` (``spawn_new_trial_id=False``), with ``config`` if given."""

    spawn_new_trial_id: bool = True
    checkpoint_trial_id: int | None = None
    config: dict[str, Any] | None = None

    @staticmethod
    def start_suggestion(
        config: dict[str, Any], checkpoint_trial_id: int | None = None
    ) -> TrialSuggestion:
        return TrialSuggestion(True, checkpoint_trial_id, config)

    @staticmethod
    def resume_suggestion(trial_id: int, config: dict[str, Any] | None = None) -> TrialSuggestion:
        return TrialSuggestion(False, trial_id, config)

    def native(self) -> Suggestion:
        """The :class:`tunesmith.Suggestion` it means."""
        if not self.spawn_new_trial_id:
            return Suggestion(config=self.config, resume_trial_id=self.checkpoint_trial_id)
        if self.checkpoint_trial_id is not None:
            raise NotSupported(
                "TrialSuggestion.start_suggestion(config, checkpoint_trial_id="
                f"{self.checkpoint_trial_id}) is not supported: tunesmith starts a new trial from "
                "scratch; to go on from another trial's checkpoint, resume a paused trial with "
                "the new config (tunesmith.Suggestion(config=..., resume_trial_id=..., "
                "checkpoint_from=...), as tunesmith.PopulationBasedTraining does)"
            )
        return Suggestion(config=self.config)


class TrialScheduler(Scheduler):
    """Syne Tune's base class of schedulers; subclasses implement ``_suggest(trial_id)`` and
    ``on_trial_result(trial, result)`` (default: CONTINUE), and set ``self.metric`` (and
    ``self.mode``, default ``"min"``) or override ``metric_names()`` (and ``metric_mode()``)."""

    def __init__(self, config_space: dict[str, Any]) -> None:  # no metric yet: see metric
        self.config_space = config_space

    # metric and mode: set by the subclass, else asked from metric_names() / metric_mode()
    @property  # type: ignore[override]
    def metric(self) -> str | list[str]:
        value = self.__dict__.get("_st_metric")
        if value is None:
            names = self.metric_names()
            value = names[0] if len(names) == 1 else list(names)
        return value

    @metric.setter
    def metric(self, value: str | list[str]) -> None:
        self.__dict__["_st_metric"] = value

    @property  # type: ignore[override]
    def mode(self) -> str | list[str]:
        value = self.__dict__.get("_st_mode")
        return self.metric_mode() if value is None else value

    @mode.setter
    def mode(self, value: str | list[str] | None) -> None:
        self.__dict__["_st_mode"] = value

    def metric_names(self) -> list[str]:
        """The metrics the scheduler ranks by (default: ``self.metric``)."""
        value = self.__dict__.get("_st_metric")
        if value is None:
            raise NotImplementedError(
                f"{type(self).__name__}: set self.metric or override metric_names()"
            )
        return as_list(value)

    def metric_mode(self) -> str | list[str]:
        """``"min"`` or ``"max"`` (default ``"min"``, as in Syne Tune)."""
        return "min"

    def _suggest(self, trial_id: int) -> TrialSuggestion | None:
        raise NotImplementedError(f"{type(self).__name__} must implement _suggest(trial_id)")

    def suggest(self, trial_id: int) -> Suggestion | None:
        """``_suggest(trial_id)`` as a native suggestion (None: nothing more to run)."""
        if not hasattr(self, "_st_checked"):
            metric, mode = check_metric_mode(self.metric, self.mode)
            self._st_checked = (metric, mode)
        suggestion = self._suggest(trial_id)
        return None if suggestion is None else suggestion.native()

    def on_trial_result(self, trial: Any, result: dict[str, Any]) -> Decision:
        return Decision.CONTINUE

    def score(self, result: Any) -> float:
        from tunesmith.trial import metric_value

        value = metric_value(result, as_list(self.metric)[0])
        return value if as_list(self.mode)[0] == "min" else -value

    def __repr__(self) -> str:
        return f"{type(self).__name__}(metric={self.metric!r}, mode={self.mode!r})"
