"""Random search: configs drawn independently from the domains' distributions."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

from tunesmith.searchers.base import Searcher
from tunesmith.space import Domain, grid_size, hyperparameters

logger = logging.getLogger("tunesmith")

__all__ = ["RandomSearcher"]

# Largest finite space whose unseen configs are enumerated once rejection sampling stalls.
_ENUMERATE_LIMIT = 2_000_000


class RandomSearcher(Searcher):
    """Samples every hyperparameter independently (Bergstra & Bengio, 2012).

    Without ``allow_duplicates`` a config is never suggested twice; a finite space is exhausted
    after all its configs were suggested, and :meth:`suggest` then returns None.
    With ``restrict_configurations`` it draws among those configs only.
    """

    multi_objective = True  # never looks at results (subclasses that do: not inherited)

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str | None = None,
        mode: str = "min",
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        random_seed: int | None = None,
        allow_duplicates: bool = False,
        max_retries: int = 100,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
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
        if not isinstance(max_retries, int) or max_retries < 1:
            raise ValueError(f"`max_retries` must be an int >= 1, but got {max_retries!r}")
        self.max_retries = max_retries
        hps = hyperparameters(self.config_space)
        self._domains: list[tuple[str, Domain]] = list(hps.items())
        finite = all(d.is_finite for d in hps.values())
        self._cardinality = math.prod(d.cardinality for d in hps.values()) if finite else None

    def _sample(self) -> dict[str, Any]:
        config = dict(self.config_space)  # keeps the space's key order
        us = self.rng.uniforms(len(self._domains))
        for (name, domain), u in zip(self._domains, us, strict=True):
            config[name] = domain.value_at(u)
        return config

    def _suggest(self) -> dict[str, Any] | None:
        if self.allow_duplicates:
            return self._sample()
        if self._cardinality is not None and len(self._seen) >= self._cardinality:
            return None
        for _ in range(self.max_retries):
            config = self._sample()
            if self._key(config) not in self._seen:
                return config
        return self._pick_unseen()

    def _pick_unseen(self) -> dict[str, Any] | None:
        """Rejection sampling stalled: choose among the unseen configs of a finite space."""
        if self._cardinality is None or grid_size(self.config_space) > _ENUMERATE_LIMIT:
            logger.warning(
                "RandomSearcher found no new config in %d draws; stopping the search",
                self.max_retries,
            )
            return None
        from tunesmith.space import grid

        unseen = [c for c in grid(self.config_space) if self._key(c) not in self._seen]
        if not unseen:
            return None
        return unseen[int(self.rng.integers(len(unseen)))]
