"""Reinforcement-learning search as a named scheduler: FIFO scheduling of
:class:`~tunesmith.searchers.rl.RLSearcher` (its own module, so that using it loads numpy and
the controller only, not the other model-based searchers and scipy)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tunesmith.schedulers.fifo import FIFOScheduler
from tunesmith.searchers.rl import RLSearcher

__all__ = ["RLScheduler"]


class RLScheduler(FIFOScheduler):
    """Reinforcement-learning search (Zoph & Le, 2017: "Neural Architecture Search with
    Reinforcement Learning"; AutoGluon's ``RLScheduler``): every trial runs to its end; an LSTM
    controller samples each config, one decision per hyperparameter, and every
    ``controller_batch_size`` results make one REINFORCE update against a moving-average
    baseline. The arguments are those of :class:`~tunesmith.searchers.rl.RLSearcher`, with
    AutoGluon's defaults; for RL inside Hyperband pass that searcher to
    :class:`~tunesmith.schedulers.HyperbandScheduler`.

    AutoGluon runs each batch's trials together and samples the next batch after all of them
    ended; here a free worker gets a config at once, sampled by the controller as it is then
    (the same when one worker runs the trials).

    >>> from tunesmith import choice
    >>> scheduler = RLScheduler(
    ...     {"x": choice(list(range(100)))}, metric="accuracy", mode="max", random_seed=0
    ... )
    >>> scheduler.suggest(0).config
    {'x': 63}
    """

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str,
        mode: str = "min",
        controller_batch_size: int = 1,
        controller_lr: float = 1e-3,
        ema_baseline_decay: float = 0.95,
        hidden_size: int = 100,
        softmax_temperature: float = 1.0,
        num_bins: int = 10,
        random_seed: int | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        allow_duplicates: bool = False,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
    ):
        searcher = RLSearcher(
            config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
            allow_duplicates=allow_duplicates,
            controller_batch_size=controller_batch_size,
            controller_lr=controller_lr,
            ema_baseline_decay=ema_baseline_decay,
            hidden_size=hidden_size,
            softmax_temperature=softmax_temperature,
            num_bins=num_bins,
            restrict_configurations=restrict_configurations,
        )
        super().__init__(config_space, searcher=searcher, metric=metric, mode=mode)
