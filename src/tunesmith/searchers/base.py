"""The searcher contract: which configuration to evaluate next.

A searcher never knows about processes, time or storage. Schedulers call it::

    config = searcher.suggest()           # None: nothing left to suggest
    searcher.pending(config)              # the config is being evaluated
    searcher.observe(config, {"loss": 0.3}, resource=epoch)
    searcher.withdraw(config, resource=epoch)  # forget that result (replaced by a later one)
    searcher.failed(config)               # its evaluation failed

``state_dict()`` returns JSON-serializable data; ``load_state_dict()`` into a searcher built with
the same arguments continues exactly as the original would have.
"""

from __future__ import annotations

import logging
import operator
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from tunesmith.randomness import Stream, fresh_seed, stream_state
from tunesmith.space import check_space, complete_config, config_key, hyperparameters
from tunesmith.spec import Specified, spec_of
from tunesmith.trial import check_metric_mode, single_metric_message

if TYPE_CHECKING:  # numpy is imported where it is used: a worker process importing the
    # user's script (and so the schedulers) does not load it unless a trial does
    import numpy as np

logger = logging.getLogger("tunesmith")

__all__ = ["Searcher", "make_seed"]


def make_seed(random_seed: int | None) -> int:
    """``random_seed`` checked, or a fresh one from OS entropy (kept, so runs can be replayed)."""
    if random_seed is None:
        return fresh_seed()
    try:  # an int or a numpy integer, checked without importing numpy
        seed = None if isinstance(random_seed, bool) else operator.index(random_seed)
    except TypeError:
        seed = None
    if seed is None:
        raise TypeError(f"`random_seed` must be an int or None, but got {random_seed!r}")
    if seed < 0:
        raise ValueError(f"`random_seed` must be >= 0, but got random_seed={random_seed}")
    return seed


