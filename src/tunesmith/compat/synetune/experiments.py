"""``syne_tune.experiments``: ``load_experiment(tuner_name)`` reads a finished (or running)
experiment back from the store: its results, metadata and best config; with
``load_tuner=True`` also the tuner, built again from the study (a script backend's tuner)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tunesmith.compat.synetune.constants import ST_METADATA_FILENAME
from tunesmith.compat.synetune.errors import NotSupported

__all__ = ["ExperimentResult", "load_experiment"]


@dataclass
class ExperimentResult:
    """An experiment as stored: ``results`` (a pandas DataFrame, one row per report, with
    ``trial_id``, ``status``, the config entries and the metrics), ``metadata`` (the tuner's
    ``metadata=`` plus ``metric_names`` and ``metric_mode``), ``path`` (its folder) and
    ``study`` (the :class:`tunesmith.studies.StoredStudy`). ``tuner``: the
    :class:`~tunesmith.compat.synetune.Tuner` built again from the study with
    ``load_tuner=True`` (else None)."""

    name: str
    results: Any
    metadata: dict[str, Any]
    tuner: Any
    path: Path
    study: Any = None

    def metric_names(self) -> list[str]:
        return list(self.study.study.metrics)

    def metric_mode(self) -> Any:
        return self.study.mode

    def best_config(self, metric: str | int = 0) -> dict[str, Any]:
        """The config of the best report of ``metric`` (index or name), with its
        ``trial_id``."""
        metrics = self.metric_names()
        modes = self.study.mode if isinstance(self.study.mode, list) else [self.study.mode]
        index = metric if isinstance(metric, int) else metrics.index(metric)
        name, mode = metrics[index], modes[min(index, len(modes) - 1)]
        best, best_value = None, None
        for record in self.study.records():
            value = record.get(name)
            if not isinstance(value, int | float) or not math.isfinite(value):
                continue
            if best_value is None or (value < best_value if mode == "min" else value > best_value):
                best, best_value = record, value
        if best is None:
            raise ValueError(f"no report has a finite value of {name!r}")
        keys = list(self.study.config_space)
        return {"trial_id": best["trial_id"], **{k: best[k] for k in keys if k in best}}

    def _metric(self, metric: str | int) -> tuple[str, str]:
        metrics = self.metric_names()
        modes = self.study.mode if isinstance(self.study.mode, list) else [self.study.mode]
        if isinstance(metric, int) and not isinstance(metric, bool):
            if not 0 <= metric < len(metrics):
                raise IndexError(f"metric_to_plot={metric} is out of range for {metrics}")
            index = metric
        elif metric in metrics:
            index = metrics.index(metric)
        else:
            raise ValueError(f"metric_to_plot={metric!r} is not one of the metrics {metrics}")
        return metrics[index], modes[min(index, len(modes) - 1)]

    def _timed(self) -> list[dict[str, Any]]:
        from tunesmith.store import Store
        from tunesmith.viz import timed_results

        with Store(self.study.storage) as store:
            return timed_results(store.read_events(self.study.study))

    def plot(self, metric_to_plot: str | int = 0, figure_path: str | None = None, **plt_kwargs):
        """The best value of ``metric_to_plot`` (an index or a name) against the seconds since
        the experiment began (tunesmith's :func:`~tunesmith.viz.plot_best_so_far`); saved to
        ``figure_path``, else shown. ``plt_kwargs`` go to the best-so-far line. Returns the
        figure. Needs matplotlib (``pip install "tunesmith[plot]"``)."""
        from tunesmith.viz import best_so_far, plot_best_so_far

        name, mode = self._metric(metric_to_plot)
        figure = plot_best_so_far(best_so_far(self._timed(), name, mode, x="time"))
        if plt_kwargs:
            figure.axes[0].lines[-1].set(**plt_kwargs)
        return _show(figure, figure_path)

    def plot_trials_over_time(
        self, metric_to_plot: str | int = 0, figure_path: str | None = None, figsize=None
    ):
        """Each trial's values of ``metric_to_plot`` against the seconds since the experiment
        began (tunesmith's :func:`~tunesmith.viz.plot_training_curves` with the time as the
        resource); saved to ``figure_path``, else shown. Returns the figure."""
        from tunesmith.viz import plot_training_curves, training_curves
        from tunesmith.viz.best import TIME_KEY

        name, mode = self._metric(metric_to_plot)
        figure = plot_training_curves(training_curves(self._timed(), name, TIME_KEY, mode=mode))
        if figsize is not None:
            figure.set_size_inches(*figsize)
        figure.axes[0].set_xlabel("seconds since the experiment began")
        return _show(figure, figure_path)

    def __str__(self) -> str:
        return f"Experiment {self.name}: {len(self.results)} results"


def _show(figure: Any, figure_path: str | None) -> Any:
    """Save ``figure`` to ``figure_path``, or show it (a non-interactive backend shows
    nothing)."""
    if figure_path is not None:
        figure.savefig(figure_path)
    else:
        import matplotlib.pyplot as plt

        plt.show()
    return figure


def load_experiment(
    tuner_name: str,
    download_if_not_found: bool = True,
    load_tuner: bool = False,
    local_path: str | None = None,
    experiment_name: str | None = None,
) -> ExperimentResult:
    """The experiment ``tuner_name`` (``tuner.name``) from the default store, or from the
    store in ``local_path`` (a folder, as ``$TUNESMITH_HOME``). ``load_tuner=True``: also
    ``.tuner``, the tuner built again from the study (see :func:`_load_tuner`)."""
    from tunesmith.compat.synetune.tuner import REBUILD_KEY
    from tunesmith.resume import home
    from tunesmith.store.home import DB_FILENAME
    from tunesmith.studies import load_study

    folder = Path(local_path) if local_path else home()
    storage = f"sqlite:///{folder / DB_FILENAME}" if local_path else None
    study = load_study(tuner_name, storage)
    path = folder / tuner_name
    metadata: dict[str, Any] = dict(study.metadata)  # Tuner(metadata=...), as stored
    metadata.pop(REBUILD_KEY, None)
    if (path / ST_METADATA_FILENAME).is_file():
        metadata = json.loads((path / ST_METADATA_FILENAME).read_text())
    return ExperimentResult(
        name=tuner_name,
        results=study.dataframe(),
        metadata=metadata,
        tuner=_load_tuner(tuner_name, storage, study) if load_tuner else None,
        path=path,
        study=study,
    )


def _load_tuner(name: str, storage: str | None, stored: Any) -> Any:
    """The front end's ``Tuner`` of the study ``name``, built again from what the study
    stores: the script backend (entry point and arguments), ``n_workers``, the stopping
    criterion and options (the tuner's metadata), the scheduler (its spec). ``tuner.scheduler``
    is the native scheduler with the journal replayed into it (its state at the end of the
    study so far); ``tuner.run()`` resumes the study (the same name and store)."""
    from tunesmith.compat.synetune.backend import LocalBackend
    from tunesmith.compat.synetune.tuner import REBUILD_KEY, Tuner, criterion_from_data

    again = (
        f"build the Tuner again with the same trial_backend and scheduler, "
        f"tuner_name={name!r} and suffix_tuner_name=False: its run() continues the study"
    )
    data = stored.study.metadata.get(REBUILD_KEY)
    if data is None:
        raise NotSupported(
            f"load_tuner=True: the study {name!r} was not stored by "
            f"tunesmith.compat.synetune.Tuner (or by an earlier tunesmith) and cannot be "
            f"built again; {again}"
        )
    backend = data["backend"]
    if backend.get("class") != "LocalBackend":
        function = backend.get("function") or "a function"
        raise NotSupported(
            f"load_tuner=True: the experiment {name!r} ran {backend.get('class')}"
            f"(tune_function={function}), and a function is not stored; {again}"
        )
    if data.get("stop_criterion") is None:
        raise NotSupported(
            f"load_tuner=True: the experiment {name!r} stopped by a callable, not a "
            f"StoppingCriterion, and a callable is not stored; {again}"
        )
    tuner = Tuner(
        trial_backend=LocalBackend(
            entry_point=backend["entry_point"],
            delete_checkpoints=backend["delete_checkpoints"],
            pass_args_as_json=backend["pass_args_as_json"],
            rotate_gpus=backend["rotate_gpus"],
            num_gpus_per_trial=backend.get("num_gpus_per_trial", 1),
            gpus_to_use=backend.get("gpus_to_use"),
        ),
        scheduler=_scheduler(stored, storage, replayed=False),
        stop_criterion=criterion_from_data(data["stop_criterion"]),
        n_workers=data["n_workers"],
        max_failures=data["max_failures"],
        tuner_name=name,
        asynchronous_scheduling=data["asynchronous_scheduling"],
        wait_trial_completion_when_stopping=data["wait_trial_completion_when_stopping"],
        metadata={k: v for k, v in stored.metadata.items() if k != REBUILD_KEY},
        suffix_tuner_name=False,
        trial_backend_path=data["trial_backend_path"],
    )
    tuner._storage, tuner._loaded = storage, True
    tuner.native = tuner._make_native()  # in the study's store
    tuner.scheduler = _scheduler(stored, storage, replayed=True)
    return tuner


def _scheduler(stored: Any, storage: str | None, *, replayed: bool) -> Any:
    """The study's scheduler built from its spec, in its state at creation (``replayed``:
    with the journal replayed into it, as the tuner replays it when the study resumes)."""
    from tunesmith.results import TuningResult, constraint_attr_of
    from tunesmith.resume import replay
    from tunesmith.runstate import RunState
    from tunesmith.spec import build
    from tunesmith.stopping import TuningStatus
    from tunesmith.store import Store

    study = stored.study
    scheduler = build(study.scheduler_spec)
    scheduler.load_state_dict(study.metadata["scheduler_state"])
    if replayed:
        result = TuningResult(
            metric=scheduler.metric,
            mode=scheduler.mode,
            constraint_attr=constraint_attr_of(scheduler),
        )
        with Store(storage) as store:
            replay(scheduler, RunState(result, TuningStatus()), store.read_events(study))
    return scheduler
