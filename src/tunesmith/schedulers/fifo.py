"""First in, first out: every trial runs to its end; a searcher picks the configs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tunesmith.schedulers.base import Scheduler
from tunesmith.searchers import SEARCHER_NAMES, check_searcher_name, searcher_class
from tunesmith.searchers.base import Searcher
from tunesmith.searchers.grid import GridSearcher
from tunesmith.searchers.random import RandomSearcher
from tunesmith.space import check_space
from tunesmith.trial import Suggestion, Trial

__all__ = ["FIFOScheduler", "GridSearch", "RandomSearch", "make_searcher"]


def make_searcher(
    searcher: str | Searcher,
    config_space: Mapping[str, Any],
    *,
    metric: str | list[str],
    mode: str | list[str],
    random_seed: int | None,
    points_to_evaluate: Sequence[Mapping[str, Any]] | None,
) -> Searcher:
    """A searcher instance from a name in :data:`~tunesmith.searchers.SEARCHER_NAMES` (one of
    :data:`~tunesmith.searchers.MULTI_OBJECTIVE_SEARCHER_NAMES` needs several metrics) or an
    instance (configured with the scheduler's metric and mode when it has none)."""
    if isinstance(searcher, str):
        check_searcher_name(searcher, metric)
        return searcher_class(searcher)(
            config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
        )
    if not isinstance(searcher, Searcher):
        raise TypeError(
            f"`searcher` must be one of {sorted(SEARCHER_NAMES)} or a Searcher instance, "
            f"but got {searcher!r} ({type(searcher).__name__})"
        )
    if points_to_evaluate is not None:
        raise ValueError("pass `points_to_evaluate` to the searcher instance, not to the scheduler")
    if searcher.config_space != dict(config_space):
        raise ValueError("the searcher was built with a different config space than the scheduler")
    if searcher.metric is None:
        searcher.configure(metric=metric, mode=mode)
    elif (searcher.metric, searcher.mode) != (metric, mode):
        raise ValueError(
            f"the searcher optimizes metric={searcher.metric!r}, mode={searcher.mode!r} but the "
            f"scheduler metric={metric!r}, mode={mode!r}"
        )
    return searcher


class FIFOScheduler(Scheduler):
    """Starts the searcher's configs one after another and lets every trial run to its end.

    ``searcher`` is a name of :data:`~tunesmith.searchers.SEARCHER_NAMES` (``"random"``,
    ``"grid"``, ``"bayesopt"``, ...) or a :class:`~tunesmith.searchers.Searcher`. The searcher
    sees each trial's last result when the trial completes.

    Several objectives (``metric=[...]``, ``mode=[...]`` or one mode for all) work with a
    searcher that takes them: ``"random"``, ``"grid"``, or one of
    :data:`~tunesmith.searchers.MULTI_OBJECTIVE_SEARCHER_NAMES` (``"nsga2"``, ``"morea"``,
    ``"mo_random_scalarization"``, ``"motpe"``, ``"ehvi"``), which need them; a result lacking
    one of them, or with a non-finite value, fails its trial.
    """

    multi_objective = True

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        searcher: str | Searcher = "random",
        metric: str | list[str],
        mode: str | list[str] = "min",
        random_seed: int | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
    ):
        super().__init__(metric=metric, mode=mode)
        self.config_space = check_space(config_space)
        self.searcher = make_searcher(
            searcher,
            self.config_space,
            metric=self.metric,
            mode=self.mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
        )
        self.random_seed = self.searcher.random_seed

    def suggest(self, trial_id: int) -> Suggestion | None:
        config = self.searcher.suggest()
        return None if config is None else Suggestion.start(config)

    def on_trial_add(self, trial: Trial) -> None:
        self.searcher.pending(trial.config)

    def on_trial_complete(self, trial: Trial, result: Mapping[str, Any]) -> None:
        self.score(result)
        self.searcher.observe(trial.config, result)

    def on_trial_error(self, trial: Trial) -> None:
        self.searcher.failed(trial.config)

    def on_trial_remove(self, trial: Trial) -> None:
        """Stopped from outside: no result will come, so it is no longer pending."""
        self.searcher.failed(trial.config)

    def state_dict(self) -> dict[str, Any]:
        return {"searcher": self.searcher.state_dict()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.searcher.load_state_dict(state["searcher"])

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(searcher={type(self.searcher).__name__}, "
            f"metric={self.metric!r}, mode={self.mode!r})"
        )


class RandomSearch(FIFOScheduler):
    """Random search (Bergstra & Bengio, 2012): FIFO scheduling of independently sampled configs
    (only among ``restrict_configurations`` when given, e.g. a tabulated benchmark's).

    >>> from tunesmith import RandomSearch, uniform
    >>> scheduler = RandomSearch({"x": uniform(0, 1)}, metric="loss", random_seed=0)
    >>> scheduler.suggest(0).config
    {'x': 0.6369616873214543}

    Several objectives: ``RandomSearch(space, metric=["err", "latency"], mode="min")``.
    """

    multi_objective = True

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str | list[str],
        mode: str | list[str] = "min",
        random_seed: int | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        allow_duplicates: bool = False,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
    ):
        searcher = RandomSearcher(
            config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
            allow_duplicates=allow_duplicates,
            restrict_configurations=restrict_configurations,
        )
        super().__init__(config_space, searcher=searcher, metric=metric, mode=mode)


class GridSearch(FIFOScheduler):
    """Grid search: every combination of finite domains and ``num_samples`` values of each
    continuous one (both ends included; ``centred=True``: Syne Tune's bin centres, see
    :class:`~tunesmith.searchers.GridSearcher`), shuffled (``shuffle=True``) or in order.
    Takes several objectives, as :class:`RandomSearch` does."""

    multi_objective = True

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str | list[str],
        mode: str | list[str] = "min",
        num_samples: int | Mapping[str, int] = 5,
        shuffle: bool = True,
        centred: bool = False,
        random_seed: int | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
    ):
        searcher = GridSearcher(
            config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
            num_samples=num_samples,
            shuffle=shuffle,
            centred=centred,
        )
        super().__init__(config_space, searcher=searcher, metric=metric, mode=mode)
