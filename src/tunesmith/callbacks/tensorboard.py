"""Logging a run to TensorBoard: one TensorBoard run per trial, its reports as scalars, its
config and status in the hparams plugin (the "HPARAMS" tab compares trials).

Event files are written with tensorboardX (``pip install "tunesmith[tensorboard]"``): it needs
only numpy and protobuf, where torch's ``SummaryWriter`` needs torch and TensorBoard's own
summary API TensorFlow.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path
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

__all__ = ["TensorBoardCallback"]


class TensorBoardCallback(TunerCallback):
    """Writes each trial's reports to ``<log_dir>/<study name>/trial_<id>`` for TensorBoard
    (``tensorboard --logdir <log_dir>``): every finite number a report holds is a scalar under
    its name, at the step given by ``step_attr`` (default: the scheduler's ``resource_attr``,
    e.g. the epoch) or, in a report without it, the report's number in the trial. The trial's
    config and final status go to the hparams plugin, with the scheduler's metrics as its
    metrics.

    ``log_dir``: default ``<tunesmith home>/tensorboard`` (``$TUNESMITH_HOME`` or
    ``./tunesmith-results``). ``flush_secs``: how often open event files are written out.

    A resumed study writes on in the same folders: a paused trial that resumes continues its
    curve, and the reports a restarted trial repeats after a crash are not passed to callbacks
    (the tuner recognises them), so no step is written twice. Reports the tuner stored just
    before being killed may be missing from the event files (they were not flushed yet).
    """

    def __init__(
        self,
        log_dir: str | Path | None = None,
        *,
        step_attr: str | None = None,
        flush_secs: float = 5.0,
    ):
        if log_dir is not None and not isinstance(log_dir, str | Path):
            raise TypeError(f"`log_dir` must be a path or None, but got log_dir={log_dir!r}")
        ok = isinstance(flush_secs, int | float) and not isinstance(flush_secs, bool)
        if not ok or not (flush_secs > 0 and math.isfinite(flush_secs)):
            raise ValueError(
                f"`flush_secs` must be a positive number, but got flush_secs={flush_secs!r}"
            )
        if step_attr is not None and not (isinstance(step_attr, str) and step_attr):
            raise TypeError(
                f"`step_attr` must be a reported name or None, but got step_attr={step_attr!r}"
            )
        self.log_dir = None if log_dir is None else Path(log_dir)
        self.step_attr = step_attr
        self.flush_secs = flush_secs
        self._study_dir: Path | None = None
        self._writers: dict[int, Any] = {}
        self._metrics: list[str] = []
        self._resource_attr: str | None = None
        prefetch(_import_tensorboardx, "tunesmith-import-tensorboardx")

    def on_tuning_start(self, tuner: Tuner) -> None:
        _import_tensorboardx()  # the install line before any trial starts
        if self.log_dir is None:
            from tunesmith.store.home import home_directory

            self.log_dir = home_directory() / "tensorboard"
        self._study_dir = self.log_dir / tuner.name
        self._metrics = list(tuner.result.metrics)
        attr = self.step_attr or getattr(tuner.scheduler, "resource_attr", None)
        self._resource_attr = attr if isinstance(attr, str) else None

    def trial_dir(self, trial_id: int) -> Path:
        """The TensorBoard run of a trial (after the run started)."""
        if self._study_dir is None:
            raise RuntimeError("trial_dir() needs a run: the tuner calls on_tuning_start first")
        return self._study_dir / f"trial_{trial_id}"

    def _open(self, trial_id: int):
        tensorboardx = _import_tensorboardx()
        # tensorboardX names a file by the second it was opened and the host: a trial that
        # resumes within the same second would overwrite its earlier file. The suffix keeps
        # them apart, and in order (TensorBoard reads a run's files sorted by name)
        return tensorboardx.SummaryWriter(
            str(self.trial_dir(trial_id)),
            flush_secs=max(1, round(self.flush_secs)),
            filename_suffix=f".{time.time_ns()}.{os.getpid()}",
        )

    def _writer(self, trial_id: int):
        writer = self._writers.get(trial_id)
        if writer is None:
            writer = self._writers[trial_id] = self._open(trial_id)
        return writer

    def on_trial_start(self, trial: Trial, *, resumed: bool) -> None:
        writer = self._writer(trial.trial_id)
        if not resumed:  # the hparams plugin's session: once per trial
            hparams = {k: hparam_value(v) for k, v in trial.config.items()}
            for summary in _session_start(hparams, self._metrics):
                writer.file_writer.add_summary(summary)

    def on_trial_result(self, trial: Trial, result: dict[str, Any], decision: Decision) -> None:
        writer = self._writer(trial.trial_id)
        step = step_of(result, self._resource_attr, trial.num_results)
        now = time.time()
        for name, value in numbers_of(result, skip=self._resource_attr).items():
            writer.add_scalar(name, value, global_step=step, walltime=now)

    def on_trial_complete(self, trial: Trial) -> None:
        self._end(trial)

    def on_trial_error(self, trial: Trial) -> None:
        self._end(trial)

    def _end(self, trial: Trial) -> None:
        """Close the trial's event file; a trial that ended (not paused) ends its session."""
        writer = self._writers.pop(trial.trial_id, None)
        if trial.status is not TrialStatus.PAUSED:
            writer = writer or self._open(trial.trial_id)
            writer.file_writer.add_summary(_session_end(trial.status is TrialStatus.FAILED))
        if writer is not None:
            writer.close()

    def on_tuning_end(self, tuner: Tuner, result: TuningResult) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()


