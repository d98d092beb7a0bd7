"""Tabulated benchmarks: configs x seeds x fidelities x metrics, looked up in O(1).

::

    table = TabularBlackbox.from_dataframe(
        df, metrics={"val_error": "min", "time": "min"}, fidelity_name="epoch", seed="seed",
        time_attr="time",
    )
    table.evaluate(config, fidelity=3, seed=0)   # {"val_error": 0.12, "time": 31.5}
    table.save("mlp.npz"); TabularBlackbox.load("mlp.npz")

A table answers only for its configs (:meth:`TabularBlackbox.configurations`). When they do not
cover the whole config space (the configs were sampled, not a full grid), restrict the searcher to
them with ``RandomSearcher(space, restrict_configurations=table.configurations())``, or fit a
:class:`~tunesmith.bench.surrogate.SurrogateBlackbox` to answer for any config.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tunesmith.bench.base import Blackbox
from tunesmith.space import choice, grid_size, hyperparameters, ordinal, space_from_json
from tunesmith.space import space_to_json as _space_to_json

__all__ = ["FORMAT_VERSION", "TabularBlackbox", "infer_space"]

#: version of the ``.npz`` layout written by :meth:`TabularBlackbox.save`
FORMAT_VERSION = 1


def _native(value: Any) -> Any:
    """numpy scalars as Python values (configs must be JSON-serializable)."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def infer_space(configs: Sequence[Mapping[str, Any]], names: Sequence[str]) -> dict[str, Any]:
    """A finite config space for tabulated ``configs``: ``ordinal`` of the sorted values of a
    numeric column, ``choice`` of the values of any other; a column with a single value is a
    constant."""
    space: dict[str, Any] = {}
    for name in names:
        values = list(dict.fromkeys(_native(c[name]) for c in configs))
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        if len(values) == 1:
            space[name] = values[0]
        elif numeric:
            space[name] = ordinal(sorted(values))
        else:
            space[name] = choice(sorted(values, key=str))
    return space


