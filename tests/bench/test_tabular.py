"""TabularBlackbox: lookups, building from arrays and DataFrames, files."""

import numpy as np
import pandas as pd
import pytest

from tunesmith.bench import TabularBlackbox
from tunesmith.space import Categorical, Ordinal, choice, loguniform, ordinal

METRICS = {"error": "min", "time": "min"}


def small_table(**kwargs):
    """3 configs x 2 seeds x 4 epochs; error = (row + 1) / epoch + seed / 100, time = 10 epoch."""
    configs = [{"lr": 0.1, "act": "relu"}, {"lr": 0.01, "act": "relu"}, {"lr": 0.1, "act": "tanh"}]
    epochs = np.arange(1, 5)
    values = np.empty((3, 2, 4, 2))
    for row in range(3):
        for seed in range(2):
            values[row, seed, :, 0] = (row + 1) / epochs + seed / 100
            values[row, seed, :, 1] = 10.0 * epochs
    kwargs.setdefault("name", "small")
    return TabularBlackbox(
        configs,
        values,
        metrics=METRICS,
        fidelity_name="epoch",
        fidelities=[1, 2, 3, 4],
        time_attr="time",
        **kwargs,
    )


def test_lookup_by_config_fidelity_and_seed():
    table = small_table()
    assert table.evaluate({"lr": 0.01, "act": "relu"}, fidelity=2, seed=1) == {
        "error": pytest.approx(1.0 + 0.01),
        "time": 20.0,
    }
    # fidelity None: the last; seed None: the mean over seeds
    assert table.evaluate({"act": "tanh", "lr": 0.1}) == {
        "error": pytest.approx(0.75 + 0.005),
        "time": 40.0,
    }
    assert table.max_fidelity == 4 and table.num_seeds == 2 and table.objective == "error"
    assert table.curve({"lr": 0.1, "act": "relu"}, 0)[:, 0].tolist() == [1.0, 0.5, 1 / 3, 0.25]


def test_inferred_space_and_completeness():
    table = small_table()
    assert table.config_space == {"lr": ordinal([0.01, 0.1]), "act": choice(["relu", "tanh"])}
    assert isinstance(table.config_space["lr"], Ordinal)
    assert isinstance(table.config_space["act"], Categorical)
    assert not table.is_complete  # (0.01, tanh) is missing
    assert len(table.configurations()) == 3
    config, value = table.best(seed=0)
    assert config == {"lr": 0.1, "act": "relu"} and value == 0.25


def test_constants_of_the_space_are_added():
    space = {"lr": ordinal([0.01, 0.1]), "act": choice(["relu", "tanh"]), "epochs": 4}
    table = small_table(config_space=space)
    assert table.configurations()[0] == {"lr": 0.1, "act": "relu", "epochs": 4}
    assert table.evaluate({"lr": 0.1, "act": "relu", "epochs": 4}, 1, 0)["error"] == 1.0


def test_unknown_config_error_gives_the_way_out():
    table = small_table()
    with pytest.raises(KeyError, match="restrict_configurations"):
        table.evaluate({"lr": 0.01, "act": "tanh"})
    with pytest.raises(KeyError, match=r"lacks the hyperparameters \['act'\]"):
        table.evaluate({"lr": 0.01})


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"fidelity": 5}, r"no fidelity epoch=5; it has \[1, 2, 3, 4\]"),
        ({"seed": 2}, r"`seed` must be None or an int in \[0, 1\]"),
        ({"seed": True}, "`seed`"),
    ],
)
def test_bad_fidelity_or_seed(kwargs, match):
    with pytest.raises(ValueError, match=match):
        small_table().evaluate({"lr": 0.1, "act": "relu"}, **kwargs)


