"""Logging a run to MLflow: the study is a parent run, each trial a run nested under it with its
config as parameters and its reports as metrics (``pip install "tunesmith[mlflow]"``)."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from tunesmith.callbacks._tracking import (
    hparam_value,
    missing_extra,
    numbers_of,
    prefetch,
    step_of,
)
from tunesmith.callbacks.base import TunerCallback
from tunesmith.trial import Decision, Trial, TrialStatus

if TYPE_CHECKING:
    from tunesmith.results import TuningResult
    from tunesmith.tuner import Tuner

__all__ = ["MLflowCallback"]

#: tags that find a study's runs again when it is resumed
STUDY_TAG = "tunesmith.study"
TRIAL_TAG = "tunesmith.trial_id"
PARENT_TAG = "mlflow.parentRunId"  # MLflow's own: the UI nests the run under its parent


class MLflowCallback(TunerCallback):
    """Logs the study to MLflow through ``MlflowClient(tracking_uri)`` (default: MLflow's own,
    ``$MLFLOW_TRACKING_URI`` or its default store), in the experiment ``experiment_name``
    (default: the study's name, created if missing).

    The study is one parent run (named after the study, tagged ``tunesmith.study``); each trial
    is a run nested under it (``trial-<id>``, tagged ``tunesmith.trial_id``) with its config as
    parameters and every finite number it reports as a metric, at the step given by
    ``step_attr`` (default: the scheduler's ``resource_attr``) or the report's number in the
    trial. A trial ends ``FINISHED`` (tag ``tunesmith.status``: completed, stopped or paused)
    or ``FAILED`` (tag ``tunesmith.failure_reason``); the parent run gets the stop reason and,
    with one objective, the best value as metric ``best_<metric>``.

    A resumed study finds its parent run and its trials' runs by their tags and logs on into
    them (a resumed trial's run is ``RUNNING`` again); the reports a restarted trial repeats
    after a crash are not passed to callbacks, so no step is logged twice. MLflow's parameters
    cannot change: a trial whose config changes on resume (PBT) gets it as the tag
    ``tunesmith.config`` (JSON). Trials still running when the run is interrupted end
    ``KILLED`` (tag ``tunesmith.status``: interrupted) and run again when it resumes.
    """

    def __init__(
        self,
        tracking_uri: str | None = None,
        *,
        experiment_name: str | None = None,
        step_attr: str | None = None,
    ):
        for name, value in (
            ("tracking_uri", tracking_uri),
            ("experiment_name", experiment_name),
            ("step_attr", step_attr),
        ):
            if value is not None and not (isinstance(value, str) and value):
                raise TypeError(
                    f"`{name}` must be a non-empty string or None, but got {name}={value!r}"
                )
        self.tracking_uri = tracking_uri
        self.experiment_name = experiment_name
        self.step_attr = step_attr
        #: the MlflowClient (after the run started), the parent run's id and each trial's run id
        self.client: Any = None
        self.parent_run_id: str | None = None
        self.run_ids: dict[int, str] = {}
        self._experiment_id: str | None = None
        self._study = ""
        self._resource_attr: str | None = None
        self._configs: dict[int, dict[str, Any]] = {}
        self._open: set[int] = set()  # trials whose run is RUNNING
        prefetch(_import_mlflow, "tunesmith-import-mlflow")

    def on_tuning_start(self, tuner: Tuner) -> None:
        mlflow = _import_mlflow()
        self.client = mlflow.tracking.MlflowClient(tracking_uri=self.tracking_uri)
        self._study = tuner.name
        name = self.experiment_name or tuner.name
        experiment = self.client.get_experiment_by_name(name)
        self._experiment_id = (
            experiment.experiment_id if experiment else self.client.create_experiment(name)
        )
        attr = self.step_attr or getattr(tuner.scheduler, "resource_attr", None)
        self._resource_attr = attr if isinstance(attr, str) else None
        self._find_runs()
        if self.parent_run_id is None:
            tags = {
                STUDY_TAG: self._study,
                "tunesmith.scheduler": type(tuner.scheduler).__name__,
                "tunesmith.metric": json.dumps(tuner.result.metric),
                "tunesmith.mode": json.dumps(tuner.result.mode),
            }
            run = self.client.create_run(self._experiment_id, tags=tags, run_name=self._study)
            self.parent_run_id = run.info.run_id
        else:
            self.client.update_run(self.parent_run_id, status="RUNNING")

    def _find_runs(self) -> None:
        """The parent run and the trial runs of a study logged before (a resumed study)."""
        self.parent_run_id, self.run_ids = None, {}
        study = self._study.replace("'", "\\'")
        runs = self._search(f"tags.`{STUDY_TAG}` = '{study}'")
        parents = [r for r in runs if PARENT_TAG not in r.data.tags]
        if not parents:
            return
        parent = min(parents, key=lambda r: r.info.start_time)
        self.parent_run_id = parent.info.run_id
        for run in runs:
            if run.data.tags.get(PARENT_TAG) == self.parent_run_id and TRIAL_TAG in run.data.tags:
                self.run_ids[int(run.data.tags[TRIAL_TAG])] = run.info.run_id
                self._configs[int(run.data.tags[TRIAL_TAG])] = dict(run.data.params)

    def _search(self, filter_string: str) -> list[Any]:
        runs, token = [], None
        while True:
            page = self.client.search_runs(
                [self._experiment_id], filter_string, max_results=1000, page_token=token
            )
            runs.extend(page)
            token = page.token
            if not token:
                return runs

    def on_trial_start(self, trial: Trial, *, resumed: bool) -> None:
        mlflow = _import_mlflow()
        tid = trial.trial_id
        run_id = self.run_ids.get(tid)
        params = {k: str(hparam_value(v)) for k, v in trial.config.items()}
        if run_id is None:
            tags = {PARENT_TAG: self.parent_run_id, TRIAL_TAG: str(tid), STUDY_TAG: self._study}
            run = self.client.create_run(self._experiment_id, tags=tags, run_name=f"trial-{tid}")
            run_id = self.run_ids[tid] = run.info.run_id
            batch = [mlflow.entities.Param(k, v) for k, v in params.items()]
            self.client.log_batch(run_id, params=batch, synchronous=True)
            self._configs[tid] = params
            self._open.add(tid)
            return
        self.client.update_run(run_id, status="RUNNING")
        self._open.add(tid)
        if params != self._configs.get(tid):  # PBT changed it: parameters are immutable
            self.client.set_tag(run_id, "tunesmith.config", json.dumps(trial.config, default=str))

    def on_trial_result(self, trial: Trial, result: dict[str, Any], decision: Decision) -> None:
        mlflow = _import_mlflow()
        run_id = self.run_ids.get(trial.trial_id)
        if run_id is None:
            return
        step = step_of(result, self._resource_attr, trial.num_results)
        now = int(time.time() * 1000)
        metrics = [
            mlflow.entities.Metric(name, value, now, step)
            for name, value in numbers_of(result, skip=self._resource_attr).items()
        ]
        if metrics:
            self.client.log_batch(run_id, metrics=metrics, synchronous=True)

    def on_trial_complete(self, trial: Trial) -> None:
        self._end(trial)

    def on_trial_error(self, trial: Trial) -> None:
        self._end(trial)

    def _end(self, trial: Trial) -> None:
        run_id = self.run_ids.get(trial.trial_id)
        if run_id is None:
            return
        self._open.discard(trial.trial_id)
        self.client.set_tag(run_id, "tunesmith.status", trial.status.value)
        if trial.status is TrialStatus.FAILED:
            self.client.set_tag(run_id, "tunesmith.failure_reason", str(trial.failure_reason))
            self.client.set_terminated(run_id, "FAILED")
        else:
            self.client.set_terminated(run_id, "FINISHED")

    def on_tuning_end(self, tuner: Tuner, result: TuningResult) -> None:
        if self.parent_run_id is None:
            return
        for tid in sorted(self._open):  # interrupted: they restart when the study is resumed
            self.client.set_tag(self.run_ids[tid], "tunesmith.status", "interrupted")
            self.client.set_terminated(self.run_ids[tid], "KILLED")
        self._open.clear()
        self.client.set_tag(self.parent_run_id, "tunesmith.stop_reason", str(result.stop_reason))
        if isinstance(result.metric, str):
            best = result.best_result()
            if best is not None:
                self.client.log_metric(
                    self.parent_run_id, f"best_{result.metric}", float(best[result.metric])
                )
                self.client.set_tag(self.parent_run_id, "tunesmith.best_trial", best["trial_id"])
        self.client.set_terminated(self.parent_run_id, "FINISHED")


def _import_mlflow():
    try:
        import mlflow.entities
        import mlflow.tracking
    except ImportError as err:
        raise missing_extra("mlflow", "mlflow", "MLflowCallback") from err
    return mlflow
