"""RUSH's hurdles (Zappella, Salinas, Archambeau, 2021: "A resource-efficient method for
repeated HPO and NAS", AutoML workshop at ICML): ASHA with thresholds set by earlier tasks'
best configs.

The *hurdle* configs (``custom_rush_points``, then the best ``num_hyperparameters_per_task``
configs of each earlier task) are suggested first, before any ``points_to_evaluate``. When a
hurdle trial reaches a rung, its value there lowers the rung's threshold to the best value any
hurdle reached at that level. Every other trial must, besides passing the rung's successive
halving rule, be at least as good as the threshold (``<=`` for ``mode="min"``) to go on
(``type="rush_stopping"``) or to be promoted (``"rush_promotion"``); a rung no hurdle has
reached yet has no threshold. Hurdle trials themselves face the successive halving rule only.
(Syne Tune also sets the threshold only from hurdles that pass the rule; here every hurdle
value counts: it is the bar the earlier tasks' best configs set on this task.)

A trial is a hurdle when its config is one of the hurdle configs. Thresholds only tighten, so a
paused trial found above the threshold can never be promoted: it leaves the rung's waiting list
(it stays paused, as any trial never promoted).

This module holds the logic; :class:`~tunesmith.schedulers.hyperband.HyperbandScheduler` calls
it for the two ``rush_*`` types.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tunesmith.schedulers._rung import Rung
from tunesmith.searchers.transfer import check_evaluations, top_configs_per_task
from tunesmith.space import complete_config, config_key, hyperparameters

__all__ = ["RUSH_TYPES", "RushHurdles", "hurdle_points", "setup_rush"]

#: HyperbandScheduler types that run RUSH, and the base type each one extends
RUSH_TYPES = {"rush_stopping": "stopping", "rush_promotion": "promotion"}


def hurdle_points(
    config_space: Mapping[str, Any],
    *,
    metric: str,
    mode: str,
    transfer_learning_evaluations: Mapping[str, Any] | None,
    num_hyperparameters_per_task: int,
    custom_rush_points: Sequence[Mapping[str, Any]] | None,
) -> list[dict[str, Any]]:
    """The hurdle configs, in the order they are tried, without repeats."""
    points: list[dict[str, Any]] = []
    if custom_rush_points is not None:
        if isinstance(custom_rush_points, Mapping) or not isinstance(custom_rush_points, Sequence):
            raise TypeError(
                "`custom_rush_points` must be a list of (partial) configs, but got "
                f"{custom_rush_points!r}"
            )
        points += [
            complete_config(config_space, p, what=f"custom_rush_points[{i}]")
            for i, p in enumerate(custom_rush_points)
        ]
    if transfer_learning_evaluations is not None:
        evaluations = check_evaluations(transfer_learning_evaluations, metric)
        per_task = top_configs_per_task(
            evaluations,
            num_hyperparameters_per_task,
            metric=metric,
            mode=mode,
            config_space=config_space,
        )
        for configs in per_task.values():
            points += configs
    names = list(hyperparameters(config_space))
    seen: set[tuple] = set()
    out = []
    for point in points:
        key = config_key(point, names)
        if key not in seen:
            seen.add(key)
            out.append(point)
    if not out:
        raise ValueError(
            "RUSH needs hurdle configs: pass `transfer_learning_evaluations` (earlier tasks' "
            "evaluations) or `custom_rush_points`"
        )
    return out


class RushHurdles:
    """The hurdle configs and the threshold of each rung level (scores: lower is better)."""

    def __init__(self, config_space: Mapping[str, Any], points: Sequence[Mapping[str, Any]]):
        self._names = list(hyperparameters(config_space))
        self._keys = {config_key(p, self._names) for p in points}
        self.thresholds: dict[int, float] = {}

    def key(self, config: Mapping[str, Any]) -> tuple:
        return config_key(config, self._names)

    def is_hurdle(self, config: Mapping[str, Any]) -> bool:
        return config_key(config, self._names) in self._keys

    def record(self, config: Mapping[str, Any], level: int, score: float) -> None:
        """A trial's ``score`` at rung ``level``: a hurdle's lowers the threshold."""
        if self.is_hurdle(config):
            old = self.thresholds.get(level)
            if old is None or score < old:
                self.thresholds[level] = score

    def meets(self, config: Mapping[str, Any], level: int, score: float) -> bool:
        """Whether a trial with ``score`` at ``level`` clears the hurdle (hurdles always do)."""
        threshold = self.thresholds.get(level)
        return threshold is None or score <= threshold or self.is_hurdle(config)

    def promotable(
        self, rung: Rung, configs: Mapping[int, Mapping[str, Any]], options: Mapping[str, Any]
    ) -> tuple[Any, ...] | None:
        """The entry :meth:`Rung.promotable` gives, once waiting trials that cannot clear the
        threshold (now or ever) are taken off the rung's waiting list."""
        while True:
            entry = rung.promotable(**options)
            if entry is None or self.meets(configs[entry[2]], rung.level, entry[0]):
                return entry
            rung.waiting.remove(entry)

    def state(self) -> list[list[float]]:
        return [[level, score] for level, score in sorted(self.thresholds.items())]

    def load(self, state: Sequence[Sequence[float]]) -> None:
        self.thresholds = {int(level): float(score) for level, score in state}


def setup_rush(
    scheduler: Any,
    searcher: Any,
    points_to_evaluate: Sequence[Mapping[str, Any]] | None,
    *,
    transfer_learning_evaluations: Mapping[str, Any] | None,
    num_hyperparameters_per_task: int,
    custom_rush_points: Sequence[Mapping[str, Any]] | None,
) -> tuple[RushHurdles, list[dict[str, Any]] | None]:
    """For a HyperbandScheduler being built: its hurdles, and the points to evaluate (the
    hurdles first). With a searcher instance, its own points to evaluate must hold the
    hurdles."""
    if scheduler.type not in RUSH_TYPES:
        raise ValueError(
            "`transfer_learning_evaluations` and `custom_rush_points` are used by "
            f"type='rush_stopping' or 'rush_promotion' only, but got type={scheduler.type!r}"
        )
    points = hurdle_points(
        scheduler.config_space,
        metric=scheduler.metric,
        mode=scheduler.mode,
        transfer_learning_evaluations=transfer_learning_evaluations,
        num_hyperparameters_per_task=num_hyperparameters_per_task,
        custom_rush_points=custom_rush_points,
    )
    hurdles = RushHurdles(scheduler.config_space, points)
    if isinstance(searcher, str):
        return hurdles, points + [dict(p) for p in points_to_evaluate or []]
    queued = searcher.state_dict().get("points", [])
    queued_keys = {hurdles.key(q) for q in queued}
    missing = [p for p in points if hurdles.key(p) not in queued_keys]
    if missing:
        raise ValueError(
            f"type={scheduler.type!r} tries the hurdle configs first, but the searcher "
            f"instance's points_to_evaluate lack {len(missing)} of them (e.g. {missing[0]}); "
            "pass a searcher name, or build the searcher with points_to_evaluate=hurdles "
            "(tunesmith.schedulers.rush.hurdle_points) first"
        )
    return hurdles, points_to_evaluate
