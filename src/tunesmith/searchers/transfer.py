"""Evaluations of earlier tasks, for transfer learning, and zero-shot transfer.

:class:`TransferLearningTaskEvaluations` holds what an earlier task (another dataset, last
month's study) measured: its config space, the configs it evaluated and an array of their
objectives, shaped ``(configs, seeds, fidelities, objectives)`` (Syne Tune's layout; ``NaN``
where a config was not evaluated, e.g. a trial stopped early). Build it by hand, from a table
(:meth:`~TransferLearningTaskEvaluations.from_blackbox`) or from a stored study
(:meth:`~TransferLearningTaskEvaluations.from_study`).

A config's *final value* is its value (averaged over seeds) at the highest fidelity it reached;
configs are ranked first by that fidelity (higher is better: a config that ran to the end beat
one stopped early), then by the value. Every transfer method ranks configs this way.

:class:`ZeroShotSearcher` (Wistuba, Schilling, Schmidt-Thieme, 2015: "Sequential Model-Free
Hyperparameter Tuning", ICDM) suggests, greedily, the config whose mean rank over the earlier
tasks is best, given the configs already chosen: after each choice, a task's ranks are capped at
the best rank chosen so far on it, so the next choice is the one that most improves the
portfolio, not a near copy of the last one. It needs configs evaluated on every earlier task
(those common to all are used); ``use_surrogates=True`` instead predicts every task's values at
``num_candidates`` random configs with a Gaussian process fitted to each task. Once its portfolio
is spent it samples at random.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunesmith.searchers.random import RandomSearcher
from tunesmith.space import (
    check_space,
    config_errors,
    hyperparameters,
    sample_config,
    space_from_json,
)

__all__ = [
    "TransferLearningTaskEvaluations",
    "ZeroShotSearcher",
    "check_evaluations",
    "top_configs_per_task",
]


@dataclass
class TransferLearningTaskEvaluations:
    """Offline evaluations of one earlier task (Syne Tune's name and fields).

    ``configuration_space``: the space the configs come from. ``hyperparameters``: the
    evaluated configs, one dict per row (a pandas DataFrame is accepted and turned into
    records). ``objectives_names``: the objectives measured. ``objectives_evaluations``: an
    array of shape ``(configs, seeds, fidelities, objectives)`` (``NaN``: not evaluated).
    """

    configuration_space: dict[str, Any]
    hyperparameters: list[dict[str, Any]]
    objectives_names: list[str]
    objectives_evaluations: np.ndarray

    def __post_init__(self) -> None:
        self.configuration_space = check_space(self.configuration_space)
        hps = self.hyperparameters
        if hasattr(hps, "to_dict") and not isinstance(hps, Mapping):
            hps = hps.to_dict("records")  # a pandas DataFrame
        if isinstance(hps, Mapping) or not isinstance(hps, Sequence):
            raise TypeError(
                "`hyperparameters` must be a list of configs (or a pandas DataFrame), but got "
                f"{type(hps).__name__}"
            )
        self.hyperparameters = [{k: _native(v) for k, v in c.items()} for c in hps]
        names = self.objectives_names
        if isinstance(names, str) or not all(isinstance(n, str) and n for n in names):
            raise ValueError(
                f"`objectives_names` must be a list of metric names, but got {names!r}"
            )
        self.objectives_names = list(names)
        values = np.asarray(self.objectives_evaluations, dtype=float)
        expected = (len(self.hyperparameters), len(self.objectives_names))
        if values.ndim != 4 or (values.shape[0], values.shape[3]) != expected:
            raise ValueError(
                "`objectives_evaluations` must have shape (configs, seeds, fidelities, "
                f"objectives) = ({expected[0]}, seeds, fidelities, {expected[1]}), but got shape "
                f"{values.shape}"
            )
        if values.shape[0] == 0:
            raise ValueError("`hyperparameters` must hold at least one evaluated config")
        self.objectives_evaluations = values

    # -- reading -------------------------------------------------------------------------------
    def objective_values(self, objective: str) -> np.ndarray:
        """The values of ``objective``, shape ``(configs, seeds, fidelities)``."""
        return self.objectives_evaluations[..., self._objective_index(objective)]

    def _objective_index(self, objective: str) -> int:
        if objective not in self.objectives_names:
            raise ValueError(
                f"unknown objective {objective!r}; these evaluations have "
                f"{self.objectives_names}"
            )
        return self.objectives_names.index(objective)

    def final_values(self, objective: str) -> tuple[np.ndarray, np.ndarray]:
        """``(values, fidelity index)`` per config: the value averaged over seeds at the
        highest fidelity that has one, and that fidelity's index (-1 and NaN: never
        evaluated)."""
        means = _nanmean_seeds(self.objective_values(objective))  # (configs, fidelities)
        has = ~np.isnan(means)
        n_fid = means.shape[1]
        level = np.where(has.any(axis=1), n_fid - 1 - np.argmax(has[:, ::-1], axis=1), -1)
        rows = np.arange(len(means))
        values = np.where(level >= 0, means[rows, np.maximum(level, 0)], np.nan)
        return values, level

    def ranking(self, objective: str, mode: str = "min") -> np.ndarray:
        """Row indices of the configs, best first (see the module docstring); configs never
        evaluated come last."""
        values, level = self.final_values(objective)
        sign = 1.0 if _check_mode(mode) == "min" else -1.0
        key = np.where(np.isnan(values), np.inf, sign * values)
        return np.lexsort((np.arange(len(key)), key, -level))

    def top_k_hyperparameter_configurations(
        self, k: int, mode: str, objective: str
    ) -> list[dict[str, Any]]:
        """The ``k`` best configs, best first."""
        k = _check_positive_int("k", k)
        return [dict(self.hyperparameters[i]) for i in self.ranking(objective, mode)[:k]]

    # -- building ------------------------------------------------------------------------------
    @classmethod
    def from_blackbox(
        cls, blackbox: Any, *, objectives: str | Sequence[str] | None = None
    ) -> TransferLearningTaskEvaluations:
        """The evaluations of a tabulated benchmark
        (:class:`~tunesmith.bench.tabular.TabularBlackbox`): every config, seed and fidelity
        of ``objectives`` (default: the table's objective)."""
        if not hasattr(blackbox, "values") or not hasattr(blackbox, "configurations"):
            raise TypeError(
                f"`blackbox` must be a TabularBlackbox (tunesmith.bench), but got "
                f"{type(blackbox).__name__}"
            )
        names = objectives if objectives is not None else blackbox.objective
        names = [names] if isinstance(names, str) else list(names)
        metrics = list(blackbox.metrics)
        for name in names:
            if name not in metrics:
                raise ValueError(f"unknown objective {name!r}; the table has {metrics}")
        index = [metrics.index(n) for n in names]
        return cls(
            configuration_space=dict(blackbox.config_space),
            hyperparameters=blackbox.configurations(),
            objectives_names=names,
            objectives_evaluations=np.asarray(blackbox.values[..., index], dtype=float),
        )

    @classmethod
    def from_study(
        cls,
        store: Any,
        name: str,
        *,
        objectives: str | Sequence[str] | None = None,
        resource_attr: str | None = None,
    ) -> TransferLearningTaskEvaluations:
        """The evaluations of the study ``name`` in ``store`` (a
        :class:`tunesmith.store.Store`): each trial's config and reports of ``objectives``
        (default: the study's metrics). With ``resource_attr`` (e.g. ``"epoch"``) every
        reported level is a fidelity (``NaN`` where a trial did not report it); without, a
        trial's last report is its one value. One seed. Trials that reported nothing are
        left out."""
        study = store.get_study(name)
        space = space_from_json(study.config_space_json)
        names = objectives if objectives is not None else study.metric
        names = [names] if isinstance(names, str) else list(names)
        hp_names = list(hyperparameters(space))
        reports: dict[int, list[dict[str, Any]]] = {}
        for record in store.records(study):
            if all(_finite(record.get(n)) for n in names):
                reports.setdefault(record["trial_id"], []).append(record)
        if not reports:
            raise ValueError(
                f"study {name!r} has no trial that reported {names}; nothing to transfer"
            )
        configs = {t["trial_id"]: t["config"] for t in store.trials(study)}
        trial_ids = sorted(t for t in reports if t in configs)
        if resource_attr is None:
            levels: list[Any] = [None]
        else:
            levels = sorted(
                {r[resource_attr] for rs in reports.values() for r in rs if resource_attr in r}
            )
            if not levels:
                raise ValueError(
                    f"study {name!r} has no report with resource_attr={resource_attr!r}"
                )
        where = {level: j for j, level in enumerate(levels)}
        values = np.full((len(trial_ids), 1, len(levels), len(names)), np.nan)
        for i, trial_id in enumerate(trial_ids):
            for record in reports[trial_id]:
                j = 0 if resource_attr is None else where.get(record.get(resource_attr))
                if j is not None:
                    values[i, 0, j] = [float(record[n]) for n in names]
        rows = [{n: configs[t][n] for n in hp_names} for t in trial_ids]
        return cls(
            configuration_space=space,
            hyperparameters=rows,
            objectives_names=names,
            objectives_evaluations=values,
        )

    def digest(self) -> str:
        """A hash of the configs and values (16 hex digits)."""
        h = hashlib.sha1(repr(self.hyperparameters).encode())
        h.update(np.ascontiguousarray(self.objectives_evaluations).tobytes())
        return h.hexdigest()[:16]

    def __repr__(self) -> str:
        # stable from run to run: a study's stored spec names the evaluations by it, so that
        # changed inputs show as a mismatch when the study is resumed
        shape = "x".join(str(s) for s in self.objectives_evaluations.shape)
        return (
            f"TransferLearningTaskEvaluations({len(self.hyperparameters)} configs, "
            f"objectives={self.objectives_names}, evaluations {shape}, sha1 {self.digest()})"
        )


# -- helpers shared by the transfer methods ---------------------------------------------------
def _native(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _nanmean_seeds(values: np.ndarray) -> np.ndarray:
    """Mean over the seed axis (1) ignoring NaN; NaN where every seed is NaN."""
    count = (~np.isnan(values)).sum(axis=1)
    total = np.nansum(values, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _check_mode(mode: Any) -> str:
    if mode not in ("min", "max"):
        raise ValueError(f"`mode` must be 'min' or 'max', but got mode={mode!r}")
    return mode


def _check_positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"`{name}` must be an int >= 1, but got {name}={value!r}")
    return int(value)


def check_evaluations(evaluations: Any, metric: str) -> dict[str, TransferLearningTaskEvaluations]:
    """``evaluations`` checked: a non-empty mapping from task name to
    :class:`TransferLearningTaskEvaluations`, each with ``metric`` among its objectives."""
    if not isinstance(evaluations, Mapping) or not evaluations:
        raise ValueError(
            "`transfer_learning_evaluations` must be a non-empty dict from task name to "
            f"TransferLearningTaskEvaluations, but got {evaluations!r}"
        )
    out = {}
    for task, value in evaluations.items():
        if not isinstance(value, TransferLearningTaskEvaluations):
            raise TypeError(
                f"transfer_learning_evaluations[{task!r}] must be a "
                f"TransferLearningTaskEvaluations, but got {type(value).__name__}"
            )
        if metric not in value.objectives_names:
            raise ValueError(
                f"transfer_learning_evaluations[{task!r}] has no objective {metric!r} (it has "
                f"{value.objectives_names}); the metric optimized must be one of them"
            )
        out[str(task)] = value
    return out


def _in_space(space: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any] | None:
    """``config`` as a config of ``space`` (its constants filled in), or None when it does not
    fit (a value outside a domain, a hyperparameter missing)."""
    out = dict(space)
    for name in hyperparameters(space):
        if name not in config:
            return None
        out[name] = config[name]
    return out if not config_errors(space, out) else None


def top_configs_per_task(
    evaluations: Mapping[str, TransferLearningTaskEvaluations],
    k: int,
    *,
    metric: str,
    mode: str,
    config_space: Mapping[str, Any] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The ``k`` best configs of each task, best first; with ``config_space``, only configs
    that fit it, as its configs."""
    k = _check_positive_int("num_hyperparameters_per_task", k)
    out = {}
    for task, ev in evaluations.items():
        chosen = []
        for i in ev.ranking(metric, mode):
            config = dict(ev.hyperparameters[i])
            if config_space is not None:
                config = _in_space(config_space, config)
                if config is None:
                    continue
            chosen.append(config)
            if len(chosen) == k:
                break
        out[task] = chosen
    return out


def copula_targets(values: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Gaussian copula of one task's values (Salinas et al., 2020): the rank-``r`` config of
    ``n`` (``order`` lists rows best first) gets ``Phi^-1((r + 0.5) / n)``, so the best is the
    lowest and every task's targets have the same standard normal distribution."""
    from scipy.special import ndtri

    n = len(order)
    out = np.empty(n)
    out[order] = ndtri((np.arange(n) + 0.5) / n)
    return out


# -- zero-shot -------------------------------------------------------------------------------
class ZeroShotSearcher(RandomSearcher):
    """Zero-shot transfer (Wistuba et al., 2015): earlier tasks' best configs first, chosen
    greedily by mean rank (see the module docstring); random configs after them.

    ``transfer_learning_evaluations``: task name -> :class:`TransferLearningTaskEvaluations`
    with ``metric`` among its objectives. ``use_surrogates``: predict each task's values at
    ``num_candidates`` random configs (for tasks that did not evaluate the same configs).
    ``restrict_configurations``: the portfolio only holds these configs.
    """

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        transfer_learning_evaluations: Mapping[str, TransferLearningTaskEvaluations],
        metric: str,
        mode: str = "min",
        use_surrogates: bool = False,
        num_candidates: int = 2000,
        max_fit_samples: int = 256,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        random_seed: int | None = None,
        allow_duplicates: bool = False,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
    ):
        super().__init__(
            config_space,
            metric=metric,
            mode=mode,
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
            allow_duplicates=allow_duplicates,
            restrict_configurations=restrict_configurations,
        )
        evaluations = check_evaluations(transfer_learning_evaluations, metric)
        self.use_surrogates = bool(use_surrogates)
        self.num_candidates = _check_positive_int("num_candidates", num_candidates)
        self.max_fit_samples = _check_positive_int("max_fit_samples", max_fit_samples)
        if self.use_surrogates:
            configs, scores = self._surrogate_scores(evaluations)
        else:
            configs, scores = self._common_scores(evaluations)
        if self._restricted is not None:
            allowed = {self._key(c) for c in self._restricted}
            keep = [i for i, c in enumerate(configs) if self._key(c) in allowed]
            configs, scores = [configs[i] for i in keep], scores[:, keep]
        self._portfolio = configs
        self._ranks = _ranks(scores)
        self._scores = scores
        self._order: list[int] = []  # greedy picks so far (a pure function of the data)
        self._left = np.ones(len(configs), dtype=bool)
        self._position = 0

    def _common_scores(
        self, evaluations: Mapping[str, TransferLearningTaskEvaluations]
    ) -> tuple[list[dict[str, Any]], np.ndarray]:
        """The configs every task evaluated (that fit the space) and their scores (task x
        config, lower is better)."""
        per_task = []
        for ev in evaluations.values():
            values, level = ev.final_values(self.metric)
            sign = 1.0 if self.mode == "min" else -1.0
            table = {}
            for i, config in enumerate(ev.hyperparameters):
                config = _in_space(self.config_space, config)
                if config is not None and not math.isnan(values[i]):
                    # higher fidelity first, then the value: one number that orders both
                    table[self._key(config)] = (config, (-int(level[i]), sign * values[i]))
            per_task.append(table)
        common = set(per_task[0])
        for table in per_task[1:]:
            common &= set(table)
        if not common:
            raise ValueError(
                "the earlier tasks have no config in common that fits the config space; pass "
                "use_surrogates=True to predict every task's values at the same configs"
            )
        keys = [k for k in per_task[0] if k in common]  # the first task's order
        configs = [per_task[0][k][0] for k in keys]
        scores = np.empty((len(per_task), len(keys)))
        for t, table in enumerate(per_task):
            pairs = [table[k][1] for k in keys]
            order = sorted(range(len(pairs)), key=lambda i: pairs[i])
            scores[t, order] = np.arange(len(order))  # rank positions: ties broken by order
        return configs, scores

    def _surrogate_scores(
        self, evaluations: Mapping[str, TransferLearningTaskEvaluations]
    ) -> tuple[list[dict[str, Any]], np.ndarray]:
        from tunesmith.searchers.quantile import fit_task_models

        rng = np.random.default_rng([self.random_seed, 7])
        if self._restricted is not None:
            configs = [dict(c) for c in self._restricted]
        else:
            configs, seen = [], set()
            for _ in range(self.num_candidates):
                config = sample_config(self.config_space, rng)
                key = self._key(config)
                if key not in seen:
                    seen.add(key)
                    configs.append(config)
        means = fit_task_models(
            self.config_space,
            evaluations,
            metric=self.metric,
            mode=self.mode,
            candidates=configs,
            max_fit_samples=self.max_fit_samples,
            rng=rng,
        )
        return configs, means

    def _next_pick(self) -> int | None:
        """The next config of the greedy portfolio (index into it), or None when spent."""
        if not self._left.any():
            return None
        left = np.flatnonzero(self._left)
        mean = self._ranks[:, left].mean(axis=0)
        best = int(left[int(np.argmin(mean))])
        self._ranks = np.minimum(self._ranks, self._ranks[:, best : best + 1])
        self._left[best] = False
        rest = np.flatnonzero(self._left)
        if len(rest) and np.all(self._ranks[:, rest] == self._ranks[:, rest[:1]]):
            # every remaining config ties on every task: rank the remaining ones afresh
            ranks = np.full_like(self._ranks, np.inf)
            ranks[:, rest] = _ranks(self._scores[:, rest])
            self._ranks = ranks
        self._order.append(best)
        return best

    def _suggest(self) -> dict[str, Any] | None:
        config = self._suggest_portfolio()
        return config if config is not None else super()._suggest()

    def _suggest_restricted(self) -> dict[str, Any] | None:
        config = self._suggest_portfolio()
        return config if config is not None else super()._suggest_restricted()

    def _suggest_portfolio(self) -> dict[str, Any] | None:
        while True:
            if self._position < len(self._order):
                i = self._order[self._position]
            else:
                i = self._next_pick()
                if i is None:
                    return None
            self._position += 1
            config = self._portfolio[i]
            if self._is_new(config):
                return dict(config)

    def _extra_state(self) -> dict[str, Any]:
        return {"portfolio_position": self._position}

    def _load_extra_state(self, state: Mapping[str, Any]) -> None:
        position = int(state["portfolio_position"])
        while len(self._order) < position and self._next_pick() is not None:
            pass
        self._position = position


def _ranks(scores: np.ndarray) -> np.ndarray:
    """Ranks (1 = best) of each row's values, ties averaged."""
    from scipy.stats import rankdata

    if scores.shape[1] == 0:
        return scores.astype(float)
    return rankdata(scores, axis=1)
