import json

import numpy as np
import pytest

from tunesmith.searchers.cqr import CQRSearcher, conformal_corrections
from tunesmith.searchers.random import RandomSearcher
from tunesmith.space import uniform
from tunesmith.testing.searcher_contract import SearcherContract
from tunesmith.testing.spaces import MIXED_SPACE, objective

FAST = {"max_iter": 30, "hidden": 8}


class TestCQRSearcherContract(SearcherContract):
    def make_searcher(self, config_space, *, random_seed, **kwargs):
        return CQRSearcher(
            config_space, metric="loss", random_seed=random_seed, regressor_kwargs=FAST, **kwargs
        )


@pytest.mark.slow
class TestCQRGBMContract(SearcherContract):
    def make_searcher(self, config_space, *, random_seed, **kwargs):
        pytest.importorskip("sklearn")
        return CQRSearcher(
            config_space,
            metric="loss",
            random_seed=random_seed,
            regressor="gbm",
            regressor_kwargs={"n_estimators": 5},
            num_quantiles=3,
            random_prob=0.1,
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
def test_beats_random_search_on_a_bowl():
    cqr = [min(run(CQRSearcher(SPACE, metric="loss", random_seed=s), 40, bowl)) for s in range(5)]
    rnd = [
        min(run(RandomSearcher(SPACE, metric="loss", random_seed=s), 40, bowl)) for s in range(5)
    ]
    assert np.median(cqr) < np.median(rnd)
    assert sum(c < r for c, r in zip(cqr, rnd, strict=True)) >= 4


def test_conformal_corrections_reach_the_nominal_coverage():
    rng = np.random.default_rng(0)
    quantiles = np.array([0.1, 0.3, 0.5, 0.7, 0.9])
    y = rng.normal(size=2000)
    # an overconfident model: its 10-90 % interval is [-0.2, 0.2] everywhere
    predicted = np.tile([-0.2, -0.1, 0.0, 0.1, 0.2], (2000, 1))
    shift = conformal_corrections(predicted[:1000], y[:1000], quantiles)
    assert shift[2] == 0.0 and shift[0] == -shift[4] and shift[1] == -shift[3]
    lo, hi = predicted[1000:, 0] + shift[0], predicted[1000:, 4] + shift[4]
    covered = np.mean((y[1000:] >= lo) & (y[1000:] <= hi))
    assert 0.77 <= covered <= 0.83  # nominal 80 %
    # an underconfident one is narrowed
    wide = np.tile([-5.0, -4.0, 0.0, 4.0, 5.0], (1000, 1))
    assert conformal_corrections(wide, y[:1000], quantiles)[4] < 0


def test_few_held_out_values_use_the_largest_score():
    shift = conformal_corrections(
        np.zeros((2, 3)), np.array([1.0, -3.0]), np.array([0.25, 0.5, 0.75])
    )
    assert shift.tolist() == [-3.0, 0.0, 3.0]


def test_predicted_quantiles_are_increasing_and_the_draw_uses_them():
    searcher = CQRSearcher(SPACE, metric="loss", random_seed=0, regressor_kwargs=FAST)
    run(searcher, 30, bowl)  # 30 >= 20: a conformal correction is fitted
    model = searcher._scorer(0)
    Q = model(np.random.default_rng(1).random((50, 3)))
    assert Q.shape == (50, 5)
    assert (np.diff(Q, axis=1) >= 0).all()


def test_state_round_trip_after_refits():
    a = CQRSearcher(MIXED_SPACE, metric="loss", random_seed=2, regressor_kwargs=FAST)
    loss = lambda c: objective(c, MIXED_SPACE)  # noqa: E731
    run(a, 57, loss)
    state = json.loads(json.dumps(a.state_dict()))
    b = CQRSearcher(MIXED_SPACE, metric="loss", random_seed=2, regressor_kwargs=FAST)
    b.load_state_dict(state)
    assert run(b, 6, loss) == run(a, 6, loss)


def test_mode_max():
    searcher = CQRSearcher(
        {"x": uniform(0, 1)}, metric="acc", mode="max", random_seed=0, regressor_kwargs=FAST
    )
    for _ in range(25):
        config = searcher.suggest()
        searcher.observe(config, {"acc": config["x"]})
    assert np.mean([searcher.suggest()["x"] for _ in range(5)]) > 0.6


def test_gbm_missing_gives_the_install_line(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "sklearn.ensemble", None)
    with pytest.raises(
        ImportError, match=r'regressor=.gbm. needs scikit-learn.*pip install "tunesmith\[sklearn\]"'
    ):
        CQRSearcher(SPACE, metric="loss", regressor="gbm")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"num_quantiles": 0},
            ValueError,
            "`num_quantiles` must be an int >= 1, but got num_quantiles=0",
        ),
        (
            {"regressor": "lgbm"},
            ValueError,
            r"`regressor` must be one of \['mlp', 'gbm'\], but got regressor='lgbm'",
        ),
        ({"valid_fraction": 0.7}, ValueError, r"`valid_fraction` must be a number in \[0.0, 0.5\]"),
        ({"num_init_random": 1}, ValueError, "`num_init_random` must be an int >= 2"),
        ({"num_candidates": 0}, ValueError, "`num_candidates` must be an int >= 1"),
        (
            {"regressor_kwargs": {"trees": 3}},
            ValueError,
            r"may hold \['alpha', 'hidden', 'max_iter'\]",
        ),
        ({"regressor_kwargs": "x"}, TypeError, "`regressor_kwargs` must be a dict or None"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, error, message):
    with pytest.raises(error, match=message):
        CQRSearcher(SPACE, metric="loss", **kwargs)
