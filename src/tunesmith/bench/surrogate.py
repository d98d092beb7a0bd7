"""A regressor fitted on a table, answering for any config of a space.

::

    table = bench.load("mlp-digits")                    # 1,024 sampled configs
    surrogate = SurrogateBlackbox(table)                  # nearest neighbour by default
    surrogate.evaluate({"learning_rate": 0.01, ...}, fidelity=9, seed=0)

The regressor maps a config (encoded to ``[0, 1]`` coordinates by the domains of
``config_space``, see :mod:`tunesmith.space`) to its whole table entry: every seed, fidelity
and metric. Predicting whole learning curves keeps each curve coherent (the time grows with the
fidelity, a metric moves as the table's curves do). Any scikit-learn regressor works
(``estimator=RandomForestRegressor()``); one that predicts a single output is wrapped in
``MultiOutputRegressor``. The default, 1-nearest-neighbour, answers a tabulated config with its
tabulated values.

Predictions are cached per config (``cache_size`` configs), so the simulator predicts once per
trial, not once per result.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np

from tunesmith.bench.base import Blackbox
from tunesmith.bench.tabular import TabularBlackbox
from tunesmith.space import config_key, hyperparameters

__all__ = ["SurrogateBlackbox", "encode_configs"]

SKLEARN_INSTALL = 'pip install "tunesmith[bench]"'


def encode_configs(config_space: Mapping[str, Any], configs: list[Mapping[str, Any]]) -> np.ndarray:
    """The configs as rows of ``[0, 1]`` coordinates (one-hot for ``choice`` domains)."""
    hps = list(hyperparameters(config_space).items())
    rows = []
    for config in configs:
        row: list[float] = []
        for name, domain in hps:
            row.extend(domain.encode(config[name]))
        rows.append(row)
    return np.asarray(rows, dtype=float).reshape(len(rows), -1)


class SurrogateBlackbox(Blackbox):
    """Answers for any config of ``config_space`` (default: the table's) with ``estimator``
    (default ``KNeighborsRegressor(n_neighbors=1)``) fitted on ``table``. Needs scikit-learn
    (``pip install "tunesmith[bench]"``)."""

    def __init__(
        self,
        table: TabularBlackbox,
        estimator: Any = None,
        *,
        config_space: Mapping[str, Any] | None = None,
        name: str | None = None,
        cache_size: int = 100_000,
    ):
        if not isinstance(table, TabularBlackbox):
            raise TypeError(f"`table` must be a TabularBlackbox, but got {table!r}")
        space = dict(table.config_space if config_space is None else config_space)
        super().__init__(
            space,
            metrics=table.metrics,
            objective=table.objective,
            fidelity_name=table.fidelity_name,
            fidelities=table.fidelities,
            time_attr=table.time_attr,
            num_seeds=table.num_seeds,
            name=name or f"{table.name}-surrogate",
        )
        if estimator is None:
            try:
                from sklearn.neighbors import KNeighborsRegressor
            except ImportError:
                raise ImportError(
                    f"SurrogateBlackbox needs scikit-learn: {SKLEARN_INSTALL}"
                ) from None
            estimator = KNeighborsRegressor(n_neighbors=1)
        if not (hasattr(estimator, "fit") and hasattr(estimator, "predict")):
            raise TypeError(
                f"`estimator` must be a scikit-learn regressor (fit/predict), but got {estimator!r}"
            )
        configs = table.configurations()
        self._names = list(hyperparameters(self.config_space))
        for config in configs[:1]:
            missing = [n for n in self._names if n not in config]
            if missing:
                raise ValueError(f"the table's configs lack the hyperparameters {missing}")
        x = encode_configs(self.config_space, configs)
        self._shape = table.values.shape[1:]  # seeds, fidelities, metrics
        y = table.values.reshape(len(configs), -1).astype(float)
        y = _fill_missing(y)
        self.estimator = _fit(estimator, x, y)
        self.table = table
        self._metric_names = list(self.metrics)
        self._cache: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self.cache_size = cache_size

    def _predict(self, config: Mapping[str, Any]) -> np.ndarray:
        """The predicted table entry of ``config``: shape (seeds, fidelities, metrics)."""
        key = config_key(config, self._names)
        found = self._cache.get(key)
        if found is not None:
            self._cache.move_to_end(key)
            return found
        problems = [
            f"{n}={config.get(n)!r}"
            for n, d in hyperparameters(self.config_space).items()
            if n not in config or not d.is_valid(config[n])
        ]
        if problems:
            raise ValueError(
                f"{self.name} answers for configs of its config space; invalid: "
                f"{', '.join(problems)}"
            )
        x = encode_configs(self.config_space, [config])
        out = np.asarray(self.estimator.predict(x), dtype=float).reshape(self._shape)
        self._cache[key] = out
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return out

    def evaluate(
        self, config: Mapping[str, Any], fidelity: int | None = None, seed: int | None = None
    ) -> dict[str, float]:
        j = self.fidelity_index(fidelity)
        self.check_seed(seed)
        entry = self._predict(config)
        out = entry[:, j].mean(axis=0) if seed is None else entry[seed, j]
        return dict(zip(self._metric_names, out.tolist(), strict=True))

    def curve(self, config: Mapping[str, Any], seed: int) -> np.ndarray:
        """Every fidelity's predicted metric values at ``seed``, shape ``(n_fidelities,
        n_metrics)`` (what the simulator reads)."""
        return self._predict(config)[seed]


def _fit(estimator: Any, x: np.ndarray, y: np.ndarray) -> Any:
    try:
        return estimator.fit(x, y)
    except ValueError:  # a single-output regressor
        from sklearn.multioutput import MultiOutputRegressor

        return MultiOutputRegressor(estimator).fit(x, y)


def _fill_missing(y: np.ndarray) -> np.ndarray:
    """Non-finite table entries replaced by their column's mean (0 for an empty column)."""
    finite = np.isfinite(y)
    if finite.all():
        return y
    counts = finite.sum(axis=0)
    sums = np.where(finite, y, 0.0).sum(axis=0)
    means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
    return np.where(finite, y, means)
