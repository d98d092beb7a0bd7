"""Linear scalarization: any single-objective scheduler on a weighted sum of several metrics
(Syne Tune's ``LinearScalarizedScheduler``, seed 002)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from numbers import Real
from typing import Any

from tunesmith.schedulers.base import Scheduler
from tunesmith.trial import Decision, Suggestion, Trial

__all__ = ["LinearScalarizedScheduler"]


class LinearScalarizedScheduler(Scheduler):
    """Runs ``base_scheduler`` on one metric, ``scalarized_<metric1>_<metric2>...``: the
    weighted sum ``sum(w_i * y_i)`` of the objectives, each ``y_i`` minimized (a ``"max"``
    metric enters negated), so modes may differ. Every result is passed on with that metric
    added; every decision is the base scheduler's.

    * ``scalarization_weights``: one finite weight ``>= 0`` per metric, not all 0 (default:
      all 1). The weights trade the units of the metrics against each other: scale them.
    * ``base_scheduler``: a scheduler class, or its registered name (``"ASHA"``: the spec of the
      study can then be rebuilt), or a callable returning a scheduler; default
      :class:`~tunesmith.schedulers.FIFOScheduler`. It is called as
      ``base_scheduler(config_space, metric=name, mode="min", **base_scheduler_kwargs)``.

    One run finds one point of the Pareto front (the one the weights favour), or a point of its
    convex hull; for the whole front use :class:`~tunesmith.schedulers.MOASHA`,
    :class:`~tunesmith.schedulers.NSGA2` or :class:`~tunesmith.schedulers.MOREA`.

    >>> from tunesmith import uniform
    >>> scheduler = LinearScalarizedScheduler(
    ...     {"x": uniform(0, 1), "epochs": 9},
    ...     metric=["err", "ms"],
    ...     scalarization_weights=[1.0, 0.01],
    ...     base_scheduler="ASHA",
    ...     random_seed=0,
    ... )
    >>> scheduler.base_scheduler.metric
    'scalarized_err_ms'
    """

    multi_objective = True

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str | list[str],
        mode: str | list[str] = "min",
        scalarization_weights: Sequence[float] | None = None,
        base_scheduler: str | Callable[..., Scheduler] | None = None,
        **base_scheduler_kwargs: Any,
    ):
        super().__init__(metric=metric, mode=mode)
        n = len(self.metrics)
        if scalarization_weights is None:
            weights = [1.0] * n
        else:
            if isinstance(scalarization_weights, str | bytes) or not isinstance(
                scalarization_weights, Sequence
            ):
                raise ValueError(
                    "`scalarization_weights` must be a list of finite numbers >= 0, one per "
                    f"metric ({n}), but got scalarization_weights={scalarization_weights!r}"
                )
            weights = list(scalarization_weights)
            bad = [
                w
                for w in weights
                if isinstance(w, bool) or not isinstance(w, Real) or not 0 <= w < math.inf
            ]
            if len(weights) != n or bad or not any(w > 0 for w in weights):
                raise ValueError(
                    "`scalarization_weights` must be finite numbers >= 0, not all 0, one per "
                    f"metric ({n}: {self.metrics}), but got "
                    f"scalarization_weights={scalarization_weights!r}"
                )
            weights = [float(w) for w in weights]
        self.scalarization_weights = weights
        self.scalarized_metric = "scalarized_" + "_".join(self.metrics)
        factory = _factory(base_scheduler)
        base = factory(
            config_space, metric=self.scalarized_metric, mode="min", **base_scheduler_kwargs
        )
        if not isinstance(base, Scheduler):
            raise TypeError(
                f"`base_scheduler` must build a Scheduler, but {base_scheduler!r} returned "
                f"{base!r} ({type(base).__name__})"
            )
        self.base_scheduler = base
        self.config_space = getattr(base, "config_space", dict(config_space))
        self.random_seed = getattr(base, "random_seed", None)
        self.score = self._scalarized  # type: ignore[method-assign]

    def _scalarized(self, result: Mapping[str, Any]) -> float:
        """The weighted sum of the result's objectives (all minimized)."""
        return math.fsum(
            w * v for w, v in zip(self.scalarization_weights, self.objectives(result), strict=True)
        )

    def scalarize(self, result: Mapping[str, Any]) -> dict[str, Any]:
        """``result`` with the scalarized metric added (a ``ValueError`` names a missing or
        non-finite objective)."""
        return {**result, self.scalarized_metric: self._scalarized(result)}

    # -- the contract, delegated ---------------------------------------------------------------
    def suggest(self, trial_id: int) -> Suggestion | None:
        return self.base_scheduler.suggest(trial_id)

    def suggest_resume(self) -> Suggestion | None:
        return self.base_scheduler.suggest_resume()

    def on_trial_add(self, trial: Trial) -> None:
        self.base_scheduler.on_trial_add(trial)

    def on_trial_result(self, trial: Trial, result: Mapping[str, Any]) -> Decision:
        return self.base_scheduler.on_trial_result(trial, self.scalarize(result))

    def on_trial_complete(self, trial: Trial, result: Mapping[str, Any]) -> None:
        self.base_scheduler.on_trial_complete(trial, self.scalarize(result))

    def on_trial_error(self, trial: Trial) -> None:
        self.base_scheduler.on_trial_error(trial)

    def on_trial_remove(self, trial: Trial) -> None:
        self.base_scheduler.on_trial_remove(trial)

    def state_dict(self) -> dict[str, Any]:
        return {"base": self.base_scheduler.state_dict()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.base_scheduler.load_state_dict(state["base"])

    def __repr__(self) -> str:
        return (
            f"LinearScalarizedScheduler(metric={self.metric!r}, mode={self.mode!r}, "
            f"scalarization_weights={self.scalarization_weights}, "
            f"base_scheduler={self.base_scheduler!r})"
        )


def _factory(base_scheduler: Any) -> Callable[..., Any]:
    if base_scheduler is None:
        from tunesmith.schedulers.fifo import FIFOScheduler

        return FIFOScheduler
    if isinstance(base_scheduler, str):
        from tunesmith.spec import class_of

        try:
            cls = class_of(base_scheduler)
        except (KeyError, ValueError, ImportError, AttributeError):
            cls = None
        if not (isinstance(cls, type) and issubclass(cls, Scheduler)):
            raise ValueError(
                "`base_scheduler` must name a scheduler class (e.g. 'ASHA', 'FIFOScheduler'), "
                f"or be a class or callable, but got base_scheduler={base_scheduler!r}"
            )
        return cls
    if not callable(base_scheduler):
        raise TypeError(
            "`base_scheduler` must be a scheduler class, its name, or a callable returning a "
            f"scheduler, but got {base_scheduler!r} ({type(base_scheduler).__name__})"
        )
    return base_scheduler
