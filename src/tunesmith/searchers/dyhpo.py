"""The searcher of DyHPO (Wistuba, Kadra, Grabocka, 2022: "Supervising the Multi-Fidelity
Race of Hyperparameter Configurations", NeurIPS), without the deep kernel: MOBSTER's joint GP
over (config, resource) scores paused trials and new configs together, as Syne Tune does.

:meth:`DyHPOSearcher.choose` is the decision: each paused trial is scored by the expected
improvement of its value at the level it would reach if resumed, each of
``max(num_new_candidates, number of paused trials)`` random unseen configs by the expected
improvement at the lowest level; the incumbent of a level is the best value observed there (the
best of all levels where none was). The best score wins: a paused trial to resume, or a new
config to start. While the searcher still starts ``points_to_evaluate`` or its first
``num_init_random`` random configs, a new config wins without scoring.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tunesmith.searchers.acquisition import log_expected_improvement
from tunesmith.searchers.bayesopt import _positive_int
from tunesmith.searchers.gp import limit_blas_threads
from tunesmith.searchers.mobster import GPMultiFidelitySearcher

__all__ = ["DyHPOSearcher"]


class DyHPOSearcher(GPMultiFidelitySearcher):
    """DyHPO's searcher: see the module docstring. ``num_new_candidates``: random new configs
    scored against the paused trials (at least as many as there are paused trials; Syne Tune's
    ``num_init_candidates``). The model is the joint one (DyHPO extrapolates to levels without
    data, which independent GPs per level cannot); the other arguments are
    :class:`~tunesmith.searchers.mobster.GPMultiFidelitySearcher`'s."""

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        max_t: int,
        num_new_candidates: int = 250,
        metric: str | None = None,
        mode: str = "min",
        **options: Any,
    ):
        if options.get("model", "joint") != "joint":
            raise ValueError(
                "DyHPO scores trials at levels without data, which needs model='joint', but "
                f"got model={options['model']!r}"
            )
        for name in ("cost_attr", "constraint_attr", "input_warping"):
            if options.get(name):
                raise ValueError(f"DyHPOSearcher does not take `{name}`")
        self.num_new_candidates = _positive_int("num_new_candidates", num_new_candidates)
        super().__init__(config_space, max_t=max_t, metric=metric, mode=mode, **options)
        self._encodings: dict[tuple, np.ndarray] = {}  # config key -> encoding (a cache)
        # trial id -> (its config object, its encoding): a paused trial is scored again at
        # every decision, and its config's key costs more than this look-up
        self._paused_rows: dict[int, tuple[Mapping[str, Any], np.ndarray]] = {}

    def _starting(self) -> bool:
        """Whether new configs still come without scoring (points to evaluate, initial ones)."""
        return bool(self._points) or self._initial()

    def choose(
        self,
        paused: Sequence[tuple[int, Mapping[str, Any], int]],
        *,
        min_level: int,
        allow_new: bool = True,
    ) -> int | dict[str, Any] | None:
        """The trial id of the paused trial to resume, or a new config to start (marked as
        suggested), or None (nothing to start or resume). ``paused``: ``(trial_id, config,
        level it would reach)`` per paused trial; ``min_level``: the level a new trial reaches
        first; ``allow_new=False``: resume only."""
        if allow_new and self._starting():
            return self.suggest()
        if not paused and not allow_new:
            return None
        if self._initial():  # resume only, and too little data for a model: the first one
            return int(paused[0][0])
        with limit_blas_threads(self.blas_threads):
            return self._choose(paused, min_level, allow_new)

    def _new_candidates(self, n: int) -> tuple[np.ndarray, list[dict[str, Any]] | None]:
        """Encodings of ``n`` random new configs, and the configs themselves where they are
        listed (a restricted or small space; else decoded when one wins)."""
        if self._fixed is not None:
            configs, keys, enc = self._fixed
            free = self._unseen(keys)
            if len(free) > n:
                free = sorted(self.rng.choice(free, size=n, replace=False).tolist())
            return enc[free], [configs[i] for i in free]
        return self._encoder.sample(self.rng, n), None

    def _encoded_paused(self, trial_id: int, config: Mapping[str, Any]) -> np.ndarray:
        cached = self._paused_rows.get(trial_id)
        if cached is not None and cached[0] is config:
            return cached[1]
        row = self._encoded(config)
        self._paused_rows[trial_id] = (config, row)
        return row

    def _encoded(self, config: Mapping[str, Any]) -> np.ndarray:
        key = self._key(config)
        row = self._encodings.get(key)
        if row is None:
            row = self._encodings[key] = self._encoder.encode(config)
        return row

    def _choose(
        self,
        paused: Sequence[tuple[int, Mapping[str, Any], int]],
        min_level: int,
        allow_new: bool,
    ) -> int | dict[str, Any] | None:
        self._update_model()
        gp = self._gps[0]
        y = self._y[0][0]
        row_levels = np.array([self._resources[i] for i in self._rows])
        d = self._encoder.dim
        new_X, new_configs = np.empty((0, d)), None
        if allow_new:
            new_X, new_configs = self._new_candidates(max(self.num_new_candidates, len(paused)))
        if not paused and not len(new_X):
            return None
        X = np.vstack([*(self._encoded_paused(t, c)[None, :] for t, c, _ in paused), new_X])
        levels = np.array([int(r) for _, _, r in paused] + [min_level] * len(new_X))
        r = np.minimum(levels, self.max_t) / self.max_t
        mean, var = gp.predict(np.hstack([X, r[:, None]]), pending=self._pending_inputs())
        best = np.full(len(levels), float(y.min()))
        for level in np.unique(levels):
            at = y[row_levels == level]
            if len(at):
                best[levels == level] = float(at.min())
        score = log_expected_improvement(mean, np.sqrt(var), best)
        for i in np.argsort(-score, kind="stable").tolist():
            if i < len(paused):
                return int(paused[i][0])
            j = i - len(paused)
            config = (
                dict(new_configs[j]) if new_configs is not None else self._encoder.decode(new_X[j])
            )
            if self._is_new(config):
                self._mark_seen(config)
                return config
        return None
