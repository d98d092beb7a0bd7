"""Grid search: every combination of the domains' grid values, in order or shuffled."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tunesmith.searchers.base import Searcher
from tunesmith.space import grid_axes

if TYPE_CHECKING:
    import numpy as np

__all__ = ["GridSearcher"]

_MAX_SHUFFLED = 50_000_000


class GridSearcher(Searcher):
    """The full product of all values of finite domains and ``num_samples`` evenly spread values
    of continuous ones, both ends included (an int, or a dict per name; default 5);
    ``centred=True`` gives Syne Tune's grid (see :func:`tunesmith.space.grid`). With
    ``shuffle=True`` (default) the grid is visited in a seeded random order, else the last key
    varies fastest.
    ``points_to_evaluate`` come first and are not repeated. Returns None when the grid is done.
    With ``restrict_configurations`` the grid is that list of configs (shuffled or in order).
    """

    multi_objective = True  # never looks at results

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str | None = None,
        mode: str = "min",
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        random_seed: int | None = None,
        num_samples: int | Mapping[str, int] = 5,
        shuffle: bool = True,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
        centred: bool = False,
    ):
        super().__init__(
            config_space,
            metric=metric,
            mode=mode,
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
            restrict_configurations=restrict_configurations,
        )
        _, self._axes = grid_axes(self.config_space, num_samples, centred=bool(centred))
        self.num_samples = num_samples
        self.centred = bool(centred)
        self.shuffle = bool(shuffle)
        self.size = math.prod(len(a) for a in self._axes)
        if self.shuffle and self.size > _MAX_SHUFFLED and restrict_configurations is None:
            raise ValueError(
                f"the grid has {self.size} configs, too many to shuffle (limit {_MAX_SHUFFLED}); "
                "lower `num_samples`, pass shuffle=False, or use RandomSearch"
            )
        self._position = 0
        self._perm_seed = int(self.rng.integers(2**63))
        self._perm: np.ndarray | None = None

    def _index_to_config(self, index: int) -> dict[str, Any]:
        values = []
        for axis in reversed(self._axes):
            index, j = divmod(index, len(axis))
            values.append(axis[j])
        config = dict(self.config_space)
        config.update(zip(self._names, reversed(values), strict=True))
        return config

    def _order(self, position: int) -> int:
        if not self.shuffle:
            return position
        if self._perm is None:
            import numpy as np

            self._perm = np.random.default_rng(self._perm_seed).permutation(self.size)
        return int(self._perm[position])

    def _suggest(self) -> dict[str, Any] | None:
        while self._position < self.size:
            config = self._index_to_config(self._order(self._position))
            self._position += 1
            if self._is_new(config):
                return config
        return None

    def _restricted_order(self, n: int) -> list[int]:
        return super()._restricted_order(n) if self.shuffle else list(range(n))

    @property
    def remaining(self) -> int:
        """Grid positions not yet visited (points already evaluated are skipped later)."""
        return self.size - self._position

    def _extra_state(self) -> dict[str, Any]:
        return {"position": self._position, "perm_seed": self._perm_seed}

    def _load_extra_state(self, state: Mapping[str, Any]) -> None:
        self._position = int(state["position"])
        if int(state["perm_seed"]) != self._perm_seed:
            self._perm_seed = int(state["perm_seed"])
            self._perm = None