class Searcher(Specified, ABC):
    """Base class of searchers. Subclasses implement :meth:`_suggest` and, if they learn,
    :meth:`observe`; :meth:`_extra_state` / :meth:`_load_extra_state` add their own state.

    ``points_to_evaluate`` (partial configs, completed from the default config) are suggested
    first. With ``allow_duplicates=False`` no config is suggested twice.

    ``restrict_configurations``: a list of configs (e.g. a tabulated benchmark's,
    ``blackbox.configurations()``) the searcher may suggest, and no other. By default they are
    drawn at random (without repeats unless ``allow_duplicates``) through
    :meth:`_suggest_restricted`; searchers that rank candidates override it to rank these.

    ``self.rng`` is the stream of ``numpy.random.default_rng(random_seed)``: a
    :class:`~tunesmith.randomness.Stream`, which has every ``Generator`` method (numpy is
    imported at the first one other than ``random()``); where an API wants a real
    ``numpy.random.Generator`` (``seed=``/``random_state=`` of numpy or scipy), pass
    ``self.rng.generator``, the same stream.
    """

    #: whether the class takes several metrics (set in each class's own body: a subclass
    #: that learns from one value does not inherit it); the others raise a ValueError naming it
    multi_objective: ClassVar[bool] = False

    def __new__(cls, *args: Any, **kwargs: Any):
        metric = kwargs.get("metric")
        if (
            isinstance(metric, list | tuple)
            and len(metric) > 1
            and not cls.__dict__.get("multi_objective", False)
        ):
            raise ValueError(single_metric_message(cls.__name__, metric))
        return super().__new__(cls, *args, **kwargs)

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str | list[str] | None = None,
        mode: str | list[str] = "min",
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        random_seed: int | None = None,
        allow_duplicates: bool = False,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
    ):
        self.config_space = check_space(config_space)
        self.metric: str | list[str] | None = None
        self.mode = mode
        if metric is not None:
            self.configure(metric=metric, mode=mode)
        elif not isinstance(mode, str) or mode not in ("min", "max"):
            raise ValueError(f"`mode` must be 'min' or 'max', but got mode={mode!r}")
        self.random_seed = make_seed(random_seed)
        # numpy.random.default_rng(seed)'s stream; numpy is imported only when more than
        # uniform draws are asked of it (a random search never does)
        self.rng: Any = Stream(self.random_seed)
        self.allow_duplicates = bool(allow_duplicates)
        self._names = list(hyperparameters(self.config_space))
        self._seen: set[tuple] = set()
        self._points: deque[dict[str, Any]] = deque(
            _check_points(self.config_space, points_to_evaluate)
        )
        self._restricted = _check_restricted(self.config_space, restrict_configurations)
        self._restrict_position = 0
        self._restrict_perm: list[int] | None = None
        self._restricted_vectors: np.ndarray | None = None  # their unit encodings, when needed
        self._space_encoder: Any = None  # a SpaceEncoder of the space, made when first needed
        if self._restricted is not None:
            allowed = {self._key(c) for c in self._restricted}
            for i, point in enumerate(self._points):
                if self._key(point) not in allowed:
                    raise ValueError(
                        f"points_to_evaluate[{i}]={point} is not one of the "
                        "`restrict_configurations`"
                    )
            self._restrict_seed = int(self.rng.integers(2**63))

    def configure(self, *, metric: str | list[str], mode: str | list[str]) -> None:
        """Set the metric and mode (schedulers call this for searchers built without them); lists
        of them only for a class with ``multi_objective = True`` of its own."""
        single = None if type(self).__dict__.get("multi_objective", False) else type(self).__name__
        self.metric, self.mode = check_metric_mode(metric, mode, single=single)

    # -- the contract ----------------------------------------------------------------------
    def suggest(self) -> dict[str, Any] | None:
        """The next config to evaluate, or None when the searcher has nothing left."""
        while self._points:
            config = self._points.popleft()
            if self._is_new(config):
                self._mark_seen(config)
                return config
        config = self._suggest() if self._restricted is None else self._suggest_restricted()
        if config is not None:
            self._mark_seen(config)
        return config

    @abstractmethod
    def _suggest(self) -> dict[str, Any] | None:
        """A new config, unseen unless duplicates are allowed (None: exhausted)."""

    def _suggest_restricted(self) -> dict[str, Any] | None:
        """A config among ``restrict_configurations``: a uniform draw (without repeats unless
        duplicates are allowed: in the order of :meth:`_restricted_order`); None when all were
        suggested."""
        configs = self._restricted
        assert configs is not None
        if self.allow_duplicates:
            return dict(configs[int(self.rng.integers(len(configs)))])
        if self._restrict_perm is None:
            self._restrict_perm = self._restricted_order(len(configs))
        while self._restrict_position < len(configs):
            config = configs[self._restrict_perm[self._restrict_position]]
            self._restrict_position += 1
            if self._is_new(config):
                return dict(config)
        return None

    def _restricted_order(self, n: int) -> list[int]:
        """The order in which :meth:`_suggest_restricted` visits the ``n`` restricted configs
        (default: a permutation drawn once from the searcher's seed)."""
        import numpy as np

        return np.random.default_rng(self._restrict_seed).permutation(n).tolist()

    def _nearest_restricted(self, vector: Any) -> tuple[dict[str, Any], np.ndarray] | None:
        """The ``restrict_configurations`` config nearest to ``vector`` (Euclidean, on the unit
        encoding of :class:`~tunesmith.searchers.acquisition.SpaceEncoder`) that was not
        suggested before (any, with ``allow_duplicates``; ties at random), marked seen, and its
        encoding; None when all were suggested. For searchers that move in the space
        (evolution) on a table."""
        assert self._restricted is not None
        if self._restricted_vectors is None:
            self._restricted_vectors = self._unit_encoder().encode_all(self._restricted)
        import numpy as np

        vectors = self._restricted_vectors
        distance = ((vectors - np.asarray(vector, dtype=float)) ** 2).sum(axis=1)
        # ties (common on grids) are broken at random, not in favour of the first rows: the
        # order is by distance, then by a uniform draw per row (then by row). It is visited a
        # band of distances at a time (the nearest `size` rows and every row tied with the
        # farthest of them), so that a table of many configs is not sorted whole each time
        draws = self.rng.random(len(distance))
        rows, size = np.arange(len(distance)), 64
        while rows.size:
            if rows.size > size:
                edge = np.partition(distance[rows], size - 1)[size - 1]
                near = distance[rows] <= edge  # (a NaN distance is in no band but the last)
                band, rows = rows[near], rows[~near]
            else:
                band, rows = rows, rows[:0]
            for i in band[np.lexsort((draws[band], distance[band]))].tolist():
                config = self._restricted[i]
                if self._is_new(config):
                    self._mark_seen(config)
                    return dict(config), vectors[i]
            size *= 4
        return None

    def _unit_encoder(self) -> Any:
        """The :class:`~tunesmith.searchers.acquisition.SpaceEncoder` of the space (the unit
        encoding :meth:`_nearest_restricted` measures distances on), made on first use."""
        if self._space_encoder is None:
            from tunesmith.searchers.acquisition import SpaceEncoder

            self._space_encoder = SpaceEncoder(self.config_space)
        return self._space_encoder

    @property
    def restrict_configurations(self) -> list[dict[str, Any]] | None:
        """The configs the searcher is restricted to (None: the whole space)."""
        return None if self._restricted is None else [dict(c) for c in self._restricted]

    def observe(
        self, config: Mapping[str, Any], metrics: Mapping[str, Any], resource: int | None = None
    ) -> None:
        """A result of ``config`` (at ``resource``, for multi-fidelity searchers)."""

    def withdraw(self, config: Mapping[str, Any], resource: int | None = None) -> None:
        """Forget the observation of ``config`` at ``resource``: a multi-fidelity scheduler
        with ``searcher_data="rungs_and_last"`` replaces a trial's result between rung levels
        by its next one this way. Searchers that keep observations per (config, resource)
        remove that one; nothing is done (the default) by those that ignore resources or keep
        one observation per config, which the trial's next, higher-resource observation
        replaces anyway. A withdrawal of nothing observed is ignored."""

    def pending(self, config: Mapping[str, Any], resource: int | None = None) -> None:
        """``config`` is being evaluated (at ``resource``)."""

    def failed(self, config: Mapping[str, Any]) -> None:
        """The evaluation of ``config`` failed."""

    # -- duplicates ------------------------------------------------------------------------
    def _key(self, config: Mapping[str, Any]) -> tuple:
        return config_key(config, self._names)

    def _is_new(self, config: Mapping[str, Any]) -> bool:
        return self.allow_duplicates or self._key(config) not in self._seen

    def _mark_seen(self, config: Mapping[str, Any]) -> None:
        self._seen.add(self._key(config))

    def _unseen(self, keys: Sequence[tuple]) -> list[int]:
        """Positions of the ``keys`` whose configs may still be suggested (all of them with
        ``allow_duplicates``)."""
        if self.allow_duplicates:
            return list(range(len(keys)))
        seen = self._seen
        return [i for i, k in enumerate(keys) if k not in seen]

    @property
    def num_seen(self) -> int:
        """Number of distinct configs suggested so far."""
        return len(self._seen)

    # -- state -----------------------------------------------------------------------------
    def spec(self, **overrides: Any) -> dict[str, Any]:
        """The class and constructor arguments, as JSON data (see :mod:`tunesmith.spec`)."""
        return spec_of(self, **overrides)

    def state_dict(self) -> dict[str, Any]:
        state = {
            "random_seed": self.random_seed,
            "rng": stream_state(self.rng),
            "seen": [list(k) for k in self._seen],
            "points": [dict(p) for p in self._points],
        }
        if self._restricted is not None:
            state["restrict"] = [self._restrict_seed, self._restrict_position]
        state.update(self._extra_state())
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.random_seed = state["random_seed"]
        self.rng = Stream.from_state(state["rng"])
        self._seen = {tuple(k) for k in state["seen"]}
        self._points = deque(dict(p) for p in state["points"])
        if "restrict" in state:
            seed, self._restrict_position = (int(v) for v in state["restrict"])
            if seed != self._restrict_seed:
                self._restrict_seed, self._restrict_perm = seed, None
        self._load_extra_state(state)

    def _extra_state(self) -> dict[str, Any]:
        return {}

    def _load_extra_state(self, state: Mapping[str, Any]) -> None:
        pass

    def __repr__(self) -> str:
        return f"{type(self).__name__}(metric={self.metric!r}, mode={self.mode!r})"


