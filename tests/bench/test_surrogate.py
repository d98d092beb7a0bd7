"""SurrogateBlackbox: a regressor fitted on a table answers for any config."""

import numpy as np
import pytest

from tunesmith.bench import SurrogateBlackbox, TabularBlackbox
from tunesmith.space import loguniform, randint, sample_config, uniform

pytest.importorskip("sklearn")

SPACE = {"lr": loguniform(1e-3, 1.0), "width": randint(8, 64)}


def make_table(n=40):
    rng = np.random.default_rng(0)
    configs = [sample_config(SPACE, rng) for _ in range(n)]
    epochs = np.arange(1, 10)
    values = np.empty((n, 2, 9, 2))
    for i, c in enumerate(configs):
        for s in range(2):
            values[i, s, :, 0] = abs(np.log10(c["lr"]) + 2) + 1 / (epochs * c["width"]) + s * 0.01
            values[i, s, :, 1] = epochs * c["width"] / 10
    return TabularBlackbox(
        configs,
        values,
        metrics={"loss": "min", "time": "min"},
        fidelity_name="epoch",
        fidelities=range(1, 10),
        time_attr="time",
        config_space=SPACE,
    )


def test_nearest_neighbour_reproduces_the_table():
    table = make_table()
    surrogate = SurrogateBlackbox(table)
    for config in table.configurations()[:10]:
        for fidelity, seed in [(1, 0), (5, 1), (None, None)]:
            assert surrogate.evaluate(config, fidelity, seed) == pytest.approx(
                table.evaluate(config, fidelity, seed)
            )
    assert surrogate.configurations() is None and surrogate.name.endswith("-surrogate")


def test_answers_for_new_configs_with_coherent_curves():
    surrogate = SurrogateBlackbox(make_table())
    config = {"lr": 0.0137, "width": 33}
    curve = surrogate.curve(config, 0)
    assert curve.shape == (9, 2)
    assert np.all(np.diff(curve[:, 1]) > 0)  # time grows along the curve
    assert surrogate.evaluate(config, 3, 0)["loss"] == pytest.approx(curve[2, 0])
    with pytest.raises(ValueError, match="invalid: lr=5.0"):
        surrogate.evaluate({"lr": 5.0, "width": 10})


def test_any_regressor():
    from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
    from sklearn.linear_model import Ridge

    table = make_table()
    config = {"lr": 0.05, "width": 20}
    for estimator in (RandomForestRegressor(n_estimators=5, random_state=0), Ridge()):
        value = SurrogateBlackbox(table, estimator).evaluate(config, 9, 0)["loss"]
        assert np.isfinite(value)
    # a single-output regressor is wrapped in MultiOutputRegressor
    single = SurrogateBlackbox(table, GradientBoostingRegressor(n_estimators=5))
    assert type(single.estimator).__name__ == "MultiOutputRegressor"
    assert np.isfinite(single.evaluate(config)["loss"])


def test_cache_is_bounded():
    surrogate = SurrogateBlackbox(make_table(), cache_size=3)
    rng = np.random.default_rng(5)
    for _ in range(10):
        surrogate.evaluate(sample_config(SPACE, rng))
    assert len(surrogate._cache) == 3


def test_another_config_space():
    table = make_table()
    wider = {"lr": loguniform(1e-4, 10.0), "width": uniform(1, 100)}
    surrogate = SurrogateBlackbox(table, config_space=wider)
    assert np.isfinite(surrogate.evaluate({"lr": 5.0, "width": 99.5})["loss"])
