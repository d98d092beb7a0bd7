"""Hyperparameter importance for the dashboard: permutation importance of a random forest
fitted to the trials' configs and their last value of a metric (scikit-learn's
``RandomForestRegressor`` and ``sklearn.inspection.permutation_importance``).

Each hyperparameter is one column: a numeric domain as its encoding in ``[0, 1]`` (log domains
on the log scale), a categorical one as the index of its category. The importance of a
hyperparameter is how much the forest's R^2 on the trials drops, on average over shuffles,
when that column is shuffled; they are reported as given and as shares of their sum. Over
:data:`MAX_TRIALS` trials, a seeded random sample of them is fitted.
"""

from __future__ import annotations

import math
from typing import Any

from tunesmith.dashboard.cache import StudyCache

__all__ = ["MIN_TRIALS", "SKLEARN_INSTALL", "importance"]

SKLEARN_INSTALL = 'pip install "tunesmith[dashboard]"'
#: fewer trials with a value than this: no importance (a forest on a handful says nothing)
MIN_TRIALS = 8
#: more trials than this: a random sample of them (seeded), so that a fit stays a few seconds
MAX_TRIALS = 2_000


def _sklearn() -> Any:
    try:
        from sklearn.ensemble import RandomForestRegressor
        from sklearn.inspection import permutation_importance
    except ImportError:
        return None
    return RandomForestRegressor, permutation_importance


def _columns(cache: StudyCache, configs: list[dict[str, Any]]) -> dict[str, list[float]]:
    """One numeric column per hyperparameter (see the module's docstring)."""
    from tunesmith.space import hyperparameters, space_from_json

    try:
        domains = dict(hyperparameters(space_from_json(cache.study.config_space_json)))
    except (ValueError, TypeError, KeyError):
        domains = {}
    if not domains:
        names = dict.fromkeys(k for c in configs for k in c)
        domains = dict.fromkeys(names)
    columns: dict[str, list[float]] = {}
    for name, domain in domains.items():
        values = [c.get(name) for c in configs]
        column: list[float] = []
        codes: dict[str, int] = {}
        for value in values:
            number = None
            if domain is not None and value is not None:
                try:
                    encoded = domain.encode(value)
                    number = (
                        encoded[0]
                        if len(encoded) == 1
                        else float(max(range(len(encoded)), key=encoded.__getitem__))
                    )
                except (ValueError, TypeError, KeyError, IndexError):
                    number = None
            elif isinstance(value, int | float) and not isinstance(value, bool):
                number = float(value)
            if number is None or not math.isfinite(number):
                number = float(codes.setdefault(repr(value), len(codes)))
            column.append(float(number))
        if len(set(column)) > 1:
            columns[name] = column
    return columns


def importance(cache: StudyCache, metric: str, *, seed: int = 0) -> dict[str, Any]:
    """``{"available": bool, "message": str | None, "importances": [{"name", "importance",
    "share"}, ...] (most important first), "num_trials", "cursor", "metric"}``."""
    with cache.lock:
        cursor = cache.cursor
        rows = [(t.config, t.value(metric)) for t in cache.trials.values()]
    rows = [(c, v) for c, v in rows if v is not None]
    num_trials = len(rows)
    if len(rows) > MAX_TRIALS:
        import random

        rows = random.Random(seed).sample(rows, MAX_TRIALS)
    out: dict[str, Any] = {
        "study": cache.study.name,
        "cursor": cursor,
        "metric": metric,
        "method": "permutation importance of a random forest (scikit-learn)",
        "num_trials": num_trials,
        "num_trials_fitted": len(rows),
        "available": False,
        "message": None,
        "importances": [],
    }
    found = _sklearn()
    if found is None:
        out["message"] = f"hyperparameter importance needs scikit-learn: {SKLEARN_INSTALL}"
        return out
    if len(rows) < MIN_TRIALS:
        out["message"] = (
            f"{len(rows)} trial(s) have a value of {metric!r}; importance needs at least "
            f"{MIN_TRIALS}"
        )
        return out
    columns = _columns(cache, [c for c, _ in rows])
    if not columns:
        out["message"] = "no hyperparameter takes more than one value in these trials"
        return out
    forest_cls, permutation_importance = found
    import numpy as np

    x = np.array(list(columns.values()), dtype=float).T
    y = np.array([v for _, v in rows], dtype=float)
    forest = forest_cls(n_estimators=64, min_samples_leaf=2, random_state=seed, n_jobs=1)
    forest.fit(x, y)
    result = permutation_importance(forest, x, y, n_repeats=5, random_state=seed, n_jobs=1)
    means = [max(0.0, float(v)) for v in result.importances_mean]
    total = sum(means)
    items = [
        {
            "name": name,
            "importance": float(mean),
            "std": float(std),
            "share": mean / total if total > 0 else 0.0,
        }
        for name, mean, std in zip(columns, means, result.importances_std, strict=True)
    ]
    items.sort(key=lambda item: -item["importance"])
    out.update(available=True, importances=items)
    return out
