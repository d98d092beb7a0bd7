"""``syne_tune.StoppingCriterion``: tunesmith's criterion with Syne Tune's argument order and
its cost field (``st_worker_cost``). Limits end the run when reached (Syne Tune: once a count
is *more* than its limit); see docs/migrate-synetune.md."""

from __future__ import annotations

from collections.abc import Mapping

from tunesmith.compat.synetune.constants import ST_WORKER_COST
from tunesmith.stopping import StoppingCriterion as _Native

__all__ = ["StoppingCriterion"]


class StoppingCriterion(_Native):
    """Stop once any limit is reached; Syne Tune's arguments, in its order."""

    def __init__(
        self,
        max_wallclock_time: float | None = None,
        max_num_evaluations: int | None = None,
        max_num_trials_started: int | None = None,
        max_num_trials_completed: int | None = None,
        max_cost: float | None = None,
        max_num_trials_finished: int | None = None,
        min_metric_value: Mapping[str, float] | None = None,
        max_metric_value: Mapping[str, float] | None = None,
    ) -> None:
        super().__init__(
            max_wallclock_time=max_wallclock_time,
            max_num_trials_started=max_num_trials_started,
            max_num_trials_completed=max_num_trials_completed,
            max_num_trials_finished=max_num_trials_finished,
            max_num_evaluations=max_num_evaluations,
            max_cost=max_cost,
            min_metric_value=min_metric_value,
            max_metric_value=max_metric_value,
            cost_attr=ST_WORKER_COST,
        )