def _check_points(
    config_space: Mapping[str, Any], points: Sequence[Mapping[str, Any]] | None
) -> list[dict[str, Any]]:
    if points is None:
        return []
    if isinstance(points, Mapping) or not isinstance(points, Sequence):
        raise TypeError(
            f"`points_to_evaluate` must be a list of (partial) configs, but got {points!r}"
        )
    return [
        complete_config(config_space, p, what=f"points_to_evaluate[{i}]")
        for i, p in enumerate(points)
    ]


def _check_restricted(
    config_space: Mapping[str, Any], configs: Sequence[Mapping[str, Any]] | None
) -> list[dict[str, Any]] | None:
    """The configs of ``restrict_configurations``, validated, without duplicates."""
    if configs is None:
        return None
    if isinstance(configs, Mapping) or not isinstance(configs, Sequence):
        raise TypeError(
            f"`restrict_configurations` must be a list of configs, but got {type(configs).__name__}"
        )
    names = list(hyperparameters(config_space))
    out, seen = [], set()
    for i, config in enumerate(configs):
        config = complete_config(config_space, config, what=f"restrict_configurations[{i}]")
        key = config_key(config, names)
        if key not in seen:
            seen.add(key)
            out.append(config)
    if not out:
        raise ValueError("`restrict_configurations` must not be empty")
    return out
