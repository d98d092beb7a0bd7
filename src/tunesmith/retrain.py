"""Run one given config to its end, outside any search: the final fit after tuning.

::

    best = result.best_config()                 # or load_study("mnist").best_config()
    run = tunesmith.retrain(backend, best, metric="loss")
    run.reports                                 # what the trial reported, in order
    run.checkpoint_dir                          # where tunesmith.checkpoint_dir() pointed

The config runs as one trial on ``backend`` (the same backend, and so the same training code,
workers and resources as the search), through the same :class:`~tunesmith.tuner.Tuner`: its
reports are journaled before the trial goes on, and a retrain killed part way resumes from its
checkpoint when run again with the same ``name``. Nothing stops it early: no scheduler decides
on its reports, which need not even carry ``metric`` (it names the value a returned number is
reported as). This is AutoGluon's ``scheduler.run_with_config(config)``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tunesmith.backends.base import Backend
from tunesmith.callbacks.base import TunerCallback
from tunesmith.results import TuningResult
from tunesmith.schedulers.base import Scheduler
from tunesmith.trial import Decision, Suggestion, Trial, TrialStatus

__all__ = ["Retrain", "RetrainError", "Retrained", "retrain"]


class Retrain(Scheduler):
    """The scheduler of :func:`retrain`: starts ``config`` once, lets it run to its end (every
    report gets CONTINUE, with or without ``metric``), then has nothing more to start."""

    def __init__(self, config: Mapping[str, Any], *, metric: str, mode: str = "min"):
        super().__init__(metric=metric, mode=mode)
        if not isinstance(config, Mapping):
            raise TypeError(f"`config` must be a dict, but got config={config!r}")
        try:
            self.config = json.loads(json.dumps(dict(config), allow_nan=False))
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"`config` must hold JSON values (as the configs of a search do), but got "
                f"config={config!r}: {err}"
            ) from None
        self._started = False

    def suggest(self, trial_id: int) -> Suggestion | None:
        if self._started:
            return None
        self._started = True
        return Suggestion.start(dict(self.config))

    def on_trial_result(self, trial: Trial, result: Mapping[str, Any]) -> Decision:
        return Decision.CONTINUE

    def state_dict(self) -> dict[str, Any]:
        return {"started": self._started}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self._started = bool(state["started"])


class RetrainError(RuntimeError):
    """The retrained config did not run to its end (it failed, or the run was interrupted);
    ``.result`` holds what it reported until then."""

    def __init__(self, message: str, result: TuningResult):
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class Retrained:
    """A retrained config: ``reports`` are its reports in order (without ``trial_id`` and
    tunesmith's ``ts_`` fields); ``checkpoint_dir`` is the folder ``tunesmith.checkpoint_dir()``
    gave it (None when the run's folders were temporary: ``storage="memory"`` without a
    ``run_dir``); ``result`` is the one-trial :class:`~tunesmith.results.TuningResult`."""

    config: dict[str, Any]
    reports: list[dict[str, Any]]
    checkpoint_dir: Path | None
    result: TuningResult

    @property
    def last_report(self) -> dict[str, Any] | None:
        return self.reports[-1] if self.reports else None


def retrain(
    backend: Backend,
    config: Mapping[str, Any],
    *,
    metric: str,
    mode: str = "min",
    max_trial_time: float | None = None,
    name: str | None = None,
    storage: str | None = None,
    run_dir: str | Path | None = None,
    if_exists: str = "resume",
    restart_from_checkpoint: bool = True,
    callbacks: Sequence[TunerCallback] | None = None,
    metadata: Mapping[str, Any] | None = None,
    verbose: int = 0,
) -> Retrained:
    """Run ``config`` once on ``backend`` to its end and return its reports (see the module
    docstring). The arguments after ``mode`` are :class:`~tunesmith.tuner.Tuner`'s: the
    retrain is a study of its own in ``storage`` (``"memory"``: none), resumed when run again
    under the same ``name``. A trial that fails, or a run interrupted before the trial ended,
    raises :class:`RetrainError` saying why."""
    from tunesmith.tuner import Tuner

    scheduler = Retrain(config, metric=metric, mode=mode)
    tuner = Tuner(
        backend,
        scheduler,
        None,
        1,
        max_trial_time=max_trial_time,
        max_failures=1,  # one trial: its failure is reported below, not as "too many"
        callbacks=callbacks,
        verbose=verbose,
        name=name,
        storage=storage,
        if_exists=if_exists,
        restart_from_checkpoint=restart_from_checkpoint,
        run_dir=run_dir,
        metadata=metadata,
    )
    result = tuner.run()
    trial = result.trials.get(0)
    reports = result.history().get(0, [])
    if trial is None or trial.status is not TrialStatus.COMPLETED:
        status = "not started" if trial is None else trial.status.value
        why = ""
        if trial is not None and trial.status is TrialStatus.FAILED:
            detail = (trial.failure_detail or "").strip().splitlines()
            why = f" ({trial.failure_reason}{': ' + detail[-1] if detail else ''})"
        elif result.stop_reason:
            why = f" (the run ended: {result.stop_reason})"
        raise RetrainError(
            f"retraining {scheduler.config} did not run to its end: the trial is {status}{why}"
            f" after {len(reports)} reports"
            + ("" if tuner.journal is not None else f"; run again with name={tuner.name!r}"),
            result,
        )
    temporary = storage == "memory" and not run_dir  # removed when the run ended
    return Retrained(
        config=dict(scheduler.config),
        reports=reports,
        checkpoint_dir=None if temporary else backend.trial_dir(0) / "checkpoint",
        result=result,
    )
