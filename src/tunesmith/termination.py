"""Automatic termination: end a run once more trials are unlikely to find a config that is
better by more than the objective's noise.

* :class:`RegretBoundStopper` (Makarova et al., 2022, "Automatic Termination for Hyperparameter
  Optimization", AutoML Conf): a Gaussian process fitted to the completed trials bounds the
  simple regret of the best config seen by ``its UCB - min over the space of LCB`` (the
  paper's incumbent, the seen config of least UCB, with ``incumbent="model"``); the run stops
  once that bound is below the noise of the objective. The GP is its
  own (the same model as :class:`~tunesmith.searchers.bayesopt.GPSearcher`'s), fitted to the
  trials the tuner recorded, so it works with any scheduler and searcher.
* :class:`ImprovementStopper`, model-free: the run stops once the best value improved by less
  than the noise over the last ``window`` completed trials.

Both are :class:`~tunesmith.stopping.StoppingCriterion` (so they take its limits too, e.g.
``max_num_trials_started=100``) and :class:`~tunesmith.callbacks.TunerCallback`: the tuner adds
a stop criterion that is a callback to its callbacks, which gives it the run's trials (a resumed
run's included: the tuner hands them over after replaying its journal). Each decision is a
function of the completed trials alone (their configs and values, ordered by trial id), never of
when it was asked, so a resumed run stops where the uninterrupted one would have.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from numbers import Real
from typing import TYPE_CHECKING, Any

from tunesmith.callbacks.base import TunerCallback
from tunesmith.space import check_space
from tunesmith.stopping import StoppingCriterion, TuningStatus
from tunesmith.trial import TrialStatus

if TYPE_CHECKING:
    import numpy as np

    from tunesmith.results import TuningResult
    from tunesmith.tuner import Tuner

__all__ = ["ImprovementStopper", "RegretBoundStopper"]

#: how :class:`RegretBoundStopper` models the metric: ``"log"`` (of metric values > 0),
#: ``"standardize"`` (the values themselves), ``"auto"`` (log when the values it models are > 0)
TARGET_TRANSFORMS = ("auto", "log", "standardize")
#: whose regret :class:`RegretBoundStopper` bounds: ``"observed"``, the completed trial with the
#: best value (``best_config()``'s when every trial completed and there is no constraint);
#: ``"model"``, the completed config with the least upper confidence bound (the paper's)
INCUMBENTS = ("observed", "model")

logger = logging.getLogger("tunesmith")


def _positive(
    name: str,
    value: Any,
    *,
    integer: bool = False,
    allow_none: bool = False,
    word: str | None = None,
):
    """``value`` if it is a positive finite number (an int with ``integer``), or None with
    ``allow_none``, or the string ``word``; else a ``ValueError`` naming what is allowed."""
    if value is None and allow_none:
        return None
    if word is not None and isinstance(value, str) and value == word:
        return value
    ok = isinstance(value, int) if integer else isinstance(value, Real)
    if isinstance(value, bool) or not ok or not math.isfinite(value) or value <= 0:
        kind = "a positive int" if integer else "a positive finite number"
        other = " or None" if allow_none else f" or {word!r}" if word is not None else ""
        raise ValueError(f"`{name}` must be {kind}{other}, but got {name}={value!r}")
    return value


class _Termination(StoppingCriterion, TunerCallback):
    """What both stoppers share: the completed trials' values, the noise level, the limits."""

    _rule = ""

    def __init__(
        self,
        metric: str,
        mode: str = "min",
        *,
        threshold: float | None = None,
        noise_attr: str | None = None,
        min_trials: int = 10,
        **limits: Any,
    ):
        super().__init__(**limits)
        if not isinstance(metric, str) or not metric:
            raise ValueError(f"`metric` must be a non-empty string, but got metric={metric!r}")
        if mode not in ("min", "max"):
            raise ValueError(f"`mode` must be 'min' or 'max', but got mode={mode!r}")
        _positive("threshold", threshold, allow_none=True)
        if noise_attr is not None and (not isinstance(noise_attr, str) or not noise_attr):
            raise ValueError(
                f"`noise_attr` must be a metric name or None, but got noise_attr={noise_attr!r}"
            )
        if threshold is not None and noise_attr is not None:
            raise ValueError(
                "give `threshold` or `noise_attr`, not both, but got "
                f"threshold={threshold!r}, noise_attr={noise_attr!r}"
            )
        _positive("min_trials", min_trials, integer=True)
        self.metric, self.mode = metric, mode
        self.threshold = None if threshold is None else float(threshold)
        self.noise_attr = noise_attr
        self.min_trials = min_trials
        self._result: TuningResult | None = None
        self._encoder: Any = None  # the config space's SpaceEncoder, see _space_encoder
        self._reset()

    # -- the run's trials ----------------------------------------------------------------------
    def _reset(self) -> None:
        #: completed trials: trial id -> (config, value to minimize, reported noise or None)
        self._trials: dict[int, tuple[dict[str, Any], float, float | None]] = {}
        self._seen_completed = -1
        self._decided_at = -1  # number of trials the last decision saw
        self._stop = False
        #: the last decision's figures (for logs and inspection): trials, bound, noise
        self.last_check: dict[str, float] = {}

    def on_tuning_start(self, tuner: Tuner) -> None:
        self.bind(tuner.result)

    def bind(self, result: TuningResult) -> None:
        """Read the trials from ``result`` (the tuner does this when a run starts; call it
        yourself to use the criterion outside a tuner)."""
        self._result = result
        self._reset()

    def _update(self, status: TuningStatus) -> None:
        if self._result is None:
            raise RuntimeError(
                f"{type(self).__name__} reads the run's trials: pass it to the Tuner as its "
                "stop_criterion (or call bind(result) to use it outside a tuner)"
            )
        if status.num_trials_completed == self._seen_completed:
            return
        self._seen_completed = status.num_trials_completed
        sign = 1.0 if self.mode == "min" else -1.0
        for tid, trial in self._result.trials.items():
            if tid in self._trials or trial.status is not TrialStatus.COMPLETED:
                continue
            last = trial.last_result or {}
            value = last.get(self.metric)
            if not isinstance(value, Real) or not math.isfinite(value):
                continue
            noise = last.get(self.noise_attr) if self.noise_attr else None
            noise = float(noise) if isinstance(noise, Real) and math.isfinite(noise) else None
            self._trials[tid] = (dict(trial.config), sign * float(value), noise)

    def _space_encoder(self) -> Any:
        """The :class:`~tunesmith.searchers.acquisition.SpaceEncoder` of ``config_space``,
        built on first use."""
        if self._encoder is None:
            from tunesmith.searchers.acquisition import SpaceEncoder

            self._encoder = SpaceEncoder(self.config_space)
        return self._encoder

    def _ordered(self) -> list[tuple[dict[str, Any], float, float | None]]:
        return [self._trials[tid] for tid in sorted(self._trials)]

    def _given_noise(self, trials) -> float | None:
        """The noise level from ``threshold`` or the reported ``noise_attr`` (their median)."""
        if self.threshold is not None:
            return self.threshold
        if self.noise_attr is not None:
            reported = sorted(n for _, _, n in trials if n is not None and n >= 0)
            if reported:
                return float(reported[len(reported) // 2])
        return None

    # -- the criterion -------------------------------------------------------------------------
    def reason(self, status: TuningStatus, *, include_started: bool = True) -> str | None:
        limit = super().reason(status, include_started=include_started)
        if limit is not None:
            return limit
        self._update(status)
        n = len(self._trials)
        if n != self._decided_at:
            self._decided_at = n
            self._stop = n >= self.min_trials and self._decide(self._ordered())
            if self.last_check:
                logger.debug("%s after %d trials: %s", type(self).__name__, n, self.last_check)
        if not self._stop:
            return None
        figures = self.last_check
        return (
            f"{self._rule} {figures['statistic']:.4g} < noise {figures['noise']:.4g} after "
            f"{int(figures['trials'])} completed trials"
        )

    def _decide(self, trials: list[tuple[dict[str, Any], float, float | None]]) -> bool:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(metric={self.metric!r}, mode={self.mode!r})"


class RegretBoundStopper(_Termination):
    """Stops when an upper bound on the simple regret falls below the objective's noise
    (Makarova, Shen, Perrone, Klein, Faddoul, Krause, Seeger, Archambeau, 2022: "Automatic
    Termination for Hyperparameter Optimization").

    After each completed trial (from ``min_trials`` on), a GP (Matern 5/2 ARD, the searchers'
    own, hyperparameters by maximum a posteriori from their default start, so the fit depends
    on the data alone) is fitted to the best ``top_fraction`` of the completed trials' values
    of ``metric`` (at least ``min_trials``, at most ``max_observations``), or with
    ``target_transform="log"`` to their logarithms, as the authors' code does by default
    (``"auto"``, the default: the logarithms when all those values are > 0, else the values;
    ``"standardize"``: the values). With
    ``s = sqrt(beta)`` posterior standard deviations (``beta`` fixed, or ``beta="schedule"``:
    the paper's, growing with the trials, see :meth:`beta_at`), the bound is (for
    ``mode="min"``)::

        (mean + s) at the incumbent  -  min over the config space of (mean - s)

    the second term estimated over ``num_candidates`` random configs plus the completed ones,
    refined by local search; the draws are seeded by ``random_seed`` and the number of trials.
    The incumbent (``incumbent="observed"``, the default) is the completed trial with the best
    value (the earlier one on a tie), the one ``result.best_config()`` returns when every trial
    completed and no ``constraint_attr`` is set, so the bound is on the regret of the config
    the run hands over: where that value is a lucky draw among nearby configs, its upper
    bound is above the least one. ``incumbent="model"`` takes the completed config with the
    least upper bound, as the paper does (the bound is then on that config's regret). A modelled
    logarithm's two bounds are mapped back to the metric before they are subtracted, so the
    bound is in the metric's units, as the noise it is compared with is. The noise is
    ``threshold`` if given, else the median of the values reported as ``noise_attr`` (e.g. the
    standard deviation of a cross-validation estimate, divided by the square root of the
    number of folds), else the noise standard deviation the GP estimated (at the incumbent,
    in the metric's units).

    The other keyword arguments are :class:`~tunesmith.stopping.StoppingCriterion`'s limits.
    Pass the object as the tuner's ``stop_criterion``.
    """

    _rule = "regret bound"

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str,
        mode: str = "min",
        threshold: float | None = None,
        noise_attr: str | None = None,
        beta: float | str = 1.0,
        target_transform: str = "auto",
        incumbent: str = "observed",
        min_trials: int = 20,
        top_fraction: float = 0.5,
        max_observations: int = 200,
        num_candidates: int = 1000,
        random_seed: int = 0,
        **limits: Any,
    ):
        super().__init__(
            metric,
            mode,
            threshold=threshold,
            noise_attr=noise_attr,
            min_trials=min_trials,
            **limits,
        )
        self.config_space = check_space(config_space)
        beta = _positive("beta", beta, word="schedule")
        self.beta: float | str = beta if beta == "schedule" else float(beta)
        if target_transform not in TARGET_TRANSFORMS:
            raise ValueError(
                f"`target_transform` must be one of {list(TARGET_TRANSFORMS)}, but got "
                f"target_transform={target_transform!r}"
            )
        self.target_transform = target_transform
        if incumbent not in INCUMBENTS:
            raise ValueError(
                f"`incumbent` must be one of {list(INCUMBENTS)}, but got incumbent={incumbent!r}"
            )
        self.incumbent = incumbent
        if (
            not isinstance(top_fraction, Real)
            or isinstance(top_fraction, bool)
            or not 0 < top_fraction <= 1
        ):
            raise ValueError(
                f"`top_fraction` must be a number in (0, 1], but got top_fraction={top_fraction!r}"
            )
        self.top_fraction = float(top_fraction)
        self.max_observations = _positive("max_observations", max_observations, integer=True)
        if max_observations < 2:
            raise ValueError(
                f"`max_observations` must be an int >= 2, but got max_observations="
                f"{max_observations!r}"
            )
        self.num_candidates = _positive("num_candidates", num_candidates, integer=True)
        if not isinstance(random_seed, int) or isinstance(random_seed, bool) or random_seed < 0:
            raise ValueError(
                f"`random_seed` must be an int >= 0, but got random_seed={random_seed!r}"
            )
        self.random_seed = random_seed

    def beta_at(self, num_trials: int) -> float:
        """The ``beta`` of a decision on ``num_trials`` completed trials: the fixed one, or
        with ``beta="schedule"`` the paper's, Srinivas et al.'s GP-UCB schedule divided by 5,
        ``2 log(d n^2 pi^2 / (6 delta)) / 5`` for ``n`` trials, ``d`` encoded dimensions and
        ``delta = 0.1`` (at least 1e-6)."""
        if self.beta != "schedule":
            return float(self.beta)
        d, n = max(self._space_encoder().dim, 1), max(num_trials, 1)
        return max(2.0 * math.log(d * n**2 * math.pi**2 / (6 * 0.1)) / 5.0, 1e-6)

    def regret_bound(
        self, configs: list[Mapping[str, Any]], values: list[float]
    ) -> tuple[float, float]:
        """``(bound, noise standard deviation estimated by the GP)`` for completed
        ``configs`` with ``values`` (to minimize), in the metric's units.

        With the log transform the GP models ``log(metric)``; its confidence bounds are mapped
        back to the metric (the transform is increasing, so the smallest bound maps to the
        smallest) before they are subtracted, and its noise is taken at the incumbent, so both
        figures are in the metric's units, as the noise they are compared with is."""
        import numpy as np

        from tunesmith.searchers.acquisition import maximize
        from tunesmith.searchers.gp import GaussianProcess, limit_blas_threads

        encoder = self._space_encoder()
        y = np.asarray(values, dtype=float)
        X = encoder.encode_all(configs)
        # the best ones: the bound is about the optimum, and the model should not spend itself
        # on diverged configs far from it
        size = max(math.ceil(self.top_fraction * len(y)), min(len(y), self.min_trials))
        size = min(size, self.max_observations)
        if size < len(y):
            keep = np.sort(np.argsort(y, kind="stable")[:size])
            X, y = X[keep], y[keep]
        # the observed best: the first least value (the earlier trial on a tie, as the
        # tuner's best_config), taken before the transform can round two values together
        observed = int(np.argmin(y))
        sign = 1.0 if self.mode == "min" else -1.0  # y = sign * metric
        use_log = self.target_transform == "log" or (
            self.target_transform == "auto" and bool(np.all(sign * y > 0))
        )
        if use_log:
            if not np.all(sign * y > 0):
                raise ValueError(
                    f"target_transform='log' needs metric {self.metric!r} > 0, but got "
                    f"{float(sign * y[sign * y <= 0][0])!r}; use target_transform='auto' or "
                    "'standardize'"
                )
            y = sign * np.log(sign * y)

            def back(u: float) -> float:  # increasing: the value to minimize, from the model's
                return sign * math.exp(min(sign * u, 700.0))  # (no OverflowError)
        else:

            def back(u: float) -> float:
                return u

        shift, scale = float(y.mean()), float(y.std())
        if not scale > 1e-12:
            scale = 1.0
        z = (y - shift) / scale
        s = math.sqrt(self.beta_at(len(values)))
        with limit_blas_threads(1):
            gp = GaussianProcess(encoder.dim)
            gp.fit(X, z)
            gp.set_targets(z)
            mean, var = gp.predict(X)
            ucb = mean + s * np.sqrt(var)
            best = int(np.argmin(ucb)) if self.incumbent == "model" else observed

            def score(C: np.ndarray) -> np.ndarray:  # maximized: minus the LCB
                m, v = gp.predict(C)
                return -(m - s * np.sqrt(v))

            rng = np.random.default_rng([self.random_seed, len(values)])
            _, scores = maximize(score, encoder, rng, num_candidates=self.num_candidates, extra=X)
        ucb_seen = shift + scale * float(ucb[best])
        lcb_space = shift - scale * float(scores[0])
        centre, noise = shift + scale * float(mean[best]), math.sqrt(gp.noise) * scale
        return (
            back(ucb_seen) - back(lcb_space),
            0.5 * (back(centre + noise) - back(centre - noise)),
        )

    def _decide(self, trials) -> bool:
        configs = [c for c, _, _ in trials]
        values = [v for _, v, _ in trials]
        bound, gp_noise = self.regret_bound(configs, values)
        given = self._given_noise(trials)
        noise = gp_noise if given is None else given
        self.last_check = {"trials": len(trials), "statistic": bound, "noise": noise}
        return bound < noise


class ImprovementStopper(_Termination):
    """Model-free automatic termination: stops when the best value of ``metric`` improved by
    less than the noise over the last ``window`` completed trials (in trial-id order), i.e.
    ``best(first n - window trials) - best(all n trials) < noise``.

    The noise is ``threshold`` if given, else the median of the values reported as
    ``noise_attr``, else estimated from pairs of nearby configs (see :func:`nugget_noise`):
    the objective's variation between configs closer and closer together tends to the noise
    (the "nugget" of a variogram), measured among the better half of the trials, where the
    remaining improvements are decided.

    Works with any scheduler and searcher. Pass the object as the tuner's ``stop_criterion``;
    the other keyword arguments are
    :class:`~tunesmith.stopping.StoppingCriterion`'s limits.
    """

    _rule = "improvement"

    def __init__(
        self,
        config_space: Mapping[str, Any] | None = None,
        *,
        metric: str,
        mode: str = "min",
        window: int = 20,
        threshold: float | None = None,
        noise_attr: str | None = None,
        min_trials: int = 10,
        **limits: Any,
    ):
        super().__init__(
            metric,
            mode,
            threshold=threshold,
            noise_attr=noise_attr,
            min_trials=min_trials,
            **limits,
        )
        self.window = _positive("window", window, integer=True)
        if config_space is None and threshold is None and noise_attr is None:
            raise ValueError(
                "ImprovementStopper needs the noise level: give `threshold`, `noise_attr`, or "
                "the `config_space` to estimate it from nearby configs (all three were None)"
            )
        self.config_space = None if config_space is None else check_space(config_space)

    def _decide(self, trials) -> bool:
        if len(trials) <= self.window:
            return False
        values = [v for _, v, _ in trials]
        improvement = min(values[: -self.window]) - min(values)
        noise = self._given_noise(trials)
        if noise is None:
            if self.config_space is None:  # noise_attr was never reported
                return False
            noise = nugget_noise(self._encoded(trials), values)
        self.last_check = {"trials": len(trials), "statistic": improvement, "noise": noise}
        return improvement < noise

    def _encoded(self, trials) -> np.ndarray:
        return self._space_encoder().encode_all([c for c, _, _ in trials])


def nugget_noise(X: np.ndarray, values: list[float], *, num_pairs: int = 200) -> float:
    """The noise standard deviation of values observed at the rows of ``X`` (unit-encoded
    configs), from nearby pairs: among the better half of the observations, the
    ``num_pairs`` closest pairs' semivariances ``(y_i - y_j)**2 / 2`` are fitted by a line in
    their distance, whose value at distance 0 (at least 0) is the noise variance."""
    import numpy as np

    y = np.asarray(values, dtype=float)
    keep = np.argsort(y, kind="stable")[: max(len(y) // 2, 3)]
    Xb, yb = X[keep], y[keep]
    i, j = np.triu_indices(len(yb), k=1)
    if not len(i):
        return 0.0
    d = np.sqrt(((Xb[i] - Xb[j]) ** 2).sum(axis=1))
    g = 0.5 * (yb[i] - yb[j]) ** 2
    order = np.argsort(d, kind="stable")[:num_pairs]
    d, g = d[order], g[order]
    if np.ptp(d) > 1e-12 and len(d) > 2:
        slope, intercept = np.polyfit(d, g, 1)
        nugget = intercept if slope >= 0 else float(g.mean())
    else:
        nugget = float(g.mean())
    return math.sqrt(max(float(nugget), 0.0))
