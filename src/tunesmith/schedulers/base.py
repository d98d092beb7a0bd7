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

Several objectives: ``metric=[...]`` and ``mode=[...]`` (or one mode for all). Only classes that
set ``multi_objective = True`` in their own body take them (a subclass does not inherit it: a
subclass that ranks by one value must not silently take several); the others raise a
``ValueError`` naming the class. With several metrics, a result lacking any of them, or with a
non-finite value of one, is invalid, and :meth:`Scheduler.score` is the first metric's value.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from tunesmith.spec import Specified
from tunesmith.trial import (
    Decision,
    Suggestion,
    Trial,
    as_list,
    check_metric_mode,
    metric_value,
    single_metric_message,
)

__all__ = ["Scheduler", "refuse_several_metrics", "takes_several_metrics"]


def takes_several_metrics(cls: type) -> bool:
    """Whether ``cls`` itself (not a base class of it) declares ``multi_objective = True``."""
    return bool(cls.__dict__.get("multi_objective", False))


def refuse_several_metrics(cls: type, kwargs: Mapping[str, Any]) -> None:
    """A ``ValueError`` naming ``cls`` when its constructor got several metrics it cannot take
    (checked before the constructor builds anything, so the error names the class called)."""
    metric = kwargs.get("metric")
    if isinstance(metric, list | tuple) and len(metric) > 1 and not takes_several_metrics(cls):
        raise ValueError(single_metric_message(cls.__name__, metric))


class Scheduler(Specified, ABC):
    """Base class of schedulers; ``metric`` and ``mode`` (``"min"`` or ``"max"``) say what is
    optimized, or lists of them for several objectives (see the module docstring)."""

    #: whether the class takes several metrics (set in each class's own body: not inherited)
    multi_objective: ClassVar[bool] = False

    def __new__(cls, *args: Any, **kwargs: Any):
        refuse_several_metrics(cls, kwargs)
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *, metric: str | list[str], mode: str | list[str] = "min"):
        single = None if takes_several_metrics(type(self)) else type(self).__name__
        self.metric, self.mode = check_metric_mode(metric, mode, single=single)
        if not isinstance(self.metric, str):
            # chosen once here, so that single-metric results pay nothing for it
            self.score = self._score_first_objective  # type: ignore[method-assign]

    @property
    def metrics(self) -> list[str]:
        """The metric names, one per objective."""
        return as_list(self.metric)

    @property
    def modes(self) -> list[str]:
        """``"min"`` or ``"max"``, one per objective."""
        return as_list(self.mode)

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

    def objectives(self, result: Mapping[str, Any]) -> list[float]:
        """Every objective of the result as a value to minimize (the ``"max"`` ones negated); a
        ``ValueError`` names a missing or non-finite one."""
        return [
            value if mode == "min" else -value
            for value, mode in zip(
                (metric_value(result, m) for m in self.metrics), self.modes, strict=True
            )
        ]

    def _score_first_objective(self, result: Mapping[str, Any]) -> float:
        """:meth:`score` with several metrics: checks them all, returns the first's."""
        return self.objectives(result)[0]

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
