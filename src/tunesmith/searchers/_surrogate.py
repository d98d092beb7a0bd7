"""What BORE, CQR and the scikit-learn surrogate searcher share: :class:`SurrogateSearcher`.

A surrogate searcher keeps its observations by resource level (one level, 0, for results
without a resource; ``withdraw`` removes one), fits a model to those of one level and suggests
the unseen config that the model scores best among candidates. Subclasses say how a model is
fitted (:meth:`SurrogateSearcher._fit`: encoded configs and metric values to minimize, a seed)
and what it scores (a callable, higher is better).

* The model level: the largest level with enough observations (``num_init_random`` without a
  resource; with resources also at least one more than the number of hyperparameters, as BOHB
  asks); until there is one, and with probability ``random_prob`` after, configs are random.
* Candidates: ``num_candidates`` random configs of the space, or, for a finite space of at most
  5,000 configs and for ``restrict_configurations``, a random sample of that many of the unseen
  ones (all of them when fewer); the best-scoring one not suggested before wins.
* Refits: at every model suggestion up to ``refit_until`` observations at the level, then only
  when they grew by ``refit_growth`` since the last fit (or the level changed); in between, the
  last model scores the candidates.

State is plain data (observations, the random generator, and which observations the last model
was fitted to with which seed): a loaded searcher refits the identical model when it first
needs it and continues exactly as the original.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from tunesmith.searchers.acquisition import SpaceEncoder
from tunesmith.searchers.base import Searcher
from tunesmith.searchers.gp import limit_blas_threads
from tunesmith.space import grid, grid_size, hyperparameters, sample_config
from tunesmith.trial import metric_value

__all__ = ["SurrogateSearcher", "check_choice", "check_int", "check_number", "missing_extra"]

#: largest finite space whose configs are the candidates (a sample of the unseen ones)
_ENUMERATE_LIMIT = 5000
#: largest finite space whose unseen configs are listed when random draws keep hitting seen ones
_UNSEEN_LIMIT = 2_000_000

Scorer = Callable[[np.ndarray], np.ndarray]


def check_int(name: str, value: Any, minimum: int) -> int:
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"`{name}` must be an int >= {minimum}, but got {name}={value!r}")
    return int(value)


def check_number(
    name: str, value: Any, low: float, high: float, *, open_low: bool = False
) -> float:
    ok = isinstance(value, int | float | np.floating) and not isinstance(value, bool)
    ok = ok and (low < value if open_low else low <= value) and value <= high
    if not ok:
        interval = f"{'(' if open_low else '['}{low}, {high}]"
        raise ValueError(f"`{name}` must be a number in {interval}, but got {name}={value!r}")
    return float(value)


def check_choice(name: str, value: Any, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise ValueError(f"`{name}` must be one of {list(allowed)}, but got {name}={value!r}")
    return value


def missing_extra(what: str, module: str, install: str) -> ImportError:
    """The ImportError for an optional package, with the exact install line."""
    return ImportError(f"{what} needs {module}, which is not installed: pip install {install}")


class SurrogateSearcher(Searcher):
    """Base class of the searchers that score candidates with a model fitted to the
    observations at one resource level (see the module docstring)."""

    #: refit at every model suggestion up to this many observations at the level
    refit_until = 50
    #: beyond, refit when the observations grew by this fraction since the last fit
    refit_growth = 0.1

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str | None = None,
        mode: str = "min",
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        random_seed: int | None = None,
        allow_duplicates: bool = False,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
        num_init_random: int = 5,
        random_prob: float = 0.0,
        num_candidates: int = 500,
        blas_threads: int | None = 1,
        init_random_name: str = "num_init_random",
        num_candidates_name: str = "num_candidates",
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
        self.num_init_random = check_int(init_random_name, num_init_random, 2)
        self.random_prob = check_number("random_prob", random_prob, 0.0, 1.0)
        self.num_candidates = check_int(num_candidates_name, num_candidates, 1)
        if blas_threads is not None:
            check_int("blas_threads", blas_threads, 1)
        self.blas_threads = blas_threads
        self._encoder = SpaceEncoder(self.config_space)
        hps = hyperparameters(self.config_space)
        self._num_hps = len(hps)
        finite = all(d.is_finite for d in hps.values())
        self._cardinality = math.prod(d.cardinality for d in hps.values()) if finite else None
        fixed = self._restricted
        if fixed is None and (self._cardinality or math.inf) <= _ENUMERATE_LIMIT:
            fixed = list(grid(self.config_space))
        self._fixed: tuple[list[dict[str, Any]], list[tuple], np.ndarray] | None = None
        if fixed is not None:
            self._fixed = (fixed, [self._key(c) for c in fixed], self._encoder.encode_all(fixed))
        self._reset_data()

    def _reset_data(self) -> None:
        #: level -> observations [config, value to minimize], in order of first result
        self._levels: dict[int, list[list[Any]]] = {}
        self._rows: dict[int, dict[tuple, int]] = {}  # level -> config key -> position
        self._fitted_on: tuple[int, int, int] | None = (
            None  # (level, observations, seed) of the model
        )
        self._model: Scorer | None = None

    # -- observations ------------------------------------------------------------------------
    def observe(
        self, config: Mapping[str, Any], metrics: Mapping[str, Any], resource: int | None = None
    ) -> None:
        if self.metric is None:
            raise ValueError(
                "the searcher has no metric: pass metric=... or use it inside a scheduler"
            )
        value = metric_value(dict(metrics), self.metric)
        self._add(0 if resource is None else int(resource), dict(config), value)

    def _add(self, level: int, config: dict[str, Any], value: float) -> None:
        y = -value if self.mode == "max" else value
        rows = self._levels.setdefault(level, [])
        index = self._rows.setdefault(level, {})
        key = self._key(config)
        i = index.get(key)
        if i is None:
            index[key] = len(rows)
            rows.append([config, y])
            return
        rows[i][1] = y
        if self._fitted_on is not None and self._fitted_on[0] == level and i < self._fitted_on[1]:
            self._fitted_on = self._model = None  # the model's data changed: refit when next needed

    def withdraw(self, config: Mapping[str, Any], resource: int | None = None) -> None:
        level = 0 if resource is None else int(resource)
        index = self._rows.get(level)
        i = None if index is None else index.pop(self._key(config), None)
        if i is None:
            return
        rows = self._levels[level]
        del rows[i]
        for key, j in index.items():
            if j > i:
                index[key] = j - 1
        if not rows:
            del self._levels[level], self._rows[level]
        fit = self._fitted_on
        if fit is not None and fit[0] == level and i < fit[1]:
            self._fitted_on = self._model = None  # the model's data changed: refit when next needed

    def num_observations(self, resource: int | None = None) -> int:
        """Observations at ``resource`` (None: of results without a resource)."""
        return len(self._levels.get(0 if resource is None else int(resource), []))

    def model_level(self) -> int | None:
        """The resource level the model is fitted at (0: results without a resource), or None
        while no level has enough observations."""
        for level in sorted(self._levels, reverse=True):
            need = (
                self.num_init_random if level == 0 else max(self.num_init_random, self._num_hps + 1)
            )
            if len(self._levels[level]) >= need:
                return level
        return None

    # -- suggestions -----------------------------------------------------------------------
    def _suggest(self) -> dict[str, Any] | None:
        if (
            not self.allow_duplicates
            and self._cardinality is not None
            and len(self._seen) >= self._cardinality
        ):
            return None
        return self._next()

    def _suggest_restricted(self) -> dict[str, Any] | None:
        return self._next()

    def _next(self) -> dict[str, Any] | None:
        level = self.model_level()
        if level is None or (self.random_prob > 0 and self.rng.random() < self.random_prob):
            return self._random()
        with limit_blas_threads(self.blas_threads):
            score = self._scorer(level)
            return self._best_candidate(score)

    def _scorer(self, level: int) -> Scorer:
        n = len(self._levels[level])
        fit = self._fitted_on
        if (
            fit is not None
            and fit[0] == level
            and (n <= fit[1] or self.refit_until < n < math.ceil(fit[1] * (1 + self.refit_growth)))
        ):
            if self._model is None:  # loaded from a state: the same data and seed again
                self._model = self._fit_rows(*fit)
            return self._model
        self._fitted_on = (level, n, int(self.rng.integers(2**31)))
        self._model = self._fit_rows(*self._fitted_on)
        return self._model

    def _fit_rows(self, level: int, n: int, seed: int) -> Scorer:
        rows = self._levels[level][:n]
        X = self._encoder.encode_all([config for config, _ in rows])
        y = np.array([value for _, value in rows], dtype=float)
        return self._fit(X, y, seed)

    def _fit(self, X: np.ndarray, y: np.ndarray, seed: int) -> Scorer:
        """A scorer of encoded candidates (higher is better) from the encoded configs ``X`` and
        their values ``y`` (to minimize), fitted with the random seed ``seed``."""
        raise NotImplementedError

    def _candidates(self) -> tuple[np.ndarray, list[dict[str, Any]] | None]:
        """Encoded candidates and, for a fixed set, their configs (None: decode them)."""
        if self._fixed is None:
            return self._encoder.sample(self.rng, self.num_candidates), None
        configs, keys, enc = self._fixed
        free = self._unseen(keys)
        if len(free) > self.num_candidates:
            pick = np.sort(self.rng.choice(len(free), size=self.num_candidates, replace=False))
            free = [free[i] for i in pick.tolist()]
        return enc[free], [configs[i] for i in free]

    def _best_candidate(self, score: Scorer) -> dict[str, Any] | None:
        X, configs = self._candidates()
        if not len(X):
            return None
        scores = np.asarray(score(X), dtype=float)
        return self._first_unseen(X, scores, configs)

    def _first_unseen(
        self, X: np.ndarray, scores: np.ndarray, configs: list[dict[str, Any]] | None
    ) -> dict[str, Any] | None:
        scores = np.where(np.isnan(scores), -np.inf, scores)
        for i in np.argsort(-scores, kind="stable").tolist():
            config = dict(configs[i]) if configs is not None else self._encoder.decode(X[i])
            if self._is_new(config):
                return config
        return self._random()

    def _random(self) -> dict[str, Any] | None:
        if self._restricted is not None:
            return super()._suggest_restricted()
        if self._fixed is not None:
            configs, keys, _ = self._fixed
            free = self._unseen(keys)
            return dict(configs[free[int(self.rng.integers(len(free)))]]) if free else None
        for _ in range(100):
            config = sample_config(self.config_space, self.rng)
            if self._is_new(config):
                return config
        if self._cardinality is None or grid_size(self.config_space) > _UNSEEN_LIMIT:
            return None
        unseen = [c for c in grid(self.config_space) if self._is_new(c)]
        return unseen[int(self.rng.integers(len(unseen)))] if unseen else None

    # -- state -----------------------------------------------------------------------------
    def _extra_state(self) -> dict[str, Any]:
        return {
            "levels": [[level, rows] for level, rows in self._levels.items()],
            "fit": None if self._fitted_on is None else list(self._fitted_on),
        }

    def _load_extra_state(self, state: Mapping[str, Any]) -> None:
        self._reset_data()
        for level, rows in state["levels"]:
            self._levels[int(level)] = [[dict(c), float(y)] for c, y in rows]
            self._rows[int(level)] = {self._key(c): i for i, (c, _) in enumerate(rows)}
        fit = state["fit"]
        self._fitted_on = None if fit is None else (int(fit[0]), int(fit[1]), int(fit[2]))

    def __repr__(self) -> str:
        total = sum(len(rows) for rows in self._levels.values())
        name = type(self).__name__
        return f"{name}(metric={self.metric!r}, mode={self.mode!r}, observations={total})"
