import json

import numpy as np
import pytest

from tunesmith.searchers.random import RandomSearcher
from tunesmith.searchers.sklearn_surrogate import SKLearnSurrogateSearcher, predict_mean_std
from tunesmith.space import uniform
from tunesmith.testing.searcher_contract import SearcherContract
from tunesmith.testing.spaces import MIXED_SPACE, objective

sklearn = pytest.importorskip("sklearn")
from sklearn.ensemble import (  # noqa: E402
    BaggingRegressor,
    GradientBoostingRegressor,
    RandomForestRegressor,
)
from sklearn.linear_model import BayesianRidge, LinearRegression  # noqa: E402


class TestRandomForestContract(SearcherContract):
    def make_searcher(self, config_space, *, random_seed, **kwargs):
        return SKLearnSurrogateSearcher(
            config_space,
            estimator=RandomForestRegressor(n_estimators=8),
            metric="loss",
            random_seed=random_seed,
            num_candidates=200,
            **kwargs,
        )


class TestBayesianRidgeLCBContract(SearcherContract):
    def make_searcher(self, config_space, *, random_seed, **kwargs):
        return SKLearnSurrogateSearcher(
            config_space,
            estimator=BayesianRidge(),
            metric="loss",
            random_seed=random_seed,
            acquisition="lcb",
            kappa=2.0,
            **kwargs,
        )


SPACE = {"x": uniform(0, 1), "y": uniform(0, 1), "z": uniform(0, 1)}


def bowl(config):
    return (config["x"] - 0.7) ** 2 + (config["y"] - 0.2) ** 2 + (config["z"] - 0.5) ** 2


def run(searcher, n, loss):
    values = []
    for _ in range(n):
        config = searcher.suggest()
        searcher.observe(config, {"loss": loss(config)})
        values.append(loss(config))
    return values


@pytest.mark.slow
def test_random_forest_beats_random_search_on_a_bowl():
    def forest(s):
        return SKLearnSurrogateSearcher(
            SPACE, estimator=RandomForestRegressor(n_estimators=20), metric="loss", random_seed=s
        )

    model = [min(run(forest(s), 30, bowl)) for s in range(5)]
    rnd = [
        min(run(RandomSearcher(SPACE, metric="loss", random_seed=s), 30, bowl)) for s in range(5)
    ]
    assert np.median(model) < np.median(rnd)


def test_the_users_estimator_is_copied_and_seeded():
    forest = RandomForestRegressor(n_estimators=5)
    searcher = SKLearnSurrogateSearcher(SPACE, estimator=forest, metric="loss", random_seed=0)
    run(searcher, 8, bowl)
    assert not hasattr(forest, "estimators_")  # never fitted itself
    assert forest.random_state is None


def test_ensemble_mean_and_std_are_over_its_members():
    rng = np.random.default_rng(0)
    X, y = rng.random((40, 3)), rng.random(40)
    forest = RandomForestRegressor(n_estimators=7, random_state=0).fit(X, y)
    mean, std = predict_mean_std(forest, X[:5])
    members = np.array([t.predict(X[:5]) for t in forest.estimators_])
    assert np.allclose(mean, forest.predict(X[:5]))
    assert np.allclose(std, members.std(axis=0))
    bag = BaggingRegressor(n_estimators=4, max_features=2, random_state=0).fit(X, y)
    mean, std = predict_mean_std(bag, X[:5])
    assert np.allclose(mean, bag.predict(X[:5]))


def test_state_round_trip():
    def make():
        return SKLearnSurrogateSearcher(
            MIXED_SPACE,
            estimator=RandomForestRegressor(n_estimators=5),
            metric="loss",
            random_seed=3,
            num_candidates=100,
        )

    loss = lambda c: objective(c, MIXED_SPACE)  # noqa: E731
    a = make()
    run(a, 55, loss)
    b = make()
    b.load_state_dict(json.loads(json.dumps(a.state_dict())))
    assert run(b, 5, loss) == run(a, 5, loss)


@pytest.mark.parametrize(
    ("estimator", "message"),
    [
        (LinearRegression(), "must give a predictive uncertainty.*LinearRegression"),
        (GradientBoostingRegressor(), "must give a predictive uncertainty"),
        (object(), r"must have fit\(X, y\) and predict\(X\) methods"),
    ],
)
def test_estimators_without_uncertainty_are_rejected(estimator, message):
    with pytest.raises(TypeError, match=message):
        SKLearnSurrogateSearcher(SPACE, estimator=estimator, metric="loss")


def test_bad_acquisition_is_rejected():
    with pytest.raises(
        ValueError, match=r"`acquisition` must be one of \['ei', 'lcb'\], but got acquisition='pi'"
    ):
        SKLearnSurrogateSearcher(SPACE, estimator=BayesianRidge(), metric="loss", acquisition="pi")
