import json

import numpy as np
import pytest

from tunesmith.searchers.bore import BORESearcher
from tunesmith.searchers.random import RandomSearcher
from tunesmith.space import choice, config_errors, randint, uniform
from tunesmith.testing.searcher_contract import SearcherContract
from tunesmith.testing.spaces import MIXED_SPACE, objective

FAST = {"max_iter": 30, "hidden": 8}


class TestBORESearcherContract(SearcherContract):
    def make_searcher(self, config_space, *, random_seed, **kwargs):
        return BORESearcher(
            config_space,
            metric="loss",
            random_seed=random_seed,
            classifier_kwargs=FAST,
            **kwargs,
        )


class TestBORELogregCalibratedDEContract(SearcherContract):
    def make_searcher(self, config_space, *, random_seed, **kwargs):
        return BORESearcher(
            config_space,
            metric="loss",
            random_seed=random_seed,
            classifier="logreg",
            calibrate=True,
            acq_optimizer="de",
            feval_acq=60,
            random_prob=0.2,
            **kwargs,
        )


def run(searcher, n, loss):
    values = []
    for _ in range(n):
        config = searcher.suggest()
        searcher.observe(config, {"loss": loss(config)})
        values.append(loss(config))
    return values


def bowl(config):
    return (config["x"] - 0.7) ** 2 + (config["y"] - 0.2) ** 2


SPACE = {"x": uniform(0, 1), "y": uniform(0, 1)}


@pytest.mark.slow
def test_beats_random_search_on_a_bowl():
    bore = [min(run(BORESearcher(SPACE, metric="loss", random_seed=s), 30, bowl)) for s in range(5)]
    rnd = [
        min(run(RandomSearcher(SPACE, metric="loss", random_seed=s), 30, bowl)) for s in range(5)
    ]
    assert np.median(bore) < np.median(rnd)
    assert sum(b < r for b, r in zip(bore, rnd, strict=True)) >= 4


def test_first_init_random_configs_are_random_then_the_model_decides():
    searcher = BORESearcher(SPACE, metric="loss", random_seed=0, init_random=4)
    for _ in range(4):
        assert searcher.model_level() is None
        config = searcher.suggest()
        searcher.observe(config, {"loss": bowl(config)})
    assert searcher.model_level() == 0
    assert searcher._fitted_on is None  # no model was fitted for the random ones
    searcher.suggest()
    assert searcher._fitted_on[:2] == (0, 4)


def test_labels_mark_the_best_gamma_fraction():
    searcher = BORESearcher(SPACE, metric="loss", random_seed=0, gamma=0.25)
    assert searcher.labels(np.array([5.0, 1.0, 3.0, 2.0, 4.0, 0.0, 9.0, 8.0])).tolist() == [
        0,
        1,
        0,
        0,
        0,
        1,
        0,
        0,
    ]
    # at least one good and one bad
    assert searcher.labels(np.array([1.0, 2.0])).tolist() == [1, 0]
    tiny = BORESearcher(SPACE, metric="loss", random_seed=0, gamma=1.0)
    assert tiny.labels(np.array([3.0, 1.0, 2.0])).tolist() == [0, 1, 1]


def test_mode_max_labels_large_values_good():
    searcher = BORESearcher(SPACE, metric="acc", mode="max", random_seed=0, init_random=2)
    for x, acc in ((0.1, 0.1), (0.9, 0.9), (0.5, 0.5), (0.3, 0.3)):
        searcher.observe({"x": x, "y": 0.5}, {"acc": acc})
    assert searcher.labels(np.array(searcher._levels[0])[:, 1].astype(float)).tolist() == [
        0,
        1,
        0,
        0,
    ]
    config = searcher.suggest()
    assert config["x"] > 0.5


def test_multi_fidelity_model_uses_the_largest_level_with_enough_data():
    searcher = BORESearcher(SPACE, metric="loss", random_seed=0, init_random=3)
    rng = np.random.default_rng(0)
    for _ in range(3):  # 2 hyperparameters: a level needs max(3, 2 + 1) = 3 results
        config = {"x": float(rng.random()), "y": float(rng.random())}
        searcher.observe(config, {"loss": bowl(config)}, resource=1)
    assert searcher.model_level() == 1
    for _ in range(2):
        config = {"x": float(rng.random()), "y": float(rng.random())}
        searcher.observe(config, {"loss": bowl(config)}, resource=3)
    assert searcher.model_level() == 1
    searcher.observe({"x": 0.5, "y": 0.5}, {"loss": 1.0}, resource=3)
    assert searcher.model_level() == 3
    assert searcher.num_observations(1) == 3 and searcher.num_observations(3) == 3


def test_state_round_trip_after_refits_and_an_updated_observation():
    a = BORESearcher(MIXED_SPACE, metric="loss", random_seed=4, classifier_kwargs=FAST)
    run(a, 60, lambda c: objective(c, MIXED_SPACE))  # past refit_until: the model is reused
    first = a._levels[0][0][0]
    a.observe(first, {"loss": -5.0})  # changes the model's data: refit when next needed
    state = json.loads(json.dumps(a.state_dict()))
    b = BORESearcher(MIXED_SPACE, metric="loss", random_seed=4, classifier_kwargs=FAST)
    b.load_state_dict(state)
    loss = lambda c: objective(c, MIXED_SPACE)  # noqa: E731
    assert run(b, 8, loss) == run(a, 8, loss)


