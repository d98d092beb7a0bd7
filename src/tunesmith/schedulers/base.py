"""The scheduler contract: when trials start, continue, pause, stop or resume.

Schedulers are ask/tell objects, usable without the tuner::

    suggestion = scheduler.suggest(trial_id)       # None: nothing more to run
    scheduler.on_trial_add(trial)                  # the trial was created from the suggestion
    decision = scheduler.on_trial_result(trial, {"epoch": 1, "loss": 0.4})
    scheduler.on_trial_complete(trial, last_result)
    scheduler.on_trial_error(trial)                # failed
    scheduler.on_trial_remove(trial)               # stopped from outside (e.g. by the tuner)

A result without the scheduler's metric, or with a non-finite value, makes
``on_trial_result``/``on_trial_complete`` raise ``ValueError``; the tuner then fails the trial.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from tunesmith.spec import Specified
from tunesmith.trial import Decision, Suggestion, Trial, check_metric_mode, metric_value

__all__ = ["Scheduler"]


class Scheduler(Specified, ABC):
    """Base class of schedulers; ``metric`` and ``mode`` (``"min"`` or ``"max"``) say what is
    optimized."""

    def __init__(self, *, metric: str, mode: str = "min"):
        self.metric, self.mode = check_metric_mode(metric, mode)

    @abstractmethod
    def suggest(self, trial_id: int) -> Suggestion | None:
        """What to run on a free worker: start a config as trial ``trial_id``, resume a paused
        trial, or None when nothing is left."""

    def suggest_resume(self) -> Suggestion | None:
        """A paused trial to resume, never a new config (None: none now). The tuner asks this
        instead of :meth:`suggest` once no new trial may start (``max_num_trials_started``), so
        promotion-type schedulers can still carry paused trials on."""
        return None

    def on_trial_add(self, trial: Trial) -> None:
        """``trial`` was created from a start suggestion."""

    def on_trial_result(self, trial: Trial, result: Mapping[str, Any]) -> Decision:
        """An intermediate result of a running trial; returns what to do with it."""
        self.score(result)
        return Decision.CONTINUE

    def on_trial_complete(self, trial: Trial, result: Mapping[str, Any]) -> None:
        """``trial`` ended by itself; ``result`` is its last result."""

    def on_trial_error(self, trial: Trial) -> None:
        """``trial`` failed."""

    def on_trial_remove(self, trial: Trial) -> None:
        """``trial`` was stopped from outside the scheduler."""

    def score(self, result: Mapping[str, Any]) -> float:
        """The result's metric as a value to minimize (negated for ``mode="max"``)."""
        value = metric_value(result, self.metric)
        return value if self.mode == "min" else -value

    def spec(self, **overrides: Any) -> dict[str, Any]:
        """The class and constructor arguments, as JSON data (see :mod:`tunesmith.spec`)."""
        from tunesmith.spec import spec_of

        return spec_of(self, **overrides)

    def state_dict(self) -> dict[str, Any]:
        """JSON-serializable state; see :meth:`load_state_dict`."""
        return {}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore :meth:`state_dict` into a scheduler built with the same arguments."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(metric={self.metric!r}, mode={self.mode!r})"