def _import_tensorboardx():
    try:
        import tensorboardX
    except ImportError as err:
        raise missing_extra("tensorboardX", "tensorboard", "TensorBoardCallback") from err
    return tensorboardX


def _plugin_summary(tag: str, data) -> Any:
    """A summary of the hparams plugin (``data``: its ``HParamsPluginData``)."""
    from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata

    plugin = SummaryMetadata.PluginData(plugin_name="hparams", content=data.SerializeToString())
    return Summary(value=[Summary.Value(tag=tag, metadata=SummaryMetadata(plugin_data=plugin))])


def _session_start(hparams: dict[str, Any], metrics: list[str]) -> list[Any]:
    """The hparams plugin's experiment (the hparams and metrics it lists) and this trial's
    session with its values."""
    from tensorboardX.proto.api_pb2 import DataType, Experiment, HParamInfo, MetricInfo, MetricName
    from tensorboardX.proto.plugin_hparams_pb2 import HParamsPluginData, SessionStartInfo

    start = SessionStartInfo()
    infos = []
    for name, value in hparams.items():
        if isinstance(value, bool):
            start.hparams[name].bool_value = value
            kind = "DATA_TYPE_BOOL"
        elif isinstance(value, str):
            start.hparams[name].string_value = value
            kind = "DATA_TYPE_STRING"
        else:
            start.hparams[name].number_value = float(value)
            kind = "DATA_TYPE_FLOAT64"
        infos.append(HParamInfo(name=name, type=DataType.Value(kind)))
    experiment = Experiment(
        hparam_infos=infos, metric_infos=[MetricInfo(name=MetricName(tag=m)) for m in metrics]
    )
    return [
        _plugin_summary("_hparams_/experiment", HParamsPluginData(experiment=experiment)),
        _plugin_summary(
            "_hparams_/session_start_info", HParamsPluginData(session_start_info=start)
        ),
    ]


def _session_end(failed: bool) -> Any:
    from tensorboardX.proto.api_pb2 import Status
    from tensorboardX.proto.plugin_hparams_pb2 import HParamsPluginData, SessionEndInfo

    status = Status.Value("STATUS_FAILURE" if failed else "STATUS_SUCCESS")
    data = HParamsPluginData(session_end_info=SessionEndInfo(status=status))
    return _plugin_summary("_hparams_/session_end_info", data)
