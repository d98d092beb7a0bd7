"""``syne_tune.experiments``: ``load_experiment(tuner_name)`` reads a finished (or running)
experiment back from the store: its results, metadata and best config."""

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
    ``study`` (the :class:`tunesmith.studies.StoredStudy`). ``tuner`` is always None."""

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

    def __str__(self) -> str:
        return f"Experiment {self.name}: {len(self.results)} results"


def load_experiment(
    tuner_name: str,
    download_if_not_found: bool = True,
    load_tuner: bool = False,
    local_path: str | None = None,
    experiment_name: str | None = None,
) -> ExperimentResult:
    """The experiment ``tuner_name`` (``tuner.name``) from the default store, or from the
    store in ``local_path`` (a folder, as ``$TUNESMITH_HOME``)."""
    from tunesmith.resume import home
    from tunesmith.store.home import DB_FILENAME
    from tunesmith.studies import load_study

    if load_tuner:
        raise NotSupported(
            "load_tuner=True is not supported: the study is the tuner's state; run a Tuner with "
            "the same tuner_name (and suffix_tuner_name=False) to resume it"
        )
    folder = Path(local_path) if local_path else home()
    storage = f"sqlite:///{folder / DB_FILENAME}" if local_path else None
    study = load_study(tuner_name, storage)
    path = folder / tuner_name
    metadata: dict[str, Any] = dict(study.metadata)  # Tuner(metadata=...), as stored
    if (path / ST_METADATA_FILENAME).is_file():
        metadata = json.loads((path / ST_METADATA_FILENAME).read_text())
    return ExperimentResult(
        name=tuner_name,
        results=study.dataframe(),
        metadata=metadata,
        tuner=None,
        path=path,
        study=study,
    )
