"""Best value so far, against time and against trials."""

import io
import math

import numpy as np
import pytest

from tunesmith.store import Event
from tunesmith.viz import BestData, best_so_far, plot_best_so_far, timed_results
from tunesmith.viz.best import TIME_KEY


def row(trial_id, when, loss):
    return {"trial_id": trial_id, TIME_KEY: when, "loss": loss}


def test_against_time_results_are_ordered_and_the_best_is_cumulative():
    records = [row(0, 1.0, 5.0), row(1, 3.0, 2.0), row(0, 2.0, 4.0), row(1, 4.0, 3.0)]
    records += [row(2, 5.0, math.nan), row(2, 6.0, 1.0), {"trial_id": 3, TIME_KEY: 7.0}]
    data = best_so_far(records, "loss", "min")
    assert (data.metric, data.mode, data.x_kind) == ("loss", "min", "time")
    assert data.x.tolist() == [1.0, 2.0, 3.0, 4.0, 6.0]
    assert data.values.tolist() == [5.0, 4.0, 2.0, 3.0, 1.0]
    assert data.best.tolist() == [5.0, 4.0, 2.0, 2.0, 1.0]
    assert data.trial_ids.tolist() == [0, 0, 1, 1, 2]
    x, best = data.improvements()
    assert x.tolist() == [1.0, 2.0, 3.0, 6.0] and best.tolist() == [5.0, 4.0, 2.0, 1.0]


def test_mode_max():
    data = best_so_far([row(0, 0.0, 1.0), row(0, 1.0, 3.0), row(1, 2.0, 2.0)], "loss", "max")
    assert data.best.tolist() == [1.0, 3.0, 3.0]


def test_against_trials_each_trial_counts_with_its_best_result():
    records = [
        {"trial_id": 2, "loss": 0.5},
        {"trial_id": 0, "loss": 3.0},
        {"trial_id": 0, "loss": 2.0},
        {"trial_id": 1, "loss": 4.0},
        {"trial_id": 2, "loss": 0.7},
        {"trial_id": 3, "loss": math.inf},
    ]
    data = best_so_far(records, "loss", "min", x="trials")
    assert data.x.tolist() == [1.0, 2.0, 3.0]
    assert data.trial_ids.tolist() == [0, 1, 2]
    assert data.values.tolist() == [2.0, 4.0, 0.5]
    assert data.best.tolist() == [2.0, 2.0, 0.5]
    assert best_so_far(records, "loss", "max", x="trials").values.tolist() == [3.0, 4.0, 0.7]


def test_timed_results_take_event_times_from_the_first_event():
    events = [
        Event("run_started", time=100.0),
        Event("trial_created", trial_id=0, payload={"x": 1}, time=100.5),
        Event("result", trial_id=0, payload={"epoch": 1, "loss": 2.0}, time=102.0),
        Event("decision", trial_id=0, payload={"decision": "continue"}, time=102.0),
        Event("result", trial_id=0, payload={"epoch": 2, "loss": 1.0}, time=110.0),
    ]
    assert timed_results(events) == [
        {"trial_id": 0, "epoch": 1, "loss": 2.0, TIME_KEY: 2.0},
        {"trial_id": 0, "epoch": 2, "loss": 1.0, TIME_KEY: 10.0},
    ]
    assert timed_results([]) == []


def test_errors_teach():
    with pytest.raises(ValueError, match=r"x='time' needs each record's time.*timed_results"):
        best_so_far([{"trial_id": 0, "loss": 1.0}], "loss")
    with pytest.raises(ValueError, match=r"metric='acc'"):
        best_so_far([row(0, 0.0, 1.0)], "acc")
    with pytest.raises(ValueError, match="`x` must be one of"):
        best_so_far([], "loss", x="epochs")
    with pytest.raises(ValueError, match="`mode` must be"):
        best_so_far([], "loss", "minimize")
    empty = best_so_far([], "loss")
    assert len(empty.x) == len(empty.best) == 0


def test_drawing_has_the_observations_and_the_step_line():
    data = best_so_far([row(0, 0.0, 3.0), row(1, 1.0, 1.0), row(1, 2.0, 2.0)], "loss")
    figure = plot_best_so_far(data)
    ax = figure.axes[0]
    dots, steps = ax.get_lines()
    assert dots.get_ydata().tolist() == [3.0, 1.0, 2.0]
    assert steps.get_ydata().tolist() == [3.0, 1.0, 1.0]  # last point extends to the end
    assert ax.get_title() == "best loss so far: 1"
    plot_best_so_far(best_so_far([], "loss")).savefig(io.BytesIO(), format="png")
    with pytest.raises(TypeError, match="BestData"):
        plot_best_so_far([])


@pytest.mark.slow  # how long it takes: benchmarks/viz.py
def test_100k_results_draw():
    rng = np.random.default_rng(0)
    values = rng.random(100_000).tolist()
    records = [row(i % 500, float(i), v) for i, v in enumerate(values)]
    data = best_so_far(records, "loss")
    plot_best_so_far(data).savefig(io.BytesIO(), format="png")
    assert isinstance(data, BestData) and data.best[-1] == min(values)
