"""The contract every searcher passes. Subclass and implement :meth:`make_searcher`::

    class TestMySearcher(SearcherContract):
        def make_searcher(self, config_space, **kwargs):
            return MySearcher(config_space, metric="loss", **kwargs)

Class attributes say which optional behaviours the searcher has. A searcher built with several
metrics sets ``metrics = ("loss", "cost")``: its observations then also carry ``cost``
(:func:`~tunesmith.testing.spaces.cost`, in conflict with ``loss``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from tunesmith.searchers.base import Searcher
from tunesmith.space import config_errors, config_key, hyperparameters
from tunesmith.testing.spaces import FINITE_SPACE, MIXED_SPACE, cost, objective

__all__ = ["SearcherContract"]


class SearcherContract:
    #: the searcher returns None once every config of a finite space was suggested
    exhausts_finite_space: bool = True
    #: the searcher accepts ``points_to_evaluate``
    supports_points_to_evaluate: bool = True
    #: the metrics each observation carries (the searcher is built by :meth:`make_searcher`)
    metrics: tuple[str, ...] = ("loss",)

    def make_searcher(
        self, config_space: Mapping[str, Any], *, random_seed: int, **kwargs: Any
    ) -> Searcher:
        raise NotImplementedError

    # -- helpers ---------------------------------------------------------------------------
    def _run(self, searcher: Searcher, space: Mapping[str, Any], n: int) -> list[dict]:
        """Suggest ``n`` configs, observing each (failing every fifth), as a tuner would."""
        out = []
        for i in range(n):
            config = searcher.suggest()
            if config is None:
                break
            searcher.pending(config)
            if i % 5 == 4:
                searcher.failed(config)
            else:
                metrics = {"loss": objective(config, space)}
                if "cost" in self.metrics:
                    metrics["cost"] = cost(config, space)
                searcher.observe(config, metrics)
            out.append(config)
        return out

    # -- the contract ----------------------------------------------------------------------
    def test_suggestions_are_valid(self):
        searcher = self.make_searcher(MIXED_SPACE, random_seed=1)
        for config in self._run(searcher, MIXED_SPACE, 30):
            assert config_errors(MIXED_SPACE, config) == []
            assert config["epochs"] == 9

    def test_same_seed_same_sequence(self):
        a = self._run(self.make_searcher(MIXED_SPACE, random_seed=7), MIXED_SPACE, 25)
        b = self._run(self.make_searcher(MIXED_SPACE, random_seed=7), MIXED_SPACE, 25)
        assert a == b
        c = self._run(self.make_searcher(MIXED_SPACE, random_seed=8), MIXED_SPACE, 25)
        assert a != c

    @pytest.mark.parametrize("split", [0, 3, 12])
    def test_state_dict_round_trip_continues_identically(self, split):
        original = self.make_searcher(MIXED_SPACE, random_seed=3)
        self._run(original, MIXED_SPACE, split)
        state = json.loads(json.dumps(original.state_dict()))  # must be JSON-serializable
        clone = self.make_searcher(MIXED_SPACE, random_seed=3)
        clone.load_state_dict(state)
        assert self._run(clone, MIXED_SPACE, 15) == self._run(original, MIXED_SPACE, 15)

    def test_no_duplicates_and_exhaustion(self):
        searcher = self.make_searcher(FINITE_SPACE, random_seed=0)
        configs = self._run(searcher, FINITE_SPACE, 200)
        names = list(hyperparameters(FINITE_SPACE))
        keys = [config_key(c, names) for c in configs]
        assert len(keys) == len(set(keys)), "a config was suggested twice"
        if self.exhausts_finite_space:
            assert len(configs) == 24
            assert searcher.suggest() is None

    def test_points_to_evaluate_come_first(self):
        if not self.supports_points_to_evaluate:
            pytest.skip("searcher has no points_to_evaluate")
        points = [{"lr": 1e-3}, {"lr": 1e-2, "act": "tanh", "layers": 2}]
        searcher = self.make_searcher(MIXED_SPACE, random_seed=0, points_to_evaluate=points)
        first, second = searcher.suggest(), searcher.suggest()
        assert first["lr"] == 1e-3 and first["act"] == "relu"  # completed from the default
        assert second["act"] == "tanh" and second["layers"] == 2
        assert config_errors(MIXED_SPACE, first) == []

    def test_bad_points_to_evaluate_rejected(self):
        if not self.supports_points_to_evaluate:
            pytest.skip("searcher has no points_to_evaluate")
        with pytest.raises(ValueError, match="unknown keys"):
            self.make_searcher(MIXED_SPACE, random_seed=0, points_to_evaluate=[{"nope": 1}])
        with pytest.raises(ValueError, match="'layers'=99 is invalid"):
            self.make_searcher(MIXED_SPACE, random_seed=0, points_to_evaluate=[{"layers": 99}])

    # -- restrict_configurations (searchers whose constructor takes it) -----------------------
    def _restricted(self, random_seed: int, allowed: list[dict], **kwargs: Any) -> Searcher:
        import inspect

        searcher = self.make_searcher(MIXED_SPACE, random_seed=random_seed)
        if "restrict_configurations" not in inspect.signature(type(searcher)).parameters:
            pytest.skip("the searcher takes no restrict_configurations")
        return self.make_searcher(
            MIXED_SPACE, random_seed=random_seed, restrict_configurations=allowed, **kwargs
        )

    def _allowed(self, n: int = 7) -> list[dict]:
        import numpy as np

        from tunesmith.space import sample_config

        rng = np.random.default_rng(123)
        return [sample_config(MIXED_SPACE, rng) for _ in range(n)]

    def test_restrict_configurations_suggests_only_those_once(self):
        allowed = self._allowed()
        searcher = self._restricted(0, allowed)
        names = list(hyperparameters(MIXED_SPACE))
        keys = {config_key(c, names) for c in allowed}
        configs = self._run(searcher, MIXED_SPACE, 20)
        suggested = [config_key(c, names) for c in configs]
        assert set(suggested) <= keys, "suggested a config outside restrict_configurations"
        assert len(suggested) == len(set(suggested)), "a config was suggested twice"
        if self.exhausts_finite_space:
            assert len(suggested) == len(keys)
            assert searcher.suggest() is None

    def test_restrict_configurations_state_dict_round_trip(self):
        allowed = self._allowed(12)
        original = self._restricted(5, allowed)
        self._run(original, MIXED_SPACE, 4)
        state = json.loads(json.dumps(original.state_dict()))
        clone = self._restricted(5, allowed)
        clone.load_state_dict(state)
        assert self._run(clone, MIXED_SPACE, 6) == self._run(original, MIXED_SPACE, 6)

    def test_restrict_configurations_rejects_outside_points(self):
        allowed = self._allowed(3)
        self._restricted(0, allowed)  # skips searchers without the option
        with pytest.raises(ValueError, match="not one of the `restrict_configurations`"):
            self.make_searcher(
                MIXED_SPACE,
                random_seed=0,
                restrict_configurations=allowed,
                points_to_evaluate=[{"lr": 0.0123}],
            )
        with pytest.raises(ValueError, match=r"restrict_configurations\[0\]"):
            self.make_searcher(MIXED_SPACE, random_seed=0, restrict_configurations=[{"layers": 99}])
