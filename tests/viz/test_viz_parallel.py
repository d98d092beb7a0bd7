"""Parallel coordinates: axes from the config space, scaled values, colors by the metric."""

import io
import math

import numpy as np
import pytest

from tunesmith import choice, finrange, loguniform, ordinal, randint, uniform
from tunesmith.viz import ParallelAxis, parallel_coordinates, plot_parallel_coordinates

SPACE = {
    "lr": loguniform(1e-4, 1.0),
    "act": choice(["relu", "tanh", "gelu"]),
    "n": randint(0, 10),
    "epochs": 5,
}


def trial(trial_id, config, loss=None, status="completed"):
    return {
        "trial_id": trial_id,
        "status": status,
        "config": {**config, "epochs": 5},
        "last_result": None if loss is None else {"epoch": 5, "loss": loss},
    }


TRIALS = [
    trial(1, {"lr": 1e-2, "act": "tanh", "n": 5}, 2.0),
    trial(0, {"lr": 1e-4, "act": "relu", "n": 0}, 1.0),
    trial(2, {"lr": 1.0, "act": "gelu", "n": 10}, status="failed"),
    trial(3, {"lr": 1e-3, "act": "gelu", "n": 2}, 3.0),
]


def test_axes_come_from_the_config_space():
    data = parallel_coordinates(TRIALS, "loss", "min", config_space=SPACE)
    assert [(a.name, a.scale) for a in data.axes] == [
        ("lr", "log"),
        ("act", "categorical"),
        ("n", "linear"),
        ("loss", "linear"),
    ]
    assert data.axes[1] == ParallelAxis(
        "act", "categorical", (0.0, 0.5, 1.0), ("relu", "tanh", "gelu")
    )
    assert data.axes[0].labels == ("0.0001", "0.001", "0.01", "0.1", "1")
    assert data.axes[2].labels == ("0", "2", "5", "8", "10")
    assert data.trial_ids.tolist() == [0, 1, 2, 3]
    expected = [
        [0.0, 0.0, 0.0, 0.0],
        [0.5, 0.5, 0.5, 0.5],
        [1.0, 1.0, 1.0, math.nan],
        [0.25, 1.0, 0.2, 1.0],
    ]
    np.testing.assert_allclose(data.values, expected)
    np.testing.assert_array_equal(data.color, [1.0, 2.0, math.nan, 3.0])


def test_values_outside_the_domain_widen_its_axis_and_unknown_categories_join():
    trials = [
        trial(0, {"lr": 10.0, "act": "relu", "n": 0}, 1.0),
        trial(1, {"lr": 1e-4, "act": "swish", "n": 10}, 1.0),
    ]
    data = parallel_coordinates(trials, "loss", config_space=SPACE)
    assert data.values[:, 0].tolist() == [1.0, 0.0]
    assert data.axes[0].labels[-1] == "10"
    assert data.axes[1].labels == ("relu", "tanh", "gelu", "swish")
    assert data.values[1, 1] == 1.0
    assert data.values[0, 3] == 0.5  # every trial has the same loss


def test_finite_and_ordinal_domains():
    space = {"f": finrange(0.0, 1.0, 5), "g": ordinal(["s", "m", "l"]), "u": uniform(-1, 1)}
    trials = [trial(0, {"f": 0.25, "g": "m", "u": 0.0}, 1.0)]
    data = parallel_coordinates(trials, "loss", config_space=space)
    assert [a.scale for a in data.axes] == ["linear", "categorical", "linear", "linear"]
    assert data.values[0, :3].tolist() == [0.25, 0.5, 0.5]


def test_without_a_space_varying_keys_are_axes():
    data = parallel_coordinates(TRIALS, "loss", "min")
    assert [(a.name, a.scale) for a in data.axes] == [
        ("lr", "linear"),
        ("act", "categorical"),
        ("n", "linear"),
        ("loss", "linear"),
    ]  # "epochs" is the same in every trial
    assert data.axes[1].labels == ("relu", "tanh", "gelu")  # in order of trial id
    assert data.values[:, 2].tolist() == [0.0, 0.5, 1.0, 0.2]


def test_errors():
    with pytest.raises(ValueError, match="`mode` must be"):
        parallel_coordinates(TRIALS, "loss", "best")
    with pytest.raises(TypeError, match="list of dicts"):
        parallel_coordinates("trials", "loss")
    empty = parallel_coordinates([], "loss", config_space=SPACE)
    assert empty.values.shape == (0, 4)


def test_drawing_one_line_per_trial_best_on_top():
    from matplotlib.collections import LineCollection

    data = parallel_coordinates(TRIALS, "loss", "min", config_space=SPACE)
    figure = plot_parallel_coordinates(data)
    ax = figure.axes[0]
    [lines] = [c for c in ax.collections if isinstance(c, LineCollection)]
    segments = lines.get_segments()
    assert len(segments) == 4
    # drawn last = on top: the trial with the lowest loss (trial 0, all zeros)
    assert segments[-1][:, 1].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["lr (log)", "act", "n", "loss"]
    assert len(figure.axes) == 2  # and the colorbar
    figure.savefig(io.BytesIO(), format="png")


@pytest.mark.slow  # how long it takes: benchmarks/viz.py
def test_10k_trials_draw():
    rng = np.random.default_rng(0)
    trials = [
        trial(
            i,
            {"lr": float(10 ** rng.uniform(-4, 0)), "act": "relu", "n": int(rng.integers(11))},
            float(rng.random()),
        )
        for i in range(10_000)
    ]
    data = parallel_coordinates(trials, "loss", config_space=SPACE)
    plot_parallel_coordinates(data).savefig(io.BytesIO(), format="png")
    assert data.values.shape == (10_000, 4)