class TabularBlackbox(Blackbox):
    """A table of ``values[config, seed, fidelity, metric]``.

    ``configs``: one dict per row of ``values`` (the hyperparameters; keys of ``config_space``
    that are constants may be left out). ``values``: an array of shape ``(n_configs,
    num_seeds, n_fidelities, n_metrics)`` (``n_fidelities`` is 1 without a fidelity; a 3-d
    array ``(n_configs, num_seeds, n_metrics)`` is accepted for single-fidelity tables), the
    metrics in the order of ``metrics``. ``config_space``: the space the configs come from
    (default: :func:`infer_space`, a finite space). ``time_attr``: the metric holding the
    cumulative training time in seconds. ``info``: free-form JSON data (source, citation) kept
    with the table.
    """

    def __init__(
        self,
        configs: Sequence[Mapping[str, Any]],
        values: np.ndarray,
        *,
        metrics: Mapping[str, str],
        objective: str | None = None,
        fidelity_name: str | None = None,
        fidelities: Sequence[int] | None = None,
        time_attr: str | None = None,
        config_space: Mapping[str, Any] | None = None,
        name: str | None = None,
        info: Mapping[str, Any] | None = None,
    ):
        values = np.asarray(values)
        if values.ndim == 3 and fidelities is None:
            values = values[:, :, None, :]
        if values.ndim != 4:
            raise ValueError(
                "`values` must have shape (n_configs, num_seeds, n_fidelities, n_metrics), but "
                f"got shape {values.shape}"
            )
        if not np.issubdtype(values.dtype, np.floating):
            values = values.astype(float)
        configs = list(configs)
        if len(configs) != values.shape[0]:
            raise ValueError(
                f"`configs` has {len(configs)} entries but `values` has {values.shape[0]} rows"
            )
        if not configs:
            raise ValueError("a table needs at least one config")
        names = list(configs[0])
        space = infer_space(configs, names) if config_space is None else dict(config_space)
        super().__init__(
            space,
            metrics=metrics,
            objective=objective,
            fidelity_name=fidelity_name,
            fidelities=fidelities,
            time_attr=time_attr,
            num_seeds=int(values.shape[1]),
            name=name,
        )
        n_fid = 1 if self.fidelities is None else len(self.fidelities)
        if values.shape[2] != n_fid or values.shape[3] != len(self.metrics):
            raise ValueError(
                f"`values` must have shape (n_configs, num_seeds, {n_fid} fidelities, "
                f"{len(self.metrics)} metrics {list(self.metrics)}), but got shape {values.shape}"
            )
        self.values = values
        self.info = dict(info or {})
        self._metric_names = list(self.metrics)
        self._names = list(hyperparameters(self.config_space))
        missing = [n for n in self._names if n not in names]
        if missing:
            raise ValueError(
                f"the configs lack the hyperparameters {missing} of the config space; every "
                "config must give a value to each hyperparameter"
            )
        hps = self._names
        try:
            keys = [tuple([c[n] for n in hps]) for c in configs]
        except KeyError as err:
            raise ValueError(
                f"every config must give a value to each hyperparameter {hps}; one lacks {err}"
            ) from None
        if any(issubclass(t, np.generic) for t in {type(v) for key in keys for v in key}):
            keys = [tuple([_native(v) for v in key]) for key in keys]
        self._keys = keys
        self._index: dict[tuple, int] = dict(zip(keys, range(len(keys)), strict=True))
        if len(self._index) < len(keys):
            first: dict[tuple, int] = {}
            for row, key in enumerate(keys):
                if key in first:
                    raise ValueError(
                        f"config {self._config(row)} appears twice in the table (rows "
                        f"{first[key]} and {row}); put repetitions on the seed axis"
                    )
                first[key] = row
        self._mean: np.ndarray | None = None

    # -- lookups ---------------------------------------------------------------------------
    def row(self, config: Mapping[str, Any]) -> int:
        """The table row of ``config`` (KeyError with advice when it is not tabulated)."""
        try:
            return self._index[tuple([config[n] for n in self._names])]
        except KeyError:
            pass
        except TypeError:
            pass
        missing = [n for n in self._names if n not in config]
        if missing:
            raise KeyError(f"the config lacks the hyperparameters {missing}: {dict(config)}")
        raise KeyError(
            f"{self.name} has no entry for config {dict(config)}; a table answers only for its "
            f"{len(self._keys)} configs: pass restrict_configurations="
            "blackbox.configurations() to the searcher, or use a SurrogateBlackbox"
        )

    def evaluate(
        self, config: Mapping[str, Any], fidelity: int | None = None, seed: int | None = None
    ) -> dict[str, float]:
        row = self.row(config)
        j = self.fidelity_index(fidelity)
        if seed is None:
            if self._mean is None:
                self._mean = self.values.mean(axis=1)
            out = self._mean[row, j]
        else:
            self.check_seed(seed)
            out = self.values[row, seed, j]
        return dict(zip(self._metric_names, out.tolist(), strict=True))

    def curve(self, config: Mapping[str, Any], seed: int) -> np.ndarray:
        """Every fidelity's metric values of ``config`` at ``seed``, shape ``(n_fidelities,
        n_metrics)`` (metrics in the order of ``metrics``): what the simulator reads."""
        return self.values[self.row(config), seed]

    def configurations(self) -> list[dict[str, Any]]:
        return [self._config(row) for row in range(len(self._keys))]

    def _config(self, row: int) -> dict[str, Any]:
        config = dict(self.config_space)
        config.update(zip(self._names, self._keys[row], strict=True))
        return config

    @property
    def is_complete(self) -> bool:
        """Whether the table covers every config of a finite config space (then searchers need
        no ``restrict_configurations``)."""
        hps = hyperparameters(self.config_space)
        if not all(d.is_finite for d in hps.values()):
            return False
        return grid_size(self.config_space) == len(self._keys)

    def best(
        self, metric: str | None = None, *, fidelity: int | None = None, seed: int | None = None
    ):
        """``(config, value)`` of the best entry of ``metric`` (default: the objective) at
        ``fidelity`` (None: the largest) for ``seed`` (None: averaged over seeds)."""
        if metric is None and not isinstance(self.objective, str):
            raise ValueError(
                f"{self.name!r} has several objectives {self.objective}; pass `metric`, one of "
                "them"
            )
        metric = self.objective if metric is None else metric
        if metric not in self.metrics:
            raise ValueError(f"unknown metric {metric!r}; the table has {list(self.metrics)}")
        m = self._metric_names.index(metric)
        j = self.fidelity_index(fidelity)
        if seed is None:
            column = self.values[:, :, j, m].mean(axis=1)
        else:
            self.check_seed(seed)
            column = self.values[:, seed, j, m]
        column = np.where(
            np.isnan(column), np.inf if self.metrics[metric] == "min" else -np.inf, column
        )
        row = int(np.argmin(column) if self.metrics[metric] == "min" else np.argmax(column))
        return self._config(row), float(column[row])

    # -- building --------------------------------------------------------------------------
    @classmethod
    def from_dataframe(
        cls,
        df: Any,
        *,
        metrics: Mapping[str, str],
        hyperparameters: Sequence[str] | None = None,
        fidelity_name: str | None = None,
        seed: str | None = None,
        **kwargs: Any,
    ) -> TabularBlackbox:
        """A table from a pandas DataFrame in long format: one row per (config, seed,
        fidelity), a column per hyperparameter (default: every column that is not a metric,
        the fidelity or the seed), ``fidelity_name`` (e.g. ``"epoch"``), ``seed`` (the
        repetition column; None: one seed) and one per metric. Every (config, seed,
        fidelity) combination must be present once. Other keyword arguments go to the
        constructor (``time_attr``, ``config_space``, ``objective``, ``name``, ``info``)."""
        metrics = dict(metrics)
        special = set(metrics) | {fidelity_name, seed} - {None}
        for column in list(special - {None}):
            if column not in df.columns:
                raise ValueError(
                    f"the DataFrame has no column {column!r}; it has {list(df.columns)}"
                )
        names = (
            [c for c in df.columns if c not in special]
            if hyperparameters is None
            else list(hyperparameters)
        )
        config_codes, configs = _codes(df, names)
        seed_codes, seeds = (
            _codes(df, [seed]) if seed is not None else (np.zeros(len(df), int), [0])
        )
        if fidelity_name is not None:
            fid_codes, fids = _codes(df, [fidelity_name], sort=True)
            fidelities = [int(f[fidelity_name]) for f in fids]
        else:
            fid_codes, fidelities = np.zeros(len(df), int), None
        shape = (len(configs), len(seeds), len(fidelities or [0]), len(metrics))
        values = np.full(shape, np.nan)
        count = np.zeros(shape[:3], dtype=int)
        np.add.at(count, (config_codes, seed_codes, fid_codes), 1)
        if (count != 1).any():
            bad = np.argwhere(count != 1)[0]
            what = "missing" if count[tuple(bad)] == 0 else "repeated"
            raise ValueError(
                "every (config, seed, fidelity) must have exactly one row; "
                f"{int((count != 1).sum())} do not, e.g. config {configs[bad[0]]}, seed index "
                f"{bad[1]}, fidelity index {bad[2]} is {what}"
            )
        for m, metric in enumerate(metrics):
            values[config_codes, seed_codes, fid_codes, m] = df[metric].to_numpy(dtype=float)
        return cls(
            configs,
            values,
            metrics=metrics,
            fidelity_name=fidelity_name,
            fidelities=fidelities,
            **kwargs,
        )

    # -- files -----------------------------------------------------------------------------
    def save(self, path: str | Path, *, dtype: Any = None) -> Path:
        """Write the table to one compressed ``.npz`` file (``dtype``, e.g. ``np.float32``,
        shrinks it)."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_suffix(path.suffix + ".npz")
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": FORMAT_VERSION,
            "name": self.name,
            "metrics": self.metrics,
            "objective": self.objective,
            "fidelity_name": self.fidelity_name,
            "fidelities": self.fidelities,
            "time_attr": self.time_attr,
            "config_space": json.loads(_space_to_json(self.config_space)),
            "configs": [list(key) for key in self._keys],
            "names": self._names,
            "info": self.info,
        }
        values = self.values if dtype is None else self.values.astype(dtype)
        with open(path, "wb") as f:
            np.savez_compressed(f, values=values, meta=np.array(json.dumps(meta)))
        return path

    @classmethod
    def load(cls, path: str | Path) -> TabularBlackbox:
        """Read a table written by :meth:`save`."""
        with np.load(Path(path), allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            values = data["values"]
        if meta.get("format") != FORMAT_VERSION:
            raise ValueError(
                f"{path} has table format {meta.get('format')!r}; this tunesmith reads format "
                f"{FORMAT_VERSION}: rebuild the table"
            )
        names = meta["names"]
        configs = [dict(zip(names, row, strict=True)) for row in meta["configs"]]
        return cls(
            configs,
            values,
            metrics=meta["metrics"],
            objective=meta["objective"],
            fidelity_name=meta["fidelity_name"],
            fidelities=meta["fidelities"],
            time_attr=meta["time_attr"],
            config_space=space_from_json(meta["config_space"]),
            name=meta["name"],
            info=meta["info"],
        )

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        out["complete"] = self.is_complete
        out.update({k: v for k, v in self.info.items() if isinstance(v, str | int | float)})
        return out


def _codes(df: Any, columns: Sequence[str], *, sort: bool = False) -> tuple[np.ndarray, list]:
    """Integer codes of the distinct value combinations of ``columns`` (first appearance order,
    or sorted) and the combinations as dicts."""
    import pandas as pd

    if len(columns) == 1:
        codes, uniques = pd.factorize(df[columns[0]], sort=sort)
        return np.asarray(codes), [{columns[0]: _native(u)} for u in uniques]
    frame = df[list(columns)]
    keys = list(frame.itertuples(index=False, name=None))
    index: dict[tuple, int] = {}
    codes = np.empty(len(keys), dtype=int)
    for i, key in enumerate(keys):
        codes[i] = index.setdefault(key, len(index))
    combos = [dict(zip(columns, (_native(v) for v in key), strict=True)) for key in index]
    return codes, combos
