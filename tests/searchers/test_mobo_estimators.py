"""``estimators={metric: regressor}`` of RandomScalarizationGPSearcher,
MORandomScalarizationBayesOpt and MOLinearScalarizationBayesOpt: the given regressors model
those metrics, the others keep their GP. The suites with scikit-learn regressors skip when it
is not installed; the others use a small regressor written here."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from tunesmith import AskTell, uniform
from tunesmith.schedulers import (
    FIFOScheduler,
    MOLinearScalarizationBayesOpt,
    MORandomScalarizationBayesOpt,
)
from tunesmith.searchers import RandomScalarizationGPSearcher
from tunesmith.searchers.bayesopt import GPSearcher
from tunesmith.searchers.gp import GaussianProcess
from tunesmith.testing.scheduler_contract import SchedulerContract
from tunesmith.testing.searcher_contract import SearcherContract

needs_sklearn = pytest.mark.skipif(
    importlib.util.find_spec("sklearn") is None,
    reason='scikit-learn is not installed (pip install "tunesmith[sklearn]")',
)


def bayesian_ridge():
    from sklearn.linear_model import BayesianRidge

    return BayesianRidge()


#: the number of rows of each LinearWithStd fit (the searcher fits copies of the regressor)
FITS: list[int] = []


class LinearWithStd:
    """Least squares on the inputs, a constant standard deviation (the residuals'); records
    each fit in FITS."""

    def fit(self, X, y):
        A = np.c_[X, np.ones(len(X))]
        self.coef_, *_ = np.linalg.lstsq(A, y, rcond=None)
        self.std_ = max(float(np.std(y - A @ self.coef_)), 1e-3)
        FITS.append(len(y))
        return self

    def predict(self, X, return_std=False):
        mean = np.c_[X, np.ones(len(X))] @ self.coef_
        return (mean, np.full(len(X), self.std_)) if return_std else mean


# -- the contracts ------------------------------------------------------------------------------
@needs_sklearn
class TestSearcherWithAnEstimatorContract(SearcherContract):
    metrics = ("loss", "cost")

    def make_searcher(self, config_space, *, random_seed, **kwargs):
        return RandomScalarizationGPSearcher(
            config_space,
            metric=["loss", "cost"],
            random_seed=random_seed,
            num_init_random=3,
            num_candidates=200,
            estimators={"cost": bayesian_ridge()},
            **kwargs,
        )


@needs_sklearn
class TestMORandomScalarizationWithAnEstimatorContract(SchedulerContract):
    metrics = ("loss", "cost")

    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return MORandomScalarizationBayesOpt(
            config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            num_init_random=3,
            estimators={"cost": bayesian_ridge()},
        )


@needs_sklearn
class TestMOLinearScalarizationWithAnEstimatorContract(SchedulerContract):
    metrics = ("loss", "cost")

    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return MOLinearScalarizationBayesOpt(
            config_space,
            metric=metric,
            mode=mode,
            scalarization_weights=[1.0, 2.0],
            random_seed=random_seed,
            num_init_random=3,
            num_candidates=200,
            estimators={"loss": bayesian_ridge()},
        )


# -- behaviour ----------------------------------------------------------------------------------
SPACE = {"x": uniform(0, 1), "y": uniform(0, 1)}


def objectives(config):
    return {"f": config["x"] + 0.1 * config["y"], "g": (1 - config["x"]) ** 2 + config["y"]}


def run(scheduler, n):
    at = AskTell(scheduler)
    for _ in range(n):
        trial = at.ask()
        at.tell(trial, objectives(trial.config))
    return at


def test_the_given_metric_gets_the_regressor_and_the_others_a_gp():
    scheduler = MORandomScalarizationBayesOpt(
        SPACE,
        metric=["f", "g"],
        num_init_random=3,
        random_seed=0,
        estimators={"f": LinearWithStd()},
        target_transform="standardize",  # (f stays linear in x, for the exact fit below)
    )
    FITS.clear()
    run(scheduler, 8)
    searcher = scheduler.searcher
    model, gp = searcher._gps
    assert isinstance(gp, GaussianProcess) and not isinstance(model, GaussianProcess)
    # fitted to the model's rows (refits only when they change: one per new observation)
    assert list(range(3, 8)) == FITS
    # ... on the GP's inputs and the standardized values of f, which it fits exactly
    X = searcher._inputs(searcher._rows)
    y, _, _ = searcher._targets(0)
    mean, var = model.predict(X)
    np.testing.assert_allclose(mean, y, atol=1e-6)
    assert np.all(var > 0)


def test_a_resumed_searcher_refits_the_same_regressor():
    def make():
        return RandomScalarizationGPSearcher(
            SPACE,
            metric=["f", "g"],
            num_init_random=2,
            num_candidates=100,
            random_seed=4,
            estimators={"g": LinearWithStd()},
        )

    a = make()
    for _ in range(6):
        config = a.suggest()
        a.observe(config, objectives(config))
    b = make()
    b.load_state_dict(a.state_dict())
    for _ in range(4):
        config = a.suggest()
        assert b.suggest() == config
        a.observe(config, objectives(config))
        b.observe(config, objectives(config))


def test_fixed_weights_score_the_weighted_sum_of_the_values():
    # g alone (weights [0, 1]): its minimum is at x = 1, y = 0
    searcher = RandomScalarizationGPSearcher(
        SPACE,
        metric=["f", "g"],
        num_init_random=4,
        num_candidates=500,
        random_seed=1,
        scalarization_weights=[0.0, 1.0],
        estimators={"g": LinearWithStd()},
    )
    for _ in range(12):
        config = searcher.suggest()
        searcher.observe(config, objectives(config))
    config = searcher.suggest()
    assert config["x"] > 0.8 and config["y"] < 0.2


def test_mo_linear_with_estimators_uses_one_model_per_metric_and_its_weights():
    scheduler = MOLinearScalarizationBayesOpt(
        SPACE,
        metric=["f", "g"],
        mode=["min", "max"],
        scalarization_weights=[1.0, 3.0],
        random_seed=2,
        num_init_random=3,
        estimators={"g": LinearWithStd()},
    )
    searcher = scheduler.base_scheduler.searcher
    assert type(searcher) is RandomScalarizationGPSearcher
    assert (searcher.metric, searcher.mode) == (["f", "g"], ["min", "max"])
    assert searcher.scalarization_weights == [1.0, 3.0]
    assert scheduler.random_seed == searcher.random_seed == 2
    run(scheduler, 6)
    without = MOLinearScalarizationBayesOpt(SPACE, metric=["f", "g"], random_seed=2)
    assert type(without.base_scheduler.searcher) is GPSearcher  # one GP on the sum, as before


def test_the_estimators_are_in_the_spec():
    scheduler = MORandomScalarizationBayesOpt(
        SPACE, metric=["f", "g"], random_seed=0, estimators={"f": LinearWithStd()}
    )
    assert "LinearWithStd" in repr(scheduler.spec()["kwargs"]["estimators"])


# -- bad input ----------------------------------------------------------------------------------
class NoStd:
    def fit(self, X, y):
        return self

    def predict(self, X):
        return np.zeros(len(X))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"estimators": [LinearWithStd()]},
            TypeError,
            r"`estimators` must be a dict \{metric name: regressor\}, or None for a GP per "
            r"metric, but got \[",
        ),
        (
            {"estimators": {"h": LinearWithStd()}},
            ValueError,
            r"`estimators` has models for \['h'\], which are not among the metrics \['f', 'g'\]; "
            r"give models only for those \(the others keep their GP\)",
        ),
        (
            {"estimators": {"g": NoStd()}},
            TypeError,
            r"estimators\['g'\]: `estimator` must give a predictive uncertainty: "
            r"predict\(X, return_std=True\)",
        ),
        (
            {"estimators": {"g": object()}},
            TypeError,
            r"estimators\['g'\]: `estimator` must have fit\(X, y\) and predict\(X\) methods",
        ),
    ],
)
def test_bad_estimators(kwargs, error, message):
    with pytest.raises(error, match=message):
        MORandomScalarizationBayesOpt(SPACE, metric=["f", "g"], **kwargs)
    with pytest.raises(error, match=message):
        MOLinearScalarizationBayesOpt(SPACE, metric=["f", "g"], **kwargs)


def test_estimators_for_a_metric_the_scheduler_names_later():
    searcher = RandomScalarizationGPSearcher(SPACE, estimators={"loss": LinearWithStd()})
    with pytest.raises(ValueError, match=r"models for \['loss'\], which are not among the metrics"):
        FIFOScheduler(SPACE, searcher=searcher, metric=["f", "g"])


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([1.0], r"must have one weight per metric \(\['f', 'g'\]\), but got .*\[1.0\]"),
        ([1.0, -1.0], r"must be a list of finite numbers >= 0, not all 0, .*\[1.0, -1.0\]"),
        (
            [0, 0],
            r"must be .*, not all 0, one per metric, .* but got scalarization_weights=\[0, 0\]",
        ),
    ],
)
def test_bad_scalarization_weights(weights, message):
    with pytest.raises(ValueError, match=rf"`scalarization_weights` {message}"):
        RandomScalarizationGPSearcher(SPACE, metric=["f", "g"], scalarization_weights=weights)


def test_mo_linear_with_estimators_refuses_what_it_cannot_use():
    with pytest.raises(
        ValueError,
        match=r"with `estimators`, MOLinearScalarizationBayesOpt models each metric and takes "
        r"\['random_seed', .*\], but got \['acquisition'\]",
    ):
        MOLinearScalarizationBayesOpt(
            SPACE, metric=["f", "g"], acquisition="ei", estimators={"f": LinearWithStd()}
        )