def test_withdraw_removes_one_observation_and_refits_a_model_that_held_it():
    searcher = BORESearcher(SPACE, metric="loss", random_seed=0, init_random=3)
    rng = np.random.default_rng(0)
    configs = [{"x": float(rng.random()), "y": float(rng.random())} for _ in range(5)]
    for config in configs:
        searcher.observe(config, {"loss": bowl(config)}, resource=2)
    searcher.observe(configs[0], {"loss": 0.0}, resource=1)
    searcher.suggest()
    assert searcher._fitted_on[:2] == (2, 5)
    searcher.withdraw(configs[0], resource=1)  # the level empties and goes
    searcher.withdraw(configs[0], resource=3)  # (nothing observed there: ignored)
    assert searcher._fitted_on[:2] == (2, 5)  # the model's data did not change
    searcher.withdraw(configs[1], resource=2)
    assert searcher._fitted_on is None and searcher._model is None  # refit when next needed
    fresh = BORESearcher(SPACE, metric="loss", random_seed=0, init_random=3)
    for config in configs[:1] + configs[2:]:
        fresh.observe(config, {"loss": bowl(config)}, resource=2)
    assert searcher._levels == fresh._levels and searcher._rows == fresh._rows
    state = json.loads(json.dumps(searcher.state_dict()))
    clone = BORESearcher(SPACE, metric="loss", random_seed=0, init_random=3)
    clone.load_state_dict(state)
    assert [clone.suggest() for _ in range(3)] == [searcher.suggest() for _ in range(3)]


def test_the_model_is_reused_between_refits():
    searcher = BORESearcher(SPACE, metric="loss", random_seed=0, classifier_kwargs=FAST)
    run(searcher, 60, bowl)
    fitted = searcher._fitted_on
    model = searcher._model
    config = searcher.suggest()
    searcher.observe(config, {"loss": bowl(config)})
    searcher.suggest()
    assert searcher._fitted_on == fitted and searcher._model is model
    assert fitted[1] >= 50


@pytest.mark.parametrize("optimizer", ["rs", "rs_with_replacement", "de"])
def test_every_acq_optimizer_gives_valid_unseen_configs(optimizer):
    space = {"a": randint(0, 9), "b": choice(["u", "v", "w"]), "c": uniform(0, 1)}
    searcher = BORESearcher(
        space,
        metric="loss",
        random_seed=1,
        acq_optimizer=optimizer,
        feval_acq=50,
        classifier_kwargs=FAST,
    )
    seen = set()
    for _ in range(20):
        config = searcher.suggest()
        assert config_errors(space, config) == []
        key = tuple(sorted(config.items()))
        assert key not in seen
        seen.add(key)
        searcher.observe(config, {"loss": config["a"] + config["c"]})


def test_restricted_with_replacement_stays_in_the_table():
    table = [{"x": x / 10, "y": 0.5} for x in range(10)]
    searcher = BORESearcher(
        SPACE,
        metric="loss",
        random_seed=0,
        init_random=3,
        acq_optimizer="rs_with_replacement",
        feval_acq=5,
        restrict_configurations=table,
        classifier_kwargs=FAST,
    )
    configs = run(searcher, 10, bowl) and searcher._seen
    assert len(configs) == 10
    assert searcher.suggest() is None


def test_sklearn_classifiers_when_installed():
    pytest.importorskip("sklearn")
    for classifier in ("rf", "gp"):
        searcher = BORESearcher(
            SPACE,
            metric="loss",
            random_seed=0,
            classifier=classifier,
            classifier_kwargs={"n_estimators": 10} if classifier == "rf" else {},
        )
        values = run(searcher, 10, bowl)
        assert len(values) == 10


def test_xgboost_missing_gives_the_install_line(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "xgboost", None)
    with pytest.raises(ImportError, match="pip install xgboost"):
        BORESearcher(SPACE, metric="loss", classifier="xgboost")


def test_sklearn_missing_gives_the_install_line(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "sklearn.ensemble", None)
    with pytest.raises(ImportError, match=r'pip install "tunesmith\[sklearn\]"'):
        BORESearcher(SPACE, metric="loss", classifier="rf")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"gamma": 0}, ValueError, r"`gamma` must be a number in \(0.0, 1.0\], but got gamma=0"),
        ({"gamma": 1.5}, ValueError, "gamma=1.5"),
        ({"classifier": "svm"}, ValueError, r"`classifier` must be one of \['mlp', 'logreg'"),
        ({"acq_optimizer": "cmaes"}, ValueError, r"acq_optimizer=.cmaes."),
        ({"feval_acq": 0}, ValueError, "`feval_acq` must be an int >= 1, but got feval_acq=0"),
        ({"init_random": 1}, ValueError, "`init_random` must be an int >= 2"),
        ({"random_prob": 2}, ValueError, r"`random_prob` must be a number in \[0.0, 1.0\]"),
        ({"calibrate": "yes"}, TypeError, "`calibrate` must be True or False"),
        ({"classifier_kwargs": {"depth": 3}}, ValueError, r"may hold \['alpha', 'hidden'"),
        ({"classifier_kwargs": {"hidden": 0}}, ValueError, r"classifier_kwargs\['hidden'\]"),
        ({"classifier_kwargs": [1]}, TypeError, "`classifier_kwargs` must be a dict or None"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, error, message):
    with pytest.raises(error, match=message):
        BORESearcher(SPACE, metric="loss", **kwargs)


def test_observe_needs_the_metric():
    searcher = BORESearcher(SPACE)
    with pytest.raises(ValueError, match="has no metric"):
        searcher.observe({"x": 0.1, "y": 0.1}, {"loss": 1.0})
