"""Results of stored studies, from any process, also while a study runs::

    import tunesmith

    study = tunesmith.load_study("mnist-lr")          # default store, or storage="postgresql://..."
    study.best_config()
    study.top(5)                                       # the 5 best trials
    study.pareto_front()                               # several metrics: the trade-offs
    study.dataframe()                                  # one row per report (needs pandas)
    study.export("mnist-lr.csv")
    study.lineage()                                    # PBT: the exploits behind the best trial
    study.history()                                    # {trial_id: [report, ...]}
    study.metadata                                     # Tuner(metadata=...)
    tunesmith.list_studies()

Each call reads the store afresh: nothing is cached, nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tunesmith.ranking import DEFAULT_SCOPE
from tunesmith.results import Exploit, exploit_of, history_of, lineage_of
from tunesmith.store import Store, Study, StudyNotFoundError
from tunesmith.store.engine import sqlite_file

__all__ = ["StoredStudy", "constraint_attr_of_spec", "list_studies", "load_study"]


def _missing_store(storage: str | None) -> Path | None:
    """The SQLite file of ``storage`` if it does not exist (reading must not create it)."""
    path = sqlite_file(storage)
    return path if path is not None and not path.exists() else None


def list_studies(storage: str | None = None) -> list[Study]:
    """The studies in ``storage`` (default: the SQLite store in ``$TUNESMITH_HOME``); none
    when that SQLite file does not exist (it is not created)."""
    if _missing_store(storage) is not None:
        return []
    with Store(storage) as store:
        return store.list_studies()


def load_study(name: str, storage: str | None = None) -> StoredStudy:
    """A read-only view of the study ``name``; ``StudyNotFoundError`` lists the known names,
    or says that there is no store (a SQLite file that does not exist is not created)."""
    missing = _missing_store(storage)
    if missing is not None:
        hint = " ($TUNESMITH_HOME, default ./tunesmith-results, names its folder)"
        raise StudyNotFoundError(
            f"no study named {name!r}: there is no store at {missing}"
            f"{hint if storage is None else ''}; pass storage= the URL the Tuner wrote to"
        )
    store = Store(storage)
    try:
        study = store.find_study(name)
        if study is None:
            known = [s.name for s in store.list_studies()]
            raise StudyNotFoundError(
                f"no study named {name!r} in {store.url}; known studies: {known or 'none'}"
            )
    finally:
        store.close()
    return StoredStudy(study, storage)


class StoredStudy:
    """A study as stored: its description (``name``, ``metric``, ``mode``, ``config_space``,
    ``scheduler_spec``) and queries on its trials and results."""

    def __init__(self, study: Study, storage: str | None):
        self.study = study
        self.storage = storage
        self.name, self.metric, self.mode = study.name, study.metric, study.mode

    def _query(self, method: str, *args: Any, **kwargs: Any) -> Any:
        with Store(self.storage) as store:
            return getattr(store, method)(self.study, *args, **kwargs)

    @property
    def config_space(self) -> dict[str, Any]:
        from tunesmith.space import space_from_json

        return space_from_json(self.study.config_space_json)

    @property
    def scheduler_spec(self) -> dict[str, Any]:
        return self.study.scheduler_spec

    @property
    def metadata(self) -> dict[str, Any]:
        """The metadata the study was created with (``Tuner(metadata=...)``); ``{}`` if none.
        (``Store.get_study(name).metadata`` holds it too, beside tunesmith's own keys.)"""
        from tunesmith.resume import user_metadata

        return user_metadata(self.study.metadata)

    def history(self, *, ts_fields: bool = False) -> dict[int, list[dict[str, Any]]]:
        """The stored reports grouped by trial, as
        :meth:`TuningResult.history <tunesmith.results.TuningResult.history>` gives them:
        ``{trial_id: [report, ...]}``."""
        events = self._query("read_events")
        return history_of(
            ((e.trial_id, e.payload) for e in events if e.kind.value == "result"),
            ts_fields=ts_fields,
        )

    def trials(self) -> list[dict[str, Any]]:
        """One dict per trial: ``trial_id``, ``status``, ``config``, ``last_result``,
        ``num_results``, ``failure_reason``, ``failure_detail``, ``best_value``, times."""
        return self._query("trials")

    def records(self) -> list[dict[str, Any]]:
        """One flat dict per report: trial id, status, each config key, each metric."""
        return self._query("records")

    def dataframe(self):
        """:meth:`records` as a pandas DataFrame (needs ``tunesmith[pandas]``)."""
        return self._query("dataframe")

    def export(self, path: str | Path, format: str | None = None) -> Path:
        """Write :meth:`records` as CSV, Parquet or JSON (from ``format`` or the suffix)."""
        return self._query("export", path, format)

    @property
    def constraint_attr(self) -> str | None:
        """The reported value that must be ``<= 0`` for a result to be feasible, when the
        stored scheduler (or its searcher) had a ``constraint_attr``; else None."""
        return constraint_attr_of_spec(self.study.scheduler_spec)

    def top(self, k: int = 5, scope: str = DEFAULT_SCOPE) -> list[dict[str, Any]]:
        """The ``k`` best trials, best first, each with ``value``, the value of the metric it is
        ranked by: its last report's (``scope="last"``, the default) or its best report's
        (``"all"``); see :mod:`tunesmith.ranking` for why.

        In a constrained study (see :attr:`constraint_attr`) the trials with a feasible result
        (constraint value ``<= 0``) come first; then the others, least infeasible first (see
        :func:`tunesmith.ranking.constrained_key`).

        Several metrics: the trials by non-dominated front (0: the Pareto front), then by
        decreasing crowding distance (NSGA-II's order: the extremes and the isolated trade-offs
        first), then trial id, each with ``values`` (one per metric) and ``front`` instead of
        ``value``."""
        if len(self.study.metrics) > 1:
            return self._query("best", k, scope=scope)
        return self._query("best", k, scope=scope, constraint_attr=self.constraint_attr)

    def pareto_front(self, scope: str = DEFAULT_SCOPE) -> list[dict[str, Any]]:
        """The trials on the Pareto front of the study's metrics, as :meth:`top` gives them
        (``scope="last"``: each trial's last report is its point; ``"all"``: every report is a
        point, and a trial is on the front when one of its reports is)."""
        return self._query("pareto_front", scope=scope)

    def best_trial(self, scope: str = DEFAULT_SCOPE) -> dict[str, Any] | None:
        """The first of :meth:`top`, or None before any finite value of the metric. Several
        metrics: a ``ValueError`` pointing to :meth:`pareto_front` (no one trial is best in
        every objective)."""
        if len(self.study.metrics) > 1:
            raise ValueError(
                f"study {self.name!r} has several objectives {self.study.metrics} (modes "
                f"{self.study.modes}): no one trial is best in all of them; use pareto_front() "
                "for the trials no other trial beats in every objective, or top(k) for the "
                "trials by non-dominated front and crowding distance"
            )
        best = self.top(1, scope)
        return best[0] if best else None

    def best_config(self, scope: str = DEFAULT_SCOPE) -> dict[str, Any] | None:
        """The config of :meth:`best_trial` (several metrics: a ``ValueError``, as there)."""
        best = self.best_trial(scope)
        return None if best is None else dict(best["config"])

    def exploits(self) -> list[Exploit]:
        """Population based training's exploits, in order (see
        :class:`~tunesmith.results.Exploit`), read from the study's journal."""
        out: list[Exploit] = []
        for event in self._query("read_events"):
            if event.kind.value == "trial_started":
                exploit = exploit_of(len(out), event.trial_id, event.payload, event.time)
                if exploit is not None:
                    out.append(exploit)
        return out

    def lineage(self, trial_id: int | None = None) -> list[Exploit]:
        """The exploits that made ``trial_id``'s model (default: the best trial's), oldest
        first, as :meth:`TuningResult.lineage <tunesmith.results.TuningResult.lineage>`."""
        if trial_id is None:
            best = self.best_trial()
            if best is None:
                return []
            trial_id = best["trial_id"]
        return lineage_of(self.exploits(), trial_id)

    def __repr__(self) -> str:
        return f"StoredStudy(name={self.name!r}, metric={self.metric!r}, mode={self.mode!r})"


def constraint_attr_of_spec(spec: Any) -> str | None:
    """``constraint_attr`` of a stored scheduler spec, or of a searcher spec nested in it."""
    if not isinstance(spec, Mapping):
        return None
    kwargs = spec.get("kwargs")
    if not isinstance(kwargs, Mapping):
        return None
    attr = kwargs.get("constraint_attr")
    if isinstance(attr, str) and attr:
        return attr
    for value in kwargs.values():
        if isinstance(value, Mapping) and "__spec__" in value:
            found = constraint_attr_of_spec(value["__spec__"])
            if found:
                return found
    return None