def test_bad_tables_are_rejected():
    configs = [{"x": 1}, {"x": 2}]
    with pytest.raises(ValueError, match="shape"):
        TabularBlackbox(configs, np.zeros((2, 1, 3, 1)), metrics={"y": "min"})  # no fidelity
    with pytest.raises(ValueError, match="2 entries but `values` has 3 rows"):
        TabularBlackbox(configs, np.zeros((3, 1, 1)), metrics={"y": "min"})
    with pytest.raises(ValueError, match="appears twice"):
        TabularBlackbox([{"x": 1}, {"x": 1}], np.zeros((2, 1, 1)), metrics={"y": "min"})
    with pytest.raises(ValueError, match="mode of metric 'y'"):
        TabularBlackbox(configs, np.zeros((2, 1, 1)), metrics={"y": "low"})
    with pytest.raises(ValueError, match="`time_attr` must name one of the metrics"):
        TabularBlackbox(configs, np.zeros((2, 1, 1)), metrics={"y": "min"}, time_attr="t")
    with pytest.raises(ValueError, match="increasing"):
        TabularBlackbox(
            configs,
            np.zeros((2, 1, 2, 1)),
            metrics={"y": "min"},
            fidelity_name="epoch",
            fidelities=[2, 1],
        )


def test_numpy_values_in_configs_become_python_values():
    configs = [{"x": np.int64(1), "y": np.float32(0.5)}, {"x": np.int64(2), "y": np.float32(1)}]
    table = TabularBlackbox(configs, np.zeros((2, 1, 1)), metrics={"z": "min"})
    config = table.configurations()[0]
    assert type(config["x"]) is int and type(config["y"]) is float
    assert table.evaluate({"x": 1, "y": 0.5}) == {"z": 0.0}


@pytest.mark.parametrize("dtype", [None, np.float32])
def test_save_and_load_round_trip(tmp_path, dtype):
    space = {"lr": loguniform(1e-3, 1.0), "act": choice(["relu", "tanh"])}
    table = small_table(config_space=space, info={"source": "test"})
    path = table.save(tmp_path / "t", dtype=dtype)
    assert path.name == "t.npz"
    loaded = TabularBlackbox.load(path)
    assert loaded.config_space == space
    assert loaded.configurations() == table.configurations()
    assert (loaded.metrics, loaded.objective, loaded.time_attr) == (METRICS, "error", "time")
    assert (loaded.fidelity_name, loaded.fidelities) == ("epoch", [1, 2, 3, 4])
    assert loaded.info == {"source": "test"} and loaded.name == "small"
    expected = table.values if dtype is None else table.values.astype(np.float32)
    np.testing.assert_array_equal(loaded.values, expected)


def test_from_dataframe_long_format():
    table = small_table()
    rows = []
    for config in table.configurations():
        for seed in range(2):
            for epoch in (4, 3, 2, 1):  # any row order
                rows.append(
                    {**config, "seed": seed, "epoch": epoch, **table.evaluate(config, epoch, seed)}
                )
    df = pd.DataFrame(rows)
    built = TabularBlackbox.from_dataframe(
        df, metrics=METRICS, fidelity_name="epoch", seed="seed", time_attr="time"
    )
    assert built.fidelities == [1, 2, 3, 4] and built.num_seeds == 2
    for config in table.configurations():
        for seed in range(2):
            np.testing.assert_allclose(built.curve(config, seed), table.curve(config, seed))
    with pytest.raises(ValueError, match="exactly one row; 1 do not"):
        TabularBlackbox.from_dataframe(
            df.iloc[1:], metrics=METRICS, fidelity_name="epoch", seed="seed"
        )
    with pytest.raises(ValueError, match="no column 'loss'"):
        TabularBlackbox.from_dataframe(df, metrics={"loss": "min"})


def test_from_dataframe_single_fidelity_without_seeds():
    df = pd.DataFrame({"x": [1, 2, 3], "y": ["a", "b", "a"], "loss": [0.3, 0.1, 0.2]})
    table = TabularBlackbox.from_dataframe(df, metrics={"loss": "min"})
    assert table.fidelities is None and table.num_seeds == 1
    assert table.evaluate({"x": 2, "y": "b"}) == {"loss": 0.1}
    assert table.best() == ({"x": 2, "y": "b"}, 0.1)
    assert table.describe()["configurations"] == 3
